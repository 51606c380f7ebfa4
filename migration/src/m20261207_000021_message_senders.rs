//! `messages.sent_by`: who sent an outbound message (`api-key:<id>`, `member:<id>`,
//! `flow-execution:<id>`, `ai-agent:<id>`, `campaign:<id>`, `system:<what>`). Null for a
//! customer's message and for outbound messages stored before it was recorded.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("messages").add_column(string_null("sent_by")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("messages").drop_column("sent_by").to_owned()).await
    }
}
