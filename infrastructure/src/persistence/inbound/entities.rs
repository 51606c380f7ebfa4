//! Tables of the inbound context.

pub mod webhook_events {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub received_at: DateTimeUtc,
        pub body: String,
        pub state: String,
        pub attempts: i32,
        pub fields: Option<String>,
        pub note: Option<String>,
        pub processed_at: Option<DateTimeUtc>,
        pub raw_body: Option<Vec<u8>>,
    }
    crate::persistence::entities::no_relations!();
}
