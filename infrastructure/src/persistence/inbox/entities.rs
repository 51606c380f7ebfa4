//! Tables of the inbox context.

pub mod conversation_notes {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_notes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub conversation_id: Uuid,
        pub customer_id: Uuid,
        pub author: String,
        pub member_id: Option<Uuid>,
        pub body: String,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

pub(crate) fn note(m: conversation_notes::Model) -> domain::inbox::Note {
    domain::inbox::Note {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        conversation_id: m.conversation_id.into(),
        customer_id: m.customer_id.into(),
        author: m.author,
        member_id: m.member_id.map(Into::into),
        body: m.body,
        created_at: m.created_at,
    }
}
