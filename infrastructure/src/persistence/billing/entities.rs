//! Tables of the billing context.

pub mod rate_cards {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "rate_cards")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub shop_id: Uuid,
        pub currency: String,
        /// `[{"category", "prefix", "priceMicros"}]`.
        pub rates: Json,
        pub updated_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
