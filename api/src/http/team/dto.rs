//! Bodies of the team API.

use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use uuid::Uuid;

use crate::http::tenancy::dto::BusinessHoursDto;

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateMemberRequest {
    /// 1 to 100 characters.
    #[oai(validator(min_length = 1, max_length = 100, pattern = r"\S"))]
    pub name: String,
    /// Unique in the shop's team (compared lower-cased).
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    /// The most conversations they hold at once, 1 to 100. Absent: 5.
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub capacity: Option<u32>,
    /// Tags that routing matches (`billing`, `pt-BR`): up to 20, each 1 to 40 letters, digits,
    /// `-` or `_`.
    #[oai(validator(max_items = 20))]
    pub skills: Option<Vec<String>>,
    /// `available`, `away` or `offline`. Absent: offline.
    pub status: Option<String>,
}

impl poem_openapi::types::Example for CreateMemberRequest {
    fn example() -> Self {
        Self {
            name: "Ana Souza".into(),
            email: "ana@shop.example.com".into(),
            capacity: Some(5),
            skills: Some(vec!["billing".into(), "pt-BR".into()]),
            status: Some("available".into()),
        }
    }
}

/// A change of a member: absent fields stay as they are.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateMemberRequest {
    #[oai(validator(min_length = 1, max_length = 100, pattern = r"\S"))]
    pub name: Option<String>,
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
    pub capacity: Option<u32>,
    /// The whole list (replaces the current one).
    #[oai(validator(max_items = 20))]
    pub skills: Option<Vec<String>>,
    /// false deactivates the member: they keep their history and receive no new work.
    pub active: Option<bool>,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberStatusRequest {
    /// `available` (receives work), `away` or `offline`.
    pub status: String,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MemberDto {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// `available`, `away` or `offline`.
    pub status: String,
    pub capacity: u32,
    pub skills: Vec<String>,
    /// false: deactivated (no new work).
    pub active: bool,
    /// Conversations people own and assigned to them now.
    pub load: u32,
    /// At capacity (derived from `load`).
    pub busy: bool,
    pub department_ids: Vec<Uuid>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MemberListDto {
    pub items: Vec<MemberDto>,
    pub total: u64,
    pub has_more: bool,
}

/// A department's own working hours.
#[derive(Object, Clone, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkingHoursDto {
    /// An IANA time zone; absent or null: the shop's.
    #[oai(validator(max_length = 64))]
    pub time_zone: Option<String>,
    /// Opening intervals per weekday (an absent or empty day is closed).
    pub business_hours: BusinessHoursDto,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateDepartmentRequest {
    /// Unique in the shop, 1 to 100 characters.
    #[oai(validator(min_length = 1, max_length = 100, pattern = r"\S"))]
    pub name: String,
    #[oai(validator(max_length = 500))]
    pub description: Option<String>,
    /// `round_robin`, `least_busy`, `capacity_aware`, `skills` or `manual`. Absent:
    /// `capacity_aware`.
    pub routing_policy: Option<String>,
    /// Members of the shop's team, in order. Absent: none.
    #[oai(validator(max_items = 500))]
    pub member_ids: Option<Vec<Uuid>>,
    /// Absent or null: the shop's business hours.
    pub working_hours: Option<WorkingHoursDto>,
    /// How long an assignee has to answer a waiting customer before the conversation goes back
    /// to routing, 1 to 1440 minutes. Absent or null: no SLA.
    pub sla_minutes: Option<u32>,
}

impl poem_openapi::types::Example for CreateDepartmentRequest {
    fn example() -> Self {
        Self {
            name: "Billing".into(),
            description: Some("Invoices and refunds".into()),
            routing_policy: Some("capacity_aware".into()),
            member_ids: Some(vec![]),
            working_hours: None,
            sla_minutes: Some(30),
        }
    }
}

/// A change of a department: absent fields stay; `null` clears `description` and
/// `workingHours` (the shop's hours apply again).
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateDepartmentRequest {
    #[oai(validator(min_length = 1, max_length = 100, pattern = r"\S"))]
    pub name: Option<String>,
    #[oai(validator(max_length = 500))]
    #[serde(default)]
    pub description: MaybeUndefined<String>,
    pub routing_policy: Option<String>,
    /// The whole list (replaces the current one).
    #[oai(validator(max_items = 500))]
    pub member_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub working_hours: MaybeUndefined<WorkingHoursDto>,
    /// `null`: no SLA.
    #[serde(default)]
    pub sla_minutes: MaybeUndefined<u32>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct DepartmentDto {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub routing_policy: String,
    pub member_ids: Vec<Uuid>,
    /// Null: the shop's business hours.
    pub working_hours: Option<WorkingHoursOutDto>,
    /// Null: no SLA.
    pub sla_minutes: Option<u32>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct WorkingHoursOutDto {
    /// Null: the shop's time zone.
    pub time_zone: Option<String>,
    pub business_hours: BusinessHoursDto,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct DepartmentListDto {
    pub items: Vec<DepartmentDto>,
    pub total: u64,
    pub has_more: bool,
}
