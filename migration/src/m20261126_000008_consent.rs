//! Consent per purpose: the utility state beside marketing's (`opt_in_*`), the append-only
//! ledger, the shops' consent settings, and the categories Meta gives templates.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn ts(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER.
        m.alter_table(Table::alter().table("customers").add_column(string("utility_status").default("pending")).to_owned()).await?;
        m.alter_table(Table::alter().table("customers").add_column(string_null("utility_source")).to_owned()).await?;
        m.alter_table(Table::alter().table("customers").add_column(timestamp_with_time_zone_null("utility_at")).to_owned()).await?;

        m.create_table(
            Table::create()
                .table("consent_entries")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid("customer_id"))
                .col(string("purpose"))
                .col(string("status"))
                .col(string("source"))
                .col(text_null("evidence"))
                .col(string_null("actor"))
                .col(ts("recorded_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_consent_entries_customer")
                .table("consent_entries")
                .col("shop_id")
                .col("customer_id")
                .col("recorded_at")
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("consent_settings")
                .if_not_exists()
                .col(pk_uuid("shop_id"))
                .col(boolean("require_marketing_opt_in"))
                .col(json_binary("opt_out_keywords"))
                .col(json_binary("opt_in_keywords"))
                .col(text_null("opt_out_reply"))
                .col(text_null("opt_in_reply"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("template_categories")
                .if_not_exists()
                .col(uuid("shop_id"))
                .col(string("name"))
                .col(string("language"))
                .col(string("category"))
                .primary_key(Index::create().col("shop_id").col("name").col("language"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["template_categories", "consent_settings", "consent_entries"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        for c in ["utility_at", "utility_source", "utility_status"] {
            m.alter_table(Table::alter().table("customers").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
