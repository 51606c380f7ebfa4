//! A conversation's tags (docs/INBOX.md): one row per tag, kept as given and compared by its
//! lower-cased key; the customer's id for erasure and export.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("conversation_tags")
                .if_not_exists()
                .col(uuid("conversation_id"))
                .col(string("tag_key"))
                .col(uuid("shop_id"))
                .col(uuid("customer_id"))
                .col(string("tag"))
                .col(integer("position"))
                .primary_key(Index::create().col("conversation_id").col("tag_key"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_conversation_tags_key")
                .table("conversation_tags")
                .col("shop_id")
                .col("tag_key")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_conversation_tags_customer").table("conversation_tags").col("customer_id").if_not_exists().to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("conversation_tags").if_exists().to_owned()).await
    }
}
