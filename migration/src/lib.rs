//! Schema migrations. The same migrations run on Postgres and SQLite: only portable sea-query
//! column types, plus one partial unique index whose SQL both databases accept.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_init;
mod m20261122_000002_job_leases;
mod m20261122_000003_deliveries;
mod m20261122_000004_webhook_claims;
mod m20261122_000005_templates;
mod m20261126_000006_versions;
mod m20261126_000007_raw_bodies;
mod m20261126_000008_consent;
mod m20261126_000009_crm;
mod m20261126_000010_segments;
mod m20261126_000011_erasure_and_audit;
mod m20261126_000012_crm_search;
mod m20261126_000013_template_store;
mod m20261126_000014_template_quality;
mod m20261126_000015_template_status_time;
mod m20261127_000016_media;
mod m20261127_000017_rate_cards;
mod m20261127_000018_customers_audience_cover;
mod m20261207_000019_drop_webhook_claims;
mod m20261207_000020_idempotency_keys;
mod m20261207_000021_message_senders;
mod m20261207_000022_shop_settings;
mod m20261207_000023_outbox_consumers;
mod m20261207_000024_turns;
mod m20261207_000025_webhook_subscriptions;
mod m20261207_000026_team;
mod m20261207_000027_conversation_notes;
mod m20261207_000028_inbox_state;
mod m20261207_000029_key_members;
mod m20261207_000030_routing;
mod m20261207_000031_routing_rules;
mod m20261207_000032_conversation_tags;
mod m20261207_000033_quick_replies;
mod m20261207_000034_member_handlings;
mod m20261207_000035_unread_counts;
mod m20261207_000036_search;
mod m20261207_000037_threads_by_conversation;
mod m20261207_000038_search_backfill;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_init::Migration),
            Box::new(m20261122_000002_job_leases::Migration),
            Box::new(m20261122_000003_deliveries::Migration),
            Box::new(m20261122_000004_webhook_claims::Migration),
            Box::new(m20261122_000005_templates::Migration),
            Box::new(m20261126_000006_versions::Migration),
            Box::new(m20261126_000007_raw_bodies::Migration),
            Box::new(m20261126_000008_consent::Migration),
            Box::new(m20261126_000009_crm::Migration),
            Box::new(m20261126_000010_segments::Migration),
            Box::new(m20261126_000011_erasure_and_audit::Migration),
            Box::new(m20261126_000012_crm_search::Migration),
            Box::new(m20261126_000013_template_store::Migration),
            Box::new(m20261126_000014_template_quality::Migration),
            Box::new(m20261126_000015_template_status_time::Migration),
            Box::new(m20261127_000016_media::Migration),
            Box::new(m20261127_000017_rate_cards::Migration),
            Box::new(m20261127_000018_customers_audience_cover::Migration),
            Box::new(m20261207_000019_drop_webhook_claims::Migration),
            Box::new(m20261207_000020_idempotency_keys::Migration),
            Box::new(m20261207_000021_message_senders::Migration),
            Box::new(m20261207_000022_shop_settings::Migration),
            Box::new(m20261207_000023_outbox_consumers::Migration),
            Box::new(m20261207_000024_turns::Migration),
            Box::new(m20261207_000025_webhook_subscriptions::Migration),
            Box::new(m20261207_000026_team::Migration),
            Box::new(m20261207_000027_conversation_notes::Migration),
            Box::new(m20261207_000028_inbox_state::Migration),
            Box::new(m20261207_000029_key_members::Migration),
            Box::new(m20261207_000030_routing::Migration),
            Box::new(m20261207_000031_routing_rules::Migration),
            Box::new(m20261207_000032_conversation_tags::Migration),
            Box::new(m20261207_000033_quick_replies::Migration),
            Box::new(m20261207_000034_member_handlings::Migration),
            Box::new(m20261207_000035_unread_counts::Migration),
            Box::new(m20261207_000036_search::Migration),
            Box::new(m20261207_000037_threads_by_conversation::Migration),
            Box::new(m20261207_000038_search_backfill::Migration),
        ]
    }
}
