//! Tables of the turns context.

pub mod threads {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "threads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub account_id: Uuid,
        pub customer_id: Uuid,
        pub wa_id: String,
        pub conversation_id: Uuid,
        pub owner: String,
        pub owner_member_id: Option<Uuid>,
        pub owner_reason: Option<String>,
        pub owner_since: Option<DateTimeUtc>,
        pub owner_expires_at: Option<DateTimeUtc>,
        pub waiting_since: Option<DateTimeUtc>,
        pub department_id: Option<Uuid>,
        pub away_sent_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

pub mod turns {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "turns")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub account_id: Uuid,
        pub customer_id: Uuid,
        pub wa_id: String,
        pub conversation_id: Uuid,
        pub state: String,
        pub first_at: DateTimeUtc,
        pub last_at: DateTimeUtc,
        pub due_at: DateTimeUtc,
        pub cap_at: DateTimeUtc,
        pub messages: i32,
        pub first_contact: bool,
        pub keyword: bool,
        pub attempts: i32,
        pub claimed_by: Option<String>,
        pub claimed_until: Option<DateTimeUtc>,
        pub responder: Option<String>,
        pub outcome: Option<String>,
        pub reason: Option<String>,
        pub replies: Json,
        pub answered_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

pub mod turn_messages {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "turn_messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub message_id: Uuid,
        pub turn_id: Uuid,
        pub shop_id: Uuid,
        pub wamid: String,
        pub received_at: DateTimeUtc,
    }
    crate::persistence::entities::no_relations!();
}

pub mod automated_responses {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "automated_responses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub shop_id: Uuid,
        pub name: String,
        pub trigger: String,
        pub keywords: Json,
        pub answer: Json,
        pub fallback_template: Option<Json>,
        pub priority: i32,
        pub active: bool,
        pub every_hours: Option<i32>,
        pub matched_count: i64,
        pub last_matched_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i64,
    }
    crate::persistence::entities::no_relations!();
}

/// Threads people own and assigned to one of `members`, whose time has not run out at `now`:
/// what a member holds (their load), as the team's reads, the assignment's capacity check and
/// the inbox's list count it.
pub(crate) fn held_by(shop: uuid::Uuid, members: Vec<uuid::Uuid>, now: chrono::DateTime<chrono::Utc>) -> sea_orm::Condition {
    use sea_orm::ColumnTrait;
    use threads::Column as C;
    sea_orm::Condition::all()
        .add(C::ShopId.eq(shop))
        .add(C::Owner.eq("people"))
        .add(C::OwnerMemberId.is_in(members))
        .add(sea_orm::Condition::any().add(C::OwnerExpiresAt.is_null()).add(C::OwnerExpiresAt.gt(now)))
}
