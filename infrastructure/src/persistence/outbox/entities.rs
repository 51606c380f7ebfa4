//! The outbox table.

pub mod outbox {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub event_id: Uuid,
        pub shop_id: Uuid,
        pub event_type: String,
        pub subject: String,
        pub envelope: Json,
        pub created_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
    }
    crate::persistence::entities::no_relations!();
}

pub mod outbox_consumers {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_consumers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub watermark: i64,
        /// The rows handled above the watermark, as a JSON array of `seq`.
        pub ahead: Json,
        pub updated_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
