//! `shop_settings`: a shop's IANA time zone, its business hours per weekday (JSON, Monday first,
//! null: always open), its closed dates (JSON) and the quiet time of a turn. No row: the
//! defaults (UTC, always open, 2 s).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("shop_settings")
                .if_not_exists()
                .col(pk_uuid("shop_id"))
                .col(string("time_zone"))
                .col(json_binary_null("business_hours"))
                .col(json_binary("closed_dates"))
                .col(integer("turn_quiet_ms"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("shop_settings").if_exists().to_owned()).await
    }
}
