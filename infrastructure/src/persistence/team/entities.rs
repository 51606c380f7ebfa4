//! Tables of the team context.

pub mod team_members {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "team_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub name: String,
        pub email: String,
        pub status: String,
        pub capacity: i32,
        pub skills: Json,
        pub active: bool,
        pub last_routed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

pub mod departments {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub name: String,
        pub description: Option<String>,
        pub routing_policy: String,
        pub working_hours: Option<Json>,
        pub sla_minutes: Option<i32>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

pub mod department_members {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "department_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub department_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: Uuid,
        pub shop_id: Uuid,
        pub position: i32,
    }
    crate::persistence::entities::no_relations!();
}
