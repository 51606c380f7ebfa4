//! `conversations.unread_count`: the customer's messages nobody read yet, on the row the inbox
//! list reads (docs/INBOX.md). Kept set-based by the store: a received batch adds, a read
//! recounts. Existing conversations are counted once here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("conversations").add_column(integer("unread_count").default(0)).to_owned()).await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE conversations SET unread_count = (SELECT COUNT(*) FROM messages m \
                 WHERE m.conversation_id = conversations.id AND m.direction = 'inbound' AND m.status = 'received')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("conversations").drop_column("unread_count").to_owned()).await
    }
}
