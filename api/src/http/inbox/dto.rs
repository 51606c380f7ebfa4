//! Bodies of the inbox API.

use poem_openapi::Object;
use uuid::Uuid;

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignRequest {
    /// An active member of the shop's team below their capacity.
    pub member_id: Uuid,
}

/// Who holds the customer's thread now.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AssignmentDto {
    pub conversation_id: Uuid,
    pub thread_id: Uuid,
    /// `people` once people took it.
    pub owner: String,
    /// The member it is assigned to (null: people, nobody in particular).
    pub member_id: Option<Uuid>,
    pub previous_member_id: Option<Uuid>,
    /// The department whose members it goes to when it waits (a transfer set it), else null.
    pub department_id: Option<Uuid>,
    /// When people hand the thread back to the automated responders if nothing happens (the
    /// shop's `handBackHours` after the last activity).
    pub owner_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where a conversation goes: a member, or a department (exactly one of the two).
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferRequest {
    /// An active member of the shop's team below their capacity.
    pub member_id: Option<Uuid>,
    /// One of the shop's departments: the thread waits for its members, and routing gives it to
    /// one of them by the department's policy.
    pub department_id: Option<Uuid>,
}

/// What one pass over the queue did.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct RoutingPassDto {
    /// Threads given to a member now.
    pub assigned: u64,
    /// Threads still waiting: nobody fits (away, at capacity, outside working hours, `manual`).
    pub waiting: u64,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NoteRequest {
    /// 1 to 5,000 characters; never sent to the customer.
    #[oai(validator(min_length = 1, max_length = 5000, pattern = r"\S"))]
    pub body: String,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct NoteDto {
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// Who wrote it, as the audit log names actors (`api-key:<id>`).
    pub author: String,
    /// The member the author's key acts for (a bound `agent` key), beside it.
    pub member_id: Option<Uuid>,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct NoteListDto {
    /// Oldest first.
    pub items: Vec<NoteDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CloseRequest {
    /// Why people are done (`resolved`, `spam`, …), 1 to 100 characters. Absent: `resolved`.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub reason: Option<String>,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PendingRequest {
    /// Whom or what people wait on (`the warehouse`, …), 1 to 100 characters. Absent: `waiting`.
    #[oai(validator(min_length = 1, max_length = 100))]
    pub reason: Option<String>,
}

/// A thread a member holds.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct HeldThreadDto {
    /// The thread's latest conversation (window).
    pub conversation_id: Uuid,
    pub thread_id: Uuid,
    pub customer_id: Uuid,
    pub wa_id: String,
    /// Since when people own it.
    pub owner_since: Option<chrono::DateTime<chrono::Utc>>,
    /// When people hand it back if nothing happens.
    pub owner_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Since when the customer waits for an answer (null: answered).
    pub waiting_since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct HeldThreadListDto {
    /// The longest held first.
    pub items: Vec<HeldThreadDto>,
    pub total: u64,
    pub has_more: bool,
}

/// A routing rule: threads of matching customers go to the department when they need a person.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoutingRuleRequest {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    /// Rules are tried lowest first (then oldest). Absent: 100.
    #[oai(validator(minimum(value = "-1000000"), maximum(value = "1000000")))]
    pub priority: Option<i32>,
    /// Any of these tags on the customer (case-insensitive). Absent or empty: any customer.
    #[oai(validator(max_items = 20))]
    pub tags: Option<Vec<String>>,
    /// The customer's language (BCP 47); `pt` matches `pt-BR` too.
    pub language: Option<String>,
    /// Only threads with this number of the shop.
    pub account_id: Option<Uuid>,
    /// One of the shop's departments.
    pub department_id: Uuid,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct RoutingRuleDto {
    pub id: Uuid,
    pub name: String,
    pub priority: i32,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub account_id: Option<Uuid>,
    pub department_id: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<&domain::inbox::RoutingRule> for RoutingRuleDto {
    fn from(r: &domain::inbox::RoutingRule) -> Self {
        Self {
            id: r.id.as_uuid(),
            name: r.name.clone(),
            priority: r.priority,
            tags: r.tags.clone(),
            language: r.language.clone(),
            account_id: r.account_id.map(|a| a.as_uuid()),
            department_id: r.department_id.as_uuid(),
            created_at: r.created_at,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct RoutingRuleListDto {
    /// In the order routing tries them.
    pub items: Vec<RoutingRuleDto>,
    pub total: u64,
}

/// A conversation's tags: the whole set (it replaces the current one).
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagsRequest {
    /// At most 20, each 1 to 50 characters (trimmed), kept once (case-insensitively). `[]` clears.
    #[oai(validator(max_items = 20))]
    pub tags: Vec<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TagsDto {
    pub conversation_id: Uuid,
    pub tags: Vec<String>,
}
