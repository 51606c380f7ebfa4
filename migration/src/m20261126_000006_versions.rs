//! Optimistic-concurrency versions on every aggregate that is saved whole: an update names the
//! version it read, and bumps it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 4] = ["whatsapp_accounts", "customers", "conversations", "messages"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(Table::alter().table(t).add_column(ColumnDef::new("version").big_integer().not_null().default(0)).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(Table::alter().table(t).drop_column("version").to_owned()).await?;
        }
        Ok(())
    }
}
