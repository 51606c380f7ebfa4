//! A template's quality score as Meta last gave it (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("templates").add_column(string_null("quality")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("templates").drop_column("quality").to_owned()).await
    }
}
