//! Media: the files customers send (fetched from Meta before its link dies) and the files shops
//! upload to send; each shop's retention policy. The bytes live in the media store (a folder or
//! an S3-compatible bucket), under `{shop_id}/{id}`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("media")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid_null("account_id"))
                .col(string("origin"))
                .col(string("kind"))
                .col(string_null("mime_type"))
                .col(text_null("filename"))
                .col(big_integer_null("size"))
                .col(string_null("sha256"))
                .col(string_null("expected_sha256"))
                .col(string_null("meta_media_id"))
                .col(timestamp_with_time_zone_null("meta_uploaded_at"))
                .col(uuid_null("message_id"))
                .col(string("state"))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(string_null("claimed_by"))
                .col(timestamp_with_time_zone_null("claimed_until"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("stored_at"))
                .col(timestamp_with_time_zone_null("removed_at"))
                .to_owned(),
        )
        .await?;
        // The fetch queue: due pending files, oldest wait first.
        m.create_index(Index::create().name("idx_media_due").table("media").col("state").col("next_attempt_at").if_not_exists().to_owned())
            .await?;
        // Retention: a shop's stored files by age.
        m.create_index(
            Index::create().name("idx_media_shop_created").table("media").col("shop_id").col("created_at").if_not_exists().to_owned(),
        )
        .await?;
        // A message's file (erasure, the message read).
        m.create_index(Index::create().name("idx_media_message").table("media").col("message_id").if_not_exists().to_owned()).await?;
        m.create_table(
            Table::create()
                .table("media_settings")
                .if_not_exists()
                .col(pk_uuid("shop_id"))
                .col(integer_null("retention_days"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("media_settings").if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table("media").if_exists().to_owned()).await
    }
}
