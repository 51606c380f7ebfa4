//! Agent statistics (docs/INBOX.md): one row per member holding a conversation, from its
//! assignment to its end (closed, taken by the SLA, or given to someone else), with the member's
//! first reply. A projection of the outbox (`conversation.assigned`, `message.sent`,
//! `conversation.inbox_state.changed`), written by the `agent-stats` consumer; `id` is the
//! assignment event's id, so a redelivered event changes nothing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("member_handlings")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid("conversation_id"))
                .col(uuid("member_id"))
                .col(uuid_null("department_id"))
                .col(timestamp_with_time_zone("assigned_at"))
                .col(timestamp_with_time_zone_null("first_response_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(string_null("end_reason"))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("idx_member_handlings_shop_assigned", &["shop_id", "assigned_at"][..]),
            ("idx_member_handlings_conversation", &["conversation_id", "ended_at"][..]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table("member_handlings").if_not_exists();
            for c in cols {
                idx.col(*c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("member_handlings").if_exists().to_owned()).await
    }
}
