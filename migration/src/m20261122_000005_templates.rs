use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Templates as Meta reports them (status updates); the start of template management.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("templates")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("waba_id"))
                .col(string("meta_template_id"))
                .col(string("name"))
                .col(string("language"))
                .col(string("status"))
                .col(text_null("reason"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_templates_shop_meta_id")
                .table("templates")
                .col("shop_id")
                .col("meta_template_id")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("templates").if_exists().to_owned()).await
    }
}
