//! Each shop's rate card: Meta's price per pricing category and market, in the shop's currency,
//! for what its billable messages cost.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("rate_cards")
                .if_not_exists()
                .col(pk_uuid("shop_id"))
                .col(string("currency"))
                .col(json_binary("rates"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("rate_cards").if_exists().to_owned()).await
    }
}
