//! The team (docs/INBOX.md):
//! - `team_members`: the shop's members (the API's agents): name, email (unique in the shop),
//!   status, capacity, skills, active.
//! - `departments`: a name (unique in the shop), a routing policy, optional working hours.
//! - `department_members`: who belongs to which department, in the order named.
//!
//! A member's load is counted from `threads` (owner `people` with `owner_member_id`), indexed here.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("team_members")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string_len("name", 100))
                .col(string_len("email", 254))
                .col(string("status"))
                .col(integer("capacity"))
                .col(json_binary("skills"))
                .col(boolean("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(big_integer("version"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_team_members_email")
                .table("team_members")
                .col("shop_id")
                .col("email")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("departments")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("shop_id"))
                .col(string_len("name", 100))
                .col(string_len_null("description", 500))
                .col(string("routing_policy"))
                .col(json_binary_null("working_hours"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .col(big_integer("version"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ux_departments_name").table("departments").col("shop_id").col("name").unique().if_not_exists().to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("department_members")
                .if_not_exists()
                .col(uuid("department_id"))
                .col(uuid("member_id"))
                .col(uuid("shop_id"))
                .col(integer("position"))
                .primary_key(Index::create().col("department_id").col("member_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_department_members_member").table("department_members").col("member_id").if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_threads_owner_member").table("threads").col("owner_member_id").if_not_exists().to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_threads_owner_member").table("threads").to_owned()).await?;
        for t in ["department_members", "departments", "team_members"] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
