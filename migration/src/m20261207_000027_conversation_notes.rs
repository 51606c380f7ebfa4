//! Internal notes on conversations (docs/INBOX.md): written by people, never sent; personal data
//! about the customer (`customer_id`), exported and erased with them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("conversation_notes")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid("conversation_id"))
                .col(uuid("customer_id"))
                .col(string("author"))
                .col(text("body"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversation_notes_conversation")
                .table("conversation_notes")
                .col("conversation_id")
                .col("created_at")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversation_notes_customer")
                .table("conversation_notes")
                .col("customer_id")
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("conversation_notes").if_exists().to_owned()).await
    }
}
