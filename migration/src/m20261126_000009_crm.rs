//! The CRM: the merchant's name, language and time zone of a customer; per-shop custom field
//! definitions; and what the list filters search by (tags and custom field values, one row each,
//! indexed per shop), kept by the application beside the customer's own JSON.

use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(table: &'static str, name: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["display_name", "language", "timezone"] {
            m.alter_table(Table::alter().table("customers").add_column(string_null(c)).to_owned()).await?;
        }
        m.create_index(index("customers", "idx_customers_shop_first_contact", &["shop_id", "first_contacted_at"])).await?;
        m.create_index(index("customers", "idx_customers_shop_last_inbound", &["shop_id", "last_inbound_at"])).await?;

        m.create_table(
            Table::create()
                .table("custom_field_definitions")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("key"))
                .col(string("label"))
                .col(string("field_type"))
                .col(json_binary("options"))
                .col(text_null("pattern"))
                .col(boolean("required"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("custom_field_definitions", "uq_field_definitions_shop_key", &["shop_id", "key"]).unique().to_owned()).await?;

        m.create_table(
            Table::create()
                .table("customer_tags")
                .if_not_exists()
                .col(uuid("shop_id"))
                .col(uuid("customer_id"))
                .col(string("tag_key"))
                .primary_key(Index::create().col("customer_id").col("tag_key"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("customer_tags", "idx_customer_tags_shop_tag", &["shop_id", "tag_key"])).await?;

        m.create_table(
            Table::create()
                .table("customer_field_values")
                .if_not_exists()
                .col(uuid("shop_id"))
                .col(uuid("customer_id"))
                .col(string("field_key"))
                .col(integer("ord"))
                .col(text_null("text_value"))
                .col(double_null("number_value"))
                .primary_key(Index::create().col("customer_id").col("field_key").col("ord"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("customer_field_values", "idx_field_values_text", &["shop_id", "field_key", "text_value"])).await?;
        m.create_index(index("customer_field_values", "idx_field_values_number", &["shop_id", "field_key", "number_value"])).await?;

        // Tags set before this migration (custom fields could not be set before it).
        let db = m.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(backend, "SELECT id, shop_id, CAST(tags AS TEXT) AS tags FROM customers".to_owned()))
            .await?;
        for row in rows {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let shop: uuid::Uuid = row.try_get("", "shop_id")?;
            let tags: String = row.try_get("", "tags")?;
            let tags: Vec<String> = serde_json::from_str(&tags).unwrap_or_default();
            let mut keys: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let q = Query::insert()
                    .into_table("customer_tags")
                    .columns(["shop_id", "customer_id", "tag_key"])
                    .values_panic([shop.into(), id.into(), k.into()])
                    .to_owned();
                m.exec_stmt(q).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["customer_field_values", "customer_tags", "custom_field_definitions"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        for i in ["idx_customers_shop_first_contact", "idx_customers_shop_last_inbound"] {
            m.drop_index(Index::drop().name(i).table("customers").to_owned()).await?;
        }
        for c in ["timezone", "language", "display_name"] {
            m.alter_table(Table::alter().table("customers").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
