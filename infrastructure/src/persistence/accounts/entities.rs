//! Tables of the accounts context.

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
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}
