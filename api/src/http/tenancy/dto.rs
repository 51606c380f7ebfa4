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
    pub created_at: DateTime<Utc>,
}

/// One entry of the audit log.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AuditEntryDto {
    /// `api-key:<id>`, `platform` or `system`.
    pub actor: String,
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
