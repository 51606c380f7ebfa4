//! When a template's status happened (Meta's time for a webhook's), so that a report Meta
//! redelivers late never overwrites a newer status.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("templates").add_column(timestamp_with_time_zone_null("status_at")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("templates").drop_column("status_at").to_owned()).await
    }
}
