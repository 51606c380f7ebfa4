//! The search's backfill (docs/INBOX.md): messages and customers stored before the search
//! existed are indexed by a job, a batch at a time, from a cursor kept here (one row per kind).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("search_backfill")
                .if_not_exists()
                .col(string_len("kind", 16).primary_key())
                .col(uuid_null("after_id"))
                .col(boolean("done").default(false))
                .to_owned(),
        )
        .await?;
        let rows = Query::insert()
            .into_table("search_backfill")
            .columns(["kind"])
            .values_panic(["messages".into()])
            .values_panic(["customers".into()])
            .to_owned();
        m.exec_stmt(rows).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("search_backfill").if_exists().to_owned()).await
    }
}
