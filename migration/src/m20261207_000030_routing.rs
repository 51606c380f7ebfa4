//! Routing (docs/INBOX.md): the department a thread goes to when it needs a person, and when
//! routing last gave each member a thread (round robin goes on from there). The queue is the
//! threads people own, nobody in particular, in the order they started waiting.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("threads").add_column(uuid_null("department_id")).to_owned()).await?;
        m.alter_table(Table::alter().table("team_members").add_column(timestamp_with_time_zone_null("last_routed_at")).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("idx_threads_queue")
                .table("threads")
                .col("shop_id")
                .col("owner")
                .col("waiting_since")
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_threads_queue").table("threads").to_owned()).await?;
        m.alter_table(Table::alter().table("team_members").drop_column("last_routed_at").to_owned()).await?;
        m.alter_table(Table::alter().table("threads").drop_column("department_id").to_owned()).await
    }
}
