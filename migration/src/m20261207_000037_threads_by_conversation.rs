//! The inbox list sorted by `longest_waiting` (docs/INBOX.md) looks each conversation's thread
//! up by `conversation_id`; without an index that is a scan of the threads per conversation
//! (docs/BENCHMARKS.md, the inbox at scale).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(Index::create().name("idx_threads_conversation").table("threads").col("conversation_id").if_not_exists().to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_threads_conversation").table("threads").if_exists().to_owned()).await
    }
}
