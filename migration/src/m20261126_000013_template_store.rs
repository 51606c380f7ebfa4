//! Templates managed by the service: what a template says (Meta's components, the variables'
//! style, its category), which account submitted it, and each status it went through.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [string_null("category"), string_null("parameter_format"), json_binary_null("components"), uuid_null("account_id")] {
            let mut c = c;
            m.alter_table(Table::alter().table("templates").add_column(&mut c).to_owned()).await?;
        }
        m.alter_table(Table::alter().table("templates").add_column(timestamp_with_time_zone_null("created_at")).to_owned()).await?;
        m.create_index(
            Index::create()
                .name("idx_templates_shop_name")
                .table("templates")
                .col("shop_id")
                .col("name")
                .col("language")
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("template_status_history")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("meta_template_id"))
                .col(string("status"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_template_history_template")
                .table("template_status_history")
                .col("shop_id")
                .col("meta_template_id")
                .col("at")
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("template_status_history").if_exists().to_owned()).await?;
        m.drop_index(Index::drop().name("idx_templates_shop_name").table("templates").to_owned()).await?;
        for c in ["created_at", "account_id", "components", "parameter_format", "category"] {
            m.alter_table(Table::alter().table("templates").drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
