//! Bodies of the merchant webhooks API.

use poem_openapi::Object;
use serde_json::Value;
use uuid::Uuid;

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSubscriptionRequest {
    /// Where to deliver: an HTTPS URL on the public internet (private, loopback and link-local
    /// addresses are refused, also when a name resolves to one at delivery time). The sandbox
    /// also takes plain HTTP to loopback, e.g. its own receiver
    /// `http://127.0.0.1:8080/sandbox/webhook-receiver`.
    #[oai(validator(min_length = 1, max_length = 2048))]
    pub url: String,
    /// Event types of docs/EVENTS.md (`message.received`, …), or `["*"]` for all.
    pub event_types: Vec<String>,
    #[oai(validator(max_length = 200))]
    pub description: Option<String>,
    /// Absent: true.
    pub active: Option<bool>,
}

impl poem_openapi::types::Example for CreateSubscriptionRequest {
    fn example() -> Self {
        Self {
            url: "https://hooks.example.com/whatsapp".into(),
            event_types: vec!["message.received".into(), "message.status.updated".into()],
            description: Some("CRM sync".into()),
            active: None,
        }
    }
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateSubscriptionRequest {
    #[oai(validator(min_length = 1, max_length = 2048))]
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    #[oai(validator(max_length = 200))]
    pub description: Option<String>,
    /// false disables it; true enables it again (its failure count starts over).
    pub active: Option<bool>,
    /// true: a new secret signs from now (shown once in the answer); the old one still signs,
    /// beside it, for 24 hours.
    pub rotate_secret: Option<bool>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct SubscriptionDto {
    pub id: Uuid,
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// `by_merchant`, or `failures` (50 failed attempts in a row).
    pub disabled_reason: Option<String>,
    pub consecutive_failures: u32,
    /// The signing secret (`whsec_…`): only in the answer that made it (create, rotation).
    pub secret: Option<String>,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_secret_until: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct SubscriptionListDto {
    pub items: Vec<SubscriptionDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct DeliveryDto {
    /// The `webhook-id` header (the same on every attempt).
    pub id: String,
    pub event_id: Uuid,
    pub event_type: String,
    /// `pending` (retrying), `delivered`, `dead` (given up after about 24 hours, or the
    /// subscription was disabled).
    pub state: String,
    pub attempts: u32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The receiver's last status, if it answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed: `status`, `timeout`, `connect`, `refused_address`,
    /// `subscription_disabled`.
    pub last_error: Option<String>,
    pub last_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The CloudEvents envelope delivered.
    pub payload: Value,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct DeliveryListDto {
    pub items: Vec<DeliveryDto>,
    pub total: u64,
    pub has_more: bool,
}
