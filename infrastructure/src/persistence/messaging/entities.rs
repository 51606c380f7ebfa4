//! Tables of the messaging context.

pub mod conversations {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub account_id: Uuid,
        pub customer_id: Uuid,
        pub wa_id: String,
        pub status: String,
        pub origin: String,
        pub assigned_agent_id: Option<Uuid>,
        pub last_inbound_at: Option<DateTimeUtc>,
        pub last_message_at: DateTimeUtc,
        pub entry_referred_at: Option<DateTimeUtc>,
        pub entry_first_reply_at: Option<DateTimeUtc>,
        pub started_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
        pub inbox_state: String,
        pub inbox_close_reason: Option<String>,
        /// Kept set-based by the store (never by the aggregate's save).
        pub unread_count: i32,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

pub mod messages {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub account_id: Uuid,
        pub conversation_id: Uuid,
        pub customer_id: Uuid,
        pub wa_id: String,
        pub direction: String,
        pub wamid: Option<String>,
        pub kind: String,
        pub content_type: String,
        pub content: Json,
        pub status: String,
        pub error: Option<Json>,
        pub pricing: Option<Json>,
        pub context: Option<Json>,
        pub referral: Option<Json>,
        pub user_id: Option<String>,
        pub sent_by: Option<String>,
        pub from_number: String,
        pub to_number: String,
        pub timestamp: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

pub mod message_statuses {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "message_statuses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub wamid: String,
        pub status: String,
        pub occurred_at: Option<DateTimeUtc>,
        pub payload: Json,
        pub received_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

pub mod deliveries {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub message_id: Uuid,
        pub shop_id: Uuid,
        pub account_id: Uuid,
        pub wa_id: String,
        pub priority: i32,
        pub state: String,
        pub attempts: i32,
        pub pair_retries: i32,
        pub next_attempt_at: DateTimeUtc,
        pub claimed_by: Option<String>,
        pub claimed_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

pub mod idempotency_keys {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub shop_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub fingerprint: String,
        pub message_id: Option<Uuid>,
        pub answer_status: Option<i32>,
        pub answer_body: Option<String>,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
