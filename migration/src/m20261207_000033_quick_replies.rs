//! Quick replies (docs/INBOX.md): canned messages people send by shortcut, shared by the shop or
//! personal to a member. `owner_key` is `shared` or the member's id, so that one unique index
//! keeps shortcuts distinct per owner on both databases (a NULL member would not).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("quick_replies")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(uuid_null("member_id"))
                .col(string("owner_key"))
                .col(string("shortcut"))
                .col(json_null("content"))
                .col(json_null("template"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_quick_replies_shortcut")
                .table("quick_replies")
                .col("shop_id")
                .col("owner_key")
                .col("shortcut")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("quick_replies").if_exists().to_owned()).await
    }
}
