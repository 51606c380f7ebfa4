//! Turns (docs/TURNS.md, ADR 15):
//! - `threads`: a customer's thread with a number, which outlives its 24-hour windows: who owns
//!   it (`none`, `people`), until when, since when it waits for people, when it got the away
//!   message. One row per number and customer, made when something is first recorded on it.
//! - `turns`: a customer's burst of messages, answered once: due at its last message plus the
//!   shop's quiet time, never later than its cap (first message + 10 s); claimed by the turn
//!   worker like the media queue; then its outcome. At most one open turn per thread (a
//!   partial unique index: a burst extends it).
//! - `turn_messages`: the messages each turn is made of.
//! - `automated_responses`: seed 000's answers by keyword, and the greeting and away messages.
//! - `shop_settings.hand_back_hours`: how long people keep a quiet thread (default 24).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("threads")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid("account_id"))
                .col(uuid("customer_id"))
                .col(string("wa_id"))
                .col(uuid("conversation_id"))
                .col(string("owner"))
                .col(uuid_null("owner_member_id"))
                .col(string_null("owner_reason"))
                .col(timestamp_with_time_zone_null("owner_since"))
                .col(timestamp_with_time_zone_null("owner_expires_at"))
                .col(timestamp_with_time_zone_null("waiting_since"))
                .col(timestamp_with_time_zone_null("away_sent_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(big_integer("version"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_threads_account_wa_id")
                .table("threads")
                .col("account_id")
                .col("wa_id")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_threads_owner_expires").table("threads").col("owner_expires_at").if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_threads_shop_waiting")
                .table("threads")
                .col("shop_id")
                .col("waiting_since")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_threads_customer").table("threads").col("customer_id").if_not_exists().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("turns")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid("account_id"))
                .col(uuid("customer_id"))
                .col(string("wa_id"))
                .col(uuid("conversation_id"))
                .col(string("state"))
                .col(timestamp_with_time_zone("first_at"))
                .col(timestamp_with_time_zone("last_at"))
                .col(timestamp_with_time_zone("due_at"))
                .col(timestamp_with_time_zone("cap_at"))
                .col(integer("messages"))
                .col(boolean("first_contact"))
                .col(boolean("keyword"))
                .col(integer("attempts"))
                .col(string_null("claimed_by"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(string_null("responder"))
                .col(string_null("outcome"))
                .col(string_null("reason"))
                .col(json_binary("replies"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX IF NOT EXISTS ux_turns_open_thread ON turns (account_id, wa_id) WHERE state = 'open'")
            .await?;
        m.create_index(Index::create().name("idx_turns_state_due").table("turns").col("state").col("due_at").if_not_exists().to_owned())
            .await?;
        m.create_index(
            Index::create().name("idx_turns_conversation").table("turns").col("shop_id").col("conversation_id").if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_turns_customer").table("turns").col("customer_id").if_not_exists().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("turn_messages")
                .if_not_exists()
                .col(pk_uuid("message_id"))
                .col(uuid("turn_id"))
                .col(uuid("shop_id"))
                .col(string("wamid"))
                .col(timestamp_with_time_zone("received_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_turn_messages_turn").table("turn_messages").col("turn_id").if_not_exists().to_owned())
            .await?;

        m.create_table(
            Table::create()
                .table("automated_responses")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("name"))
                .col(string("trigger"))
                .col(json_binary("keywords"))
                .col(json_binary("answer"))
                .col(json_binary_null("fallback_template"))
                .col(integer("priority"))
                .col(boolean("active"))
                .col(integer_null("every_hours"))
                .col(big_integer("matched_count"))
                .col(timestamp_with_time_zone_null("last_matched_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(big_integer("version"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_automated_responses_shop").table("automated_responses").col("shop_id").if_not_exists().to_owned(),
        )
        .await?;

        m.alter_table(Table::alter().table("shop_settings").add_column(integer("hand_back_hours").default(24)).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("shop_settings").drop_column("hand_back_hours").to_owned()).await?;
        for t in ["automated_responses", "turn_messages", "turns", "threads"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
