//! Request and response bodies of the accounts API.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use uuid::Uuid;

use domain::accounts::WhatsAppAccount;

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectAccountRequest {
    /// Meta's phone number id (digits).
    #[oai(validator(pattern = r"^\s*[0-9]{1,32}\s*$"))]
    pub phone_number_id: String,
    /// The business number, E.164 (`+5511…`).
    #[oai(validator(pattern = r"^\s*\+[ \-.()]*[1-9]([ \-.()]*[0-9]){7,14}[ \-.()]*\s*$"))]
    pub display_phone_number: String,
    /// The WhatsApp Business Account id.
    #[oai(validator(pattern = r"^\s*[0-9]{1,32}\s*$"))]
    pub waba_id: String,
    /// A system-user access token. Stored encrypted; never returned.
    #[oai(validator(pattern = r"^[\x21-\x7E]{1,4096}$"))]
    pub access_token: String,
    #[oai(validator(max_length = 100))]
    pub display_name: Option<String>,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
/// What an update may set (DELETE disconnects).
pub enum AccountStatusDto {
    Active,
    Suspended,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
pub enum MessagingTierDto {
    #[oai(rename = "tier_250")]
    #[serde(rename = "tier_250")]
    Tier250,
    #[oai(rename = "tier_1k")]
    #[serde(rename = "tier_1k")]
    Tier1k,
    #[oai(rename = "tier_10k")]
    #[serde(rename = "tier_10k")]
    Tier10k,
    #[oai(rename = "tier_100k")]
    #[serde(rename = "tier_100k")]
    Tier100k,
    #[serde(rename = "unlimited")]
    Unlimited,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[oai(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum QualityRatingDto {
    Green,
    Yellow,
    Red,
    Unknown,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateAccountRequest {
    #[oai(validator(max_length = 100))]
    pub display_name: Option<String>,
    /// Rotate the access token.
    #[oai(validator(pattern = r"^[\x21-\x7E]{1,4096}$"))]
    pub access_token: Option<String>,
    /// `active` or `suspended` (use DELETE to disconnect).
    pub status: Option<AccountStatusDto>,
    pub messaging_tier: Option<MessagingTierDto>,
    pub quality_rating: Option<QualityRatingDto>,
    /// Messages per second this number may send (1 to 1000; Meta's default is 80).
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub throughput_mps: Option<u32>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AccountDto {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub waba_id: String,
    pub display_name: Option<String>,
    /// active, suspended or disconnected.
    pub status: String,
    /// tier_250, tier_1k, tier_10k, tier_100k or unlimited.
    pub messaging_tier: String,
    /// green, yellow, red or unknown.
    pub quality_rating: String,
    /// Messages per second this number may send; the dispatcher keeps a configured headroom below it.
    pub throughput_mps: u32,
    pub connected_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WhatsAppAccount> for AccountDto {
    fn from(a: WhatsAppAccount) -> Self {
        let a = a.snapshot();
        Self {
            id: a.id.as_uuid(),
            shop_id: a.shop_id.as_uuid(),
            phone_number_id: a.phone_number_id.to_string(),
            display_phone_number: a.display_phone_number.to_string(),
            waba_id: a.waba_id.to_string(),
            display_name: a.display_name.clone(),
            status: a.status.as_str().into(),
            messaging_tier: a.messaging_tier.as_str().into(),
            quality_rating: a.quality_rating.as_str().into(),
            throughput_mps: a.throughput_mps,
            connected_at: a.connected_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AccountListDto {
    pub accounts: Vec<AccountDto>,
}

/// The spec's example: a number of the sandbox (its tokens start with `EAAG`).
impl poem_openapi::types::Example for ConnectAccountRequest {
    fn example() -> Self {
        Self {
            phone_number_id: "1065409999".into(),
            display_phone_number: "+15550009999".into(),
            waba_id: "2002".into(),
            access_token: "EAAG-sandbox".into(),
            display_name: Some("Padaria Central".into()),
        }
    }
}
