//! `outbox_consumers`: each named consumer's cursor over the outbox: the watermark (every row
//! at or below it handled) and the rows handled above it (rows commit out of `seq` order).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("outbox_consumers")
                .if_not_exists()
                .col(string("name").primary_key())
                .col(big_integer("watermark"))
                .col(json_binary("ahead"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("outbox_consumers").if_exists().to_owned()).await
    }
}
