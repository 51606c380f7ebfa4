//! The CRM's filters answered from indexes (issue 9's performance): the search tables' indexes
//! cover `customer_id`, so a filter's matches are an index-only scan; `(shop_id, id)` on
//! `customers` lets a count join them without reading the customers' rows; and, on Postgres with
//! `pg_trgm` available, trigram indexes answer the free-text `search` (`%part%` on names,
//! `waId` and `userId`) without a scan. ADR 8 (addendum) gives the figures.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Old index → new, wider index (the same statement on both databases).
const REPLACED: [(&str, &str, &str); 3] = [
    ("idx_field_values_text", "idx_field_values_text_cover", "customer_field_values (shop_id, field_key, text_value, customer_id)"),
    ("idx_field_values_number", "idx_field_values_number_cover", "customer_field_values (shop_id, field_key, number_value, customer_id)"),
    ("idx_customer_tags_shop_tag", "idx_customer_tags_shop_tag_cover", "customer_tags (shop_id, tag_key, customer_id)"),
];

/// The last inbound message, covering `id`, in the order of the usual sort (most recent first,
/// never-written last; Postgres walks an index only in its own NULLS order).
fn last_inbound(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "customers (shop_id, last_inbound_at DESC NULLS LAST, id DESC)",
        _ => "customers (shop_id, last_inbound_at, id)",
    }
}

const TRIGRAM_COLUMNS: [&str; 4] = ["name", "display_name", "wa_id", "user_id"];

async fn trigram_available(db: &SchemaManagerConnection<'_>) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'pg_trgm'".to_owned(),
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(0) > 0)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (old, new, on) in REPLACED {
            db.execute_unprepared(&format!("CREATE INDEX IF NOT EXISTS {new} ON {on}")).await?;
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {old}")).await?;
        }
        let on = last_inbound(db.get_database_backend());
        db.execute_unprepared(&format!("CREATE INDEX IF NOT EXISTS idx_customers_shop_last_inbound_cover ON {on}")).await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_customers_shop_last_inbound").await?;
        db.execute_unprepared("CREATE INDEX IF NOT EXISTS idx_customers_shop_id ON customers (shop_id, id)").await?;
        if db.get_database_backend() == DbBackend::Postgres {
            // Which values go with which field: without it the planner takes `text_value = 'a'`
            // to be as rare among one field's values as among all fields' (4x too few rows).
            db.execute_unprepared(
                "CREATE STATISTICS IF NOT EXISTS st_field_values_text (mcv) ON field_key, text_value FROM customer_field_values",
            )
            .await?;
        }
        if db.get_database_backend() == DbBackend::Postgres && trigram_available(db).await? {
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm").await?;
            for c in TRIGRAM_COLUMNS {
                db.execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS idx_customers_{c}_trgm ON customers USING gin (lower({c}) gin_trgm_ops)"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for c in TRIGRAM_COLUMNS {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS idx_customers_{c}_trgm")).await?;
        }
        db.execute_unprepared("DROP INDEX IF EXISTS idx_customers_shop_id").await?;
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP STATISTICS IF EXISTS st_field_values_text").await?;
        }
        db.execute_unprepared("CREATE INDEX IF NOT EXISTS idx_customers_shop_last_inbound ON customers (shop_id, last_inbound_at)").await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_customers_shop_last_inbound_cover").await?;
        let old_columns = [
            "customer_field_values (shop_id, field_key, text_value)",
            "customer_field_values (shop_id, field_key, number_value)",
            "customer_tags (shop_id, tag_key)",
        ];
        for ((old, new, _), on) in REPLACED.into_iter().zip(old_columns) {
            db.execute_unprepared(&format!("CREATE INDEX IF NOT EXISTS {old} ON {on}")).await?;
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {new}")).await?;
        }
        Ok(())
    }
}
