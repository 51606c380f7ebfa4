//! Tables of the tenancy context.

pub mod shops {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "shops")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

pub mod api_keys {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub name: String,
        pub role: String,
        pub key_hash: String,
        pub key_prefix: String,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub member_id: Option<Uuid>,
    }
    crate::persistence::entities::no_relations!();
}

pub mod shop_settings {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "shop_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub shop_id: Uuid,
        pub time_zone: String,
        pub business_hours: Option<Json>,
        pub closed_dates: Json,
        pub turn_quiet_ms: i32,
        pub hand_back_hours: i32,
        pub updated_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
