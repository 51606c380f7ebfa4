//! Merchant webhooks (docs/WEBHOOKS.md):
//! - `webhook_subscriptions`: a shop's HTTPS URL, its event types, its signing secret (and the
//!   rotated-out one with its grace), encrypted; its state and failures in a row.
//! - `webhook_deliveries`: one event on its way to one subscription (unique per subscription and
//!   event), claimed by the delivery worker like the media queue, retried with backoff, kept as
//!   the delivery log for 7 days. `customer_id`: whom the event is about (erased with them).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook_subscriptions")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string_len("url", 2048))
                .col(json_binary("event_types"))
                .col(string_null("description"))
                .col(string("status"))
                .col(integer("consecutive_failures"))
                .col(string_null("disabled_reason"))
                .col(text("secret"))
                .col(text_null("previous_secret"))
                .col(timestamp_with_time_zone_null("previous_until"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(big_integer("version"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_webhook_subscriptions_shop").table("webhook_subscriptions").col("shop_id").if_not_exists().to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("subscription_id"))
                .col(uuid("shop_id"))
                .col(uuid_null("customer_id"))
                .col(uuid("event_id"))
                .col(string("event_type"))
                .col(json_binary("payload"))
                .col(string("state"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(integer_null("last_status"))
                .col(string_null("last_error"))
                .col(timestamp_with_time_zone_null("last_attempt_at"))
                .col(timestamp_with_time_zone_null("delivered_at"))
                .col(string_null("claimed_by"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_webhook_deliveries_subscription_event")
                .table("webhook_deliveries")
                .col("subscription_id")
                .col("event_id")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_due")
                .table("webhook_deliveries")
                .col("state")
                .col("next_attempt_at")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_log")
                .table("webhook_deliveries")
                .col("subscription_id")
                .col("created_at")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_webhook_deliveries_customer")
                .table("webhook_deliveries")
                .col("customer_id")
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["webhook_deliveries", "webhook_subscriptions"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
