//! Request and response bodies of the tenancy API.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use application::tenancy::ports::{ApiKeyRecord, Shop};
use domain::tenancy::Role;

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateShopRequest {
    /// The merchant's name.
    #[oai(validator(max_length = 200, pattern = r"\S"))]
    pub name: String,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ShopDto {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<Shop> for ShopDto {
    fn from(s: Shop) -> Self {
        Self { id: s.id.as_uuid(), name: s.name, created_at: s.created_at }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    Admin,
    Agent,
    Viewer,
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Admin => Role::Admin,
            RoleDto::Agent => Role::Agent,
            RoleDto::Viewer => Role::Viewer,
        }
    }
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => RoleDto::Admin,
            Role::Agent => RoleDto::Agent,
            Role::Viewer => RoleDto::Viewer,
        }
    }
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    /// admin configures, agent messages, viewer reads.
    pub role: RoleDto,
    /// For an `agent` key: the member (`/api/v1/agents`) it acts for. What the key does is then
    /// attributed to them beside the key: `sentBy` of its messages, its notes, the audit log's
    /// `actorMemberId`. An active member of the shop (422 naming `memberId` otherwise).
    pub member_id: Option<Uuid>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ApiKeyDto {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub name: String,
    pub role: RoleDto,
    /// The first characters of the key, to recognise it.
    pub key_prefix: String,
    /// The member it acts for, if bound.
    pub member_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl From<ApiKeyRecord> for ApiKeyDto {
    fn from(k: ApiKeyRecord) -> Self {
        Self {
            id: k.id.as_uuid(),
            shop_id: k.shop_id.as_uuid(),
            name: k.name,
            role: k.role.into(),
            key_prefix: k.key_prefix,
            member_id: k.member_id.map(|m| m.as_uuid()),
            created_at: k.created_at,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ApiKeyCreatedDto {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub name: String,
    pub role: RoleDto,
    /// The key itself. Shown only once: store it now.
    pub key: String,
    pub key_prefix: String,
    /// The member it acts for, if bound.
    pub member_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// One entry of the audit log.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AuditEntryDto {
    /// `api-key:<id>`, `platform` or `system`.
    pub actor: String,
    /// The member the actor's key acts for (a bound `agent` key), beside it.
    pub actor_member_id: Option<Uuid>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AuditLogDto {
    /// Newest first.
    pub items: Vec<AuditEntryDto>,
    pub total: u64,
    pub has_more: bool,
}

/// One opening interval, in the shop's time zone: `open` included, `close` excluded.
#[derive(Object, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalDto {
    /// `HH:MM`.
    pub open: String,
    /// `HH:MM`, after `open`; `24:00` closes at midnight.
    pub close: String,
}

/// Opening intervals per weekday (an absent or empty day is closed).
#[derive(Object, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHoursDto {
    pub monday: Option<Vec<IntervalDto>>,
    pub tuesday: Option<Vec<IntervalDto>>,
    pub wednesday: Option<Vec<IntervalDto>>,
    pub thursday: Option<Vec<IntervalDto>>,
    pub friday: Option<Vec<IntervalDto>>,
    pub saturday: Option<Vec<IntervalDto>>,
    pub sunday: Option<Vec<IntervalDto>>,
}

impl BusinessHoursDto {
    pub fn days(&self) -> [&Option<Vec<IntervalDto>>; 7] {
        [&self.monday, &self.tuesday, &self.wednesday, &self.thursday, &self.friday, &self.saturday, &self.sunday]
    }
}

/// The shop's settings that answering reads: its time zone, business hours, closed dates and
/// the quiet time of a turn.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShopSettingsRequest {
    /// An IANA time zone (`America/Sao_Paulo`). A customer's own valid time zone wins over it
    /// where a customer's local time matters.
    #[oai(validator(max_length = 64))]
    pub time_zone: String,
    /// Opening hours per weekday in the shop's zone; absent or null: always open.
    pub business_hours: Option<BusinessHoursDto>,
    /// Dates (`YYYY-MM-DD`, in the shop's zone) the shop is closed all day. Absent: none.
    #[oai(validator(max_items = 366))]
    pub closed_dates: Option<Vec<String>>,
    /// How long a customer's burst of messages is waited for before it is answered once
    /// (milliseconds, 0 to 10000). Absent: 2000.
    pub turn_quiet_ms: Option<u32>,
    /// Hours without activity after which people hand a thread back to the automated
    /// responders (1 to 720). Absent: 24.
    pub hand_back_hours: Option<u32>,
}

impl poem_openapi::types::Example for ShopSettingsRequest {
    fn example() -> Self {
        let weekday = Some(vec![
            IntervalDto { open: "09:00".into(), close: "12:00".into() },
            IntervalDto { open: "13:00".into(), close: "18:00".into() },
        ]);
        Self {
            time_zone: "America/Sao_Paulo".into(),
            business_hours: Some(BusinessHoursDto {
                monday: weekday.clone(),
                tuesday: weekday.clone(),
                wednesday: weekday.clone(),
                thursday: weekday.clone(),
                friday: weekday,
                saturday: Some(vec![IntervalDto { open: "09:00".into(), close: "13:00".into() }]),
                sunday: None,
            }),
            closed_dates: Some(vec!["2026-12-25".into()]),
            turn_quiet_ms: Some(2000),
            hand_back_hours: Some(24),
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ShopSettingsDto {
    pub time_zone: String,
    /// Null: always open.
    pub business_hours: Option<BusinessHoursDto>,
    pub closed_dates: Vec<String>,
    pub turn_quiet_ms: u32,
    pub hand_back_hours: u32,
    /// Whether the shop is open now, by its hours and closed dates.
    pub open_now: bool,
    /// Null: the shop never changed the defaults (UTC, always open, 2000 ms).
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}
