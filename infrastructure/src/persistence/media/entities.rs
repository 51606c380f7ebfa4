//! Tables of the media context.

pub mod media {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "media")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub account_id: Option<Uuid>,
        pub origin: String,
        pub kind: String,
        pub mime_type: Option<String>,
        pub filename: Option<String>,
        pub size: Option<i64>,
        pub sha256: Option<String>,
        pub expected_sha256: Option<String>,
        pub meta_media_id: Option<String>,
        pub meta_uploaded_at: Option<DateTimeUtc>,
        pub message_id: Option<Uuid>,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub claimed_by: Option<String>,
        pub claimed_until: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub stored_at: Option<DateTimeUtc>,
        pub removed_at: Option<DateTimeUtc>,
    }
    crate::persistence::entities::no_relations!();
}

pub mod media_settings {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "media_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub shop_id: Uuid,
        pub retention_days: Option<i32>,
        pub updated_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
