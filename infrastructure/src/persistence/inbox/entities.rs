//! Tables of the inbox context.

pub mod conversation_tags {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_tags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub tag_key: String,
        pub shop_id: Uuid,
        pub customer_id: Uuid,
        pub tag: String,
        pub position: i32,
    }
    crate::persistence::entities::no_relations!();
}

pub mod routing_rules {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "routing_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub name: String,
        pub priority: i32,
        pub tags: Json,
        pub language: Option<String>,
        pub account_id: Option<Uuid>,
        pub department_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

/// A shop's routing rules in the order routing tries them: priority, then oldest.
pub(crate) fn rules_in_order(shop: domain::ShopId) -> sea_orm::Select<routing_rules::Entity> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    routing_rules::Entity::find()
        .filter(routing_rules::Column::ShopId.eq(shop.as_uuid()))
        .order_by_asc(routing_rules::Column::Priority)
        .order_by_asc(routing_rules::Column::CreatedAt)
        .order_by_asc(routing_rules::Column::Id)
}

pub(crate) fn rule(m: routing_rules::Model) -> application::RepoResult<domain::inbox::RoutingRule> {
    Ok(domain::inbox::RoutingRule {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        name: m.name,
        priority: m.priority,
        tags: serde_json::from_value(m.tags).map_err(|_| crate::persistence::corrupt("routing rule tags", m.id))?,
        language: m.language,
        account_id: m.account_id.map(Into::into),
        department_id: m.department_id.into(),
        created_at: m.created_at,
    })
}

pub(crate) fn rule_row(r: &domain::inbox::RoutingRule) -> routing_rules::ActiveModel {
    use sea_orm::ActiveValue::Set;
    routing_rules::ActiveModel {
        id: Set(r.id.as_uuid()),
        shop_id: Set(r.shop_id.as_uuid()),
        name: Set(r.name.clone()),
        priority: Set(r.priority),
        tags: Set(serde_json::json!(r.tags)),
        language: Set(r.language.clone()),
        account_id: Set(r.account_id.map(|a| a.as_uuid())),
        department_id: Set(r.department_id.as_uuid()),
        created_at: Set(r.created_at),
    }
}

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

pub mod quick_replies {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "quick_replies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub member_id: Option<Uuid>,
        /// `shared`, or the member's id: shortcuts are unique per owner.
        pub owner_key: String,
        pub shortcut: String,
        pub content: Option<Json>,
        pub template: Option<Json>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

/// Whose shortcuts a quick reply's must differ from.
pub(crate) fn owner_key(member: Option<domain::MemberId>) -> String {
    member.map_or_else(|| "shared".to_owned(), |m| m.to_string())
}

pub(crate) fn quick_reply(m: quick_replies::Model) -> application::RepoResult<domain::inbox::QuickReply> {
    use domain::inbox::QuickReplyMessage;
    let corrupt = || crate::persistence::corrupt("quick reply message", m.id);
    let message = match (m.content, m.template) {
        (Some(c), None) => QuickReplyMessage::Content(c),
        (None, Some(t)) => QuickReplyMessage::Template(serde_json::from_value(t).map_err(|_| corrupt())?),
        _ => return Err(corrupt()),
    };
    Ok(domain::inbox::QuickReply {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        member_id: m.member_id.map(Into::into),
        shortcut: m.shortcut,
        message,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) fn quick_reply_row(q: &domain::inbox::QuickReply) -> quick_replies::ActiveModel {
    use domain::inbox::QuickReplyMessage;
    use sea_orm::ActiveValue::Set;
    let (content, template) = match &q.message {
        QuickReplyMessage::Content(c) => (Some(c.clone()), None),
        QuickReplyMessage::Template(t) => (None, Some(serde_json::json!(t))),
    };
    quick_replies::ActiveModel {
        id: Set(q.id.as_uuid()),
        shop_id: Set(q.shop_id.as_uuid()),
        member_id: Set(q.member_id.map(|m| m.as_uuid())),
        owner_key: Set(owner_key(q.member_id)),
        shortcut: Set(q.shortcut.clone()),
        content: Set(content),
        template: Set(template),
        created_at: Set(q.created_at),
        updated_at: Set(q.updated_at),
    }
}

pub mod member_handlings {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "member_handlings")]
    pub struct Model {
        /// The `conversation.assigned` event that started it.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub conversation_id: Uuid,
        pub member_id: Uuid,
        pub department_id: Option<Uuid>,
        pub assigned_at: DateTimeUtc,
        pub first_response_at: Option<DateTimeUtc>,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }
    crate::persistence::entities::no_relations!();
}

pub(crate) fn handling(m: member_handlings::Model) -> domain::inbox::stats::Handling {
    domain::inbox::stats::Handling {
        conversation_id: m.conversation_id.into(),
        member_id: m.member_id.into(),
        department_id: m.department_id.map(Into::into),
        assigned_at: m.assigned_at,
        first_response_at: m.first_response_at,
        ended_at: m.ended_at,
        end: m.end_reason.as_deref().and_then(domain::inbox::stats::HandlingEnd::parse),
    }
}
