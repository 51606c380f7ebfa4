//! Keys bound to members (docs/INBOX.md, "Who did it"): an `agent` key may name a member of its
//! shop, and what it does is attributed to them beside the key: the audit log's
//! `actor_member_id`, a note's `member_id` (a message's `sent_by` names the member already).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        m.alter_table(Table::alter().table("api_keys").add_column(uuid_null("member_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("audit_log").add_column(uuid_null("actor_member_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("conversation_notes").add_column(uuid_null("member_id")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("conversation_notes").drop_column("member_id").to_owned()).await?;
        m.alter_table(Table::alter().table("audit_log").drop_column("actor_member_id").to_owned()).await?;
        m.alter_table(Table::alter().table("api_keys").drop_column("member_id").to_owned()).await
    }
}
