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
        pub utility_status: String,
        pub utility_source: Option<String>,
        pub utility_at: Option<DateTimeUtc>,
        pub tags: Json,
        pub custom_fields: Json,
        pub first_contacted_at: DateTimeUtc,
        pub last_inbound_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

pub mod consent_entries {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "consent_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub customer_id: Uuid,
        pub purpose: String,
        pub status: String,
        pub source: String,
        pub evidence: Option<String>,
        pub actor: Option<String>,
        pub recorded_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

pub mod consent_settings {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "consent_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub shop_id: Uuid,
        pub require_marketing_opt_in: bool,
        pub opt_out_keywords: Json,
        pub opt_in_keywords: Json,
        pub opt_out_reply: Option<String>,
        pub opt_in_reply: Option<String>,
        pub updated_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
