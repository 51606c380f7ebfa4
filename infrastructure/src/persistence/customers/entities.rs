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
        pub display_name: Option<String>,
        pub language: Option<String>,
        pub timezone: Option<String>,
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
        pub erased_at: Option<DateTimeUtc>,
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

pub mod custom_field_definitions {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "custom_field_definitions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub key: String,
        pub label: String,
        pub field_type: String,
        pub options: Json,
        pub pattern: Option<String>,
        pub required: bool,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

/// One row per tag of a customer (lowercase): what the tag filters search.
pub mod customer_tags {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_tags")]
    pub struct Model {
        pub shop_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag_key: String,
    }
    crate::persistence::entities::no_relations!();
}

/// One row per custom field value (per option of a multiple choice): what the field filters
/// search, as lowercase text and as a number (dates as seconds since 1970).
pub mod customer_field_values {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_field_values")]
    pub struct Model {
        pub shop_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub field_key: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub ord: i32,
        pub text_value: Option<String>,
        pub number_value: Option<f64>,
    }
    crate::persistence::entities::no_relations!();
}

pub mod segments {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "segments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub name: String,
        pub definition: Json,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
