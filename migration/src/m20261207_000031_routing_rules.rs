//! Routing rules (docs/INBOX.md): which department a thread that needs a person goes to, from
//! the customer's tags and language and the number they wrote to; tried by priority. And each
//! department's SLA: how long an assignee has to answer before the thread goes back to routing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("routing_rules")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string("name"))
                .col(integer("priority"))
                .col(json("tags"))
                .col(string_null("language"))
                .col(uuid_null("account_id"))
                .col(uuid("department_id"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_routing_rules_shop").table("routing_rules").col("shop_id").if_not_exists().to_owned())
            .await?;
        m.alter_table(Table::alter().table("departments").add_column(integer_null("sla_minutes")).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("departments").drop_column("sla_minutes").to_owned()).await?;
        m.drop_table(Table::drop().table("routing_rules").if_exists().to_owned()).await
    }
}
