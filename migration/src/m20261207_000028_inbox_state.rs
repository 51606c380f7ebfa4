//! The inbox state of a conversation (docs/INBOX.md): `open`, `pending` or `closed`, beside the
//! window's `status`, with the reason people gave when they closed it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        m.alter_table(Table::alter().table("conversations").add_column(string("inbox_state").default("open")).to_owned()).await?;
        m.alter_table(Table::alter().table("conversations").add_column(string_null("inbox_close_reason")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("conversations").drop_column("inbox_close_reason").to_owned()).await?;
        m.alter_table(Table::alter().table("conversations").drop_column("inbox_state").to_owned()).await
    }
}
