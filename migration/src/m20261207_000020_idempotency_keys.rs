//! Sends' idempotency keys (`Idempotency-Key`, Stripe's semantics): one row per shop and key,
//! written in the transaction that queues the message, kept 24 hours. `answer_body` is what the
//! caller was answered (the message's ids and status, or the error), kept to answer a retry.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .if_not_exists()
                .col(uuid("shop_id"))
                .col(string_len("key", 255))
                .col(string("fingerprint"))
                .col(uuid_null("message_id"))
                .col(integer_null("answer_status"))
                .col(text_null("answer_body"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("shop_id").col("key"))
                .to_owned(),
        )
        .await?;
        // The hourly prune: the oldest first.
        m.create_index(
            Index::create().name("idx_idempotency_keys_created").table("idempotency_keys").col("created_at").if_not_exists().to_owned(),
        )
        .await?;
        // Erasure: the keys of a customer's messages.
        m.create_index(
            Index::create().name("idx_idempotency_keys_message").table("idempotency_keys").col("message_id").if_not_exists().to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("idempotency_keys").if_exists().to_owned()).await
    }
}
