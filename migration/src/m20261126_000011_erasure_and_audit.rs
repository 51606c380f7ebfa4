//! GDPR: when a customer's personal data was erased; and the audit log (who did what, when).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("customers").add_column(timestamp_with_time_zone_null("erased_at")).to_owned()).await?;
        m.create_table(
            Table::create()
                .table("audit_log")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("actor"))
                .col(string("action"))
                .col(string("subject_type"))
                .col(string_null("subject_id"))
                .col(json_binary("details"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_audit_log_shop_at").table("audit_log").col("shop_id").col("at").if_not_exists().to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("audit_log").if_exists().to_owned()).await?;
        m.alter_table(Table::alter().table("customers").drop_column("erased_at").to_owned()).await
    }
}
