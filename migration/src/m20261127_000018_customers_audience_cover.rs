//! A narrow index of the customers' own columns that audiences filter on (consent states, last
//! inbound, first contact), keyed like `(shop_id, id)` (Postgres, which it replaces there). A
//! segment whose condition mixes a customer's column with a search table (`consent OR a field`)
//! reads these 9 MB instead of the 60 MB of customers' rows (index-only): on 100,000 customers
//! that count went from 58–91 ms to 44–51 ms in one window (docs/BENCHMARKS.md).
//! SQLite has no `INCLUDE`; it keeps its index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_customers_audience ON customers (shop_id, id) \
             INCLUDE (opt_in_status, utility_status, last_inbound_at, first_contacted_at)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_customers_shop_id").await.map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        db.execute_unprepared("CREATE INDEX IF NOT EXISTS idx_customers_shop_id ON customers (shop_id, id)").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_customers_audience").await.map(|_| ())
    }
}
