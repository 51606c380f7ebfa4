//! The exact bytes of a signed webhook body that is not storable as text (not UTF-8, or with
//! NUL); its readable copy stays in `body`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("webhook_events").add_column(ColumnDef::new("raw_body").blob().null()).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("webhook_events").drop_column("raw_body").to_owned()).await
    }
}
