//! Tables of the templates context.

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
        pub category: Option<String>,
        pub parameter_format: Option<String>,
        pub components: Option<Json>,
        pub account_id: Option<Uuid>,
        pub created_at: Option<DateTimeUtc>,
        pub quality: Option<String>,
        pub status_at: Option<DateTimeUtc>,
    }
    crate::persistence::entities::no_relations!();
}

pub mod template_categories {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "template_categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub shop_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub language: String,
        pub category: String,
    }
    crate::persistence::entities::no_relations!();
}

pub mod template_status_history {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "template_status_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub meta_template_id: String,
        pub status: String,
        pub reason: Option<String>,
        pub at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}
