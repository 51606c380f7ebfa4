//! `webhook_events.claimed_by` and `claimed_until` go: webhook workers take their rows with
//! `FOR UPDATE SKIP LOCKED` inside the processing transaction (ADR 10), so nothing ever claimed a
//! delivery outside one, and the columns stayed empty.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("webhook_events").drop_column("claimed_until").to_owned()).await?;
        m.alter_table(Table::alter().table("webhook_events").drop_column("claimed_by").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("webhook_events").add_column(string_null("claimed_by")).to_owned()).await?;
        m.alter_table(Table::alter().table("webhook_events").add_column(timestamp_with_time_zone_null("claimed_until")).to_owned()).await
    }
}
