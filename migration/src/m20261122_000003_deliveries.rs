use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The durable outbound queue, and each number's throughput.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("deliveries")
                .if_not_exists()
                .col(pk_uuid("message_id"))
                .col(uuid("shop_id"))
                .col(uuid("account_id"))
                .col(string("wa_id"))
                .col(integer("priority"))
                .col(string("state"))
                .col(integer("attempts").default(0))
                .col(integer("pair_retries").default(0))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(string_null("claimed_by"))
                .col(timestamp_with_time_zone_null("claimed_at"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        let idx = |name: &str, cols: &[&'static str]| {
            let mut i = Index::create();
            i.name(name).table("deliveries").if_not_exists();
            for c in cols {
                i.col(*c);
            }
            i.to_owned()
        };
        m.create_index(idx("idx_deliveries_due", &["state", "account_id", "next_attempt_at"])).await?;
        m.alter_table(Table::alter().table("whatsapp_accounts").add_column(integer("throughput_mps").default(80)).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("whatsapp_accounts").drop_column("throughput_mps").to_owned()).await?;
        m.drop_table(Table::drop().table("deliveries").if_exists().to_owned()).await
    }
}
