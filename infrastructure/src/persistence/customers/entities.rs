//! Tables of the customers context.

pub mod customers {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub wa_id: String,
        pub user_id: Option<String>,
        pub name: Option<String>,
        pub profile_picture_url: Option<String>,
        pub opt_in_status: String,
        pub opt_in_source: Option<String>,
        pub opt_in_at: Option<DateTimeUtc>,
        pub tags: Json,
        pub custom_fields: Json,
        pub first_contacted_at: DateTimeUtc,
        pub last_inbound_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}
