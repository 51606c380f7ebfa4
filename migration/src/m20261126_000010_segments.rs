//! Segments: named, saved audiences of a shop's customers (their definition as JSON).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("segments")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("name"))
                .col(json_binary("definition"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("uq_segments_shop_name").table("segments").col("shop_id").col("name").unique().if_not_exists().to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("segments").if_exists().to_owned()).await
    }
}
