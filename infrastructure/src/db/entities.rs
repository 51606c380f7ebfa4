//! sea-orm entities. They stay in infrastructure; repositories map them to domain types.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

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
    no_relations!();
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
    }
    no_relations!();
}

pub mod whatsapp_accounts {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "whatsapp_accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub phone_number_id: String,
        pub display_phone_number: String,
        pub waba_id: String,
        pub display_name: Option<String>,
        pub access_token_encrypted: String,
        pub status: String,
        pub messaging_tier: String,
        pub quality_rating: String,
        pub throughput_mps: i32,
        pub connected_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

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
    }
    no_relations!();
}

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
    }
    no_relations!();
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
        pub from_number: String,
        pub to_number: String,
        pub timestamp: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
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
    no_relations!();
}

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
        pub claimed_by: Option<String>,
        pub claimed_until: Option<DateTimeUtc>,
    }
    no_relations!();
}

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
    no_relations!();
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
    no_relations!();
}

pub mod templates {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub waba_id: String,
        pub meta_template_id: String,
        pub name: String,
        pub language: String,
        pub status: String,
        pub reason: Option<String>,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}
