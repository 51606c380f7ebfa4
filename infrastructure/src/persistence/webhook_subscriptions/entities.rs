//! Tables of the merchant webhooks context.

pub mod webhook_subscriptions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub url: String,
        pub event_types: Json,
        pub description: Option<String>,
        pub status: String,
        pub consecutive_failures: i32,
        pub disabled_reason: Option<String>,
        pub secret: String,
        pub previous_secret: Option<String>,
        pub previous_until: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

pub mod webhook_deliveries {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub subscription_id: Uuid,
        pub shop_id: Uuid,
        pub customer_id: Option<Uuid>,
        pub event_id: Uuid,
        pub event_type: String,
        pub payload: Json,
        pub state: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_status: Option<i32>,
        pub last_error: Option<String>,
        pub last_attempt_at: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
        pub claimed_by: Option<String>,
        pub claimed_until: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
