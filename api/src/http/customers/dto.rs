//! Response bodies of the customers API.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use domain::customers::{ConsentEntry, ConsentSettings, ConsentState, Customer, OptInConsent};

use crate::http::messaging::dto::ConversationDto;

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct CustomerDto {
    pub id: Uuid,
    /// The customer's WhatsApp id (their number's digits).
    pub wa_id: String,
    /// The id a sibling service gave this customer.
    pub user_id: Option<String>,
    /// The WhatsApp profile name.
    pub name: Option<String>,
    /// The name the merchant gave the customer.
    pub display_name: Option<String>,
    /// A language code (`pt_BR`).
    pub language: Option<String>,
    /// An IANA time zone (`America/Sao_Paulo`).
    pub timezone: Option<String>,
    /// Custom field values by key, in their canonical form.
    pub custom_fields: std::collections::BTreeMap<String, serde_json::Value>,
    /// Marketing consent (as `consent.marketing.status`): pending, opted_in or opted_out.
    pub opt_in_status: String,
    /// The current state of each purpose: its latest ledger entry, or pending.
    pub consent: ConsentStateDto,
    pub tags: Vec<String>,
    pub first_contacted_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// When the customer's personal data was erased (GDPR); null otherwise.
    pub erased_at: Option<DateTime<Utc>>,
}

impl From<&Customer> for CustomerDto {
    fn from(c: &Customer) -> Self {
        let s = c.snapshot();
        Self {
            id: s.id.as_uuid(),
            wa_id: s.wa_id.to_string(),
            user_id: s.user_id.clone(),
            name: s.name.clone(),
            display_name: s.display_name.clone(),
            language: s.language.clone(),
            timezone: s.timezone.clone(),
            custom_fields: s.custom_fields.clone(),
            opt_in_status: s.consent.marketing.status.as_str().into(),
            consent: ConsentStateDto::from(&s.consent),
            tags: s.tags.clone(),
            first_contacted_at: s.first_contacted_at,
            last_inbound_at: s.last_inbound_at,
            updated_at: s.updated_at,
            erased_at: s.erased_at,
        }
    }
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddTagsRequest {
    /// Free text, trimmed; unique per customer without regard to case.
    #[oai(validator(min_items = 1, max_items = 100, max_length = 64, pattern = r"\S"))]
    pub tags: Vec<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct CustomerListDto {
    pub customers: Vec<CustomerDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct CustomerDetailDto {
    pub customer: CustomerDto,
    /// Newest first, at most 50.
    pub conversations: Vec<ConversationDto>,
    pub conversations_total: u64,
}

/// One purpose's current consent.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct PurposeConsentDto {
    /// pending, opted_in or opted_out.
    pub status: String,
    /// Where the latest entry came from: web, whatsapp, manual, api, import or meta.
    pub source: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<OptInConsent> for PurposeConsentDto {
    fn from(c: OptInConsent) -> Self {
        Self { status: c.status.as_str().into(), source: c.source.map(|s| s.as_str().into()), updated_at: c.at }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConsentStateDto {
    pub marketing: PurposeConsentDto,
    /// Utility and authentication templates.
    pub utility: PurposeConsentDto,
}

impl From<&ConsentState> for ConsentStateDto {
    fn from(c: &ConsentState) -> Self {
        Self { marketing: c.marketing.into(), utility: c.utility.into() }
    }
}

/// One entry of the append-only consent ledger.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConsentEntryDto {
    pub id: Uuid,
    /// marketing or utility.
    pub purpose: String,
    /// opted_in or opted_out.
    pub status: String,
    pub source: String,
    pub evidence: Option<String>,
    /// Who recorded it (`api-key:<id>`); none for the customer's and Meta's own signals.
    pub actor: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

impl From<&ConsentEntry> for ConsentEntryDto {
    fn from(e: &ConsentEntry) -> Self {
        Self {
            id: e.id,
            purpose: e.purpose.as_str().into(),
            status: e.status.as_str().into(),
            source: e.source.as_str().into(),
            evidence: e.evidence.clone(),
            actor: e.actor.clone(),
            recorded_at: e.recorded_at,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConsentLedgerDto {
    pub consent: ConsentStateDto,
    /// Newest first.
    pub entries: Vec<ConsentEntryDto>,
    pub total: u64,
    pub has_more: bool,
}

/// A change of consent for one purpose.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecordConsentRequest {
    /// marketing or utility (authentication templates follow utility).
    #[oai(validator(pattern = "^(marketing|utility)$"))]
    pub purpose: String,
    /// opted_in or opted_out.
    #[oai(validator(pattern = "^(opted_in|opted_out)$"))]
    pub status: String,
    /// Where the consent was given: web, whatsapp, manual, api or import (default api).
    #[oai(validator(pattern = "^(web|whatsapp|manual|api|import)$"))]
    pub source: Option<String>,
    /// The form, the message id, the file: how to prove it.
    #[oai(validator(max_length = 1000))]
    pub evidence: Option<String>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConsentRecordedDto {
    /// False when the customer's consent for that purpose already was that (nothing recorded).
    pub changed: bool,
    pub entry: Option<ConsentEntryDto>,
    pub consent: ConsentStateDto,
}

/// A shop's consent settings.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ConsentSettingsDto {
    /// Marketing templates need the customer's opt-in for marketing (default true).
    pub require_marketing_opt_in: bool,
    /// Whole messages that opt a customer out of marketing (case, accents and surrounding
    /// punctuation ignored).
    pub opt_out_keywords: Vec<String>,
    /// Whole messages that opt a customer back in.
    pub opt_in_keywords: Vec<String>,
    /// The confirmation of an opt-out; null = the default in the keyword's language.
    pub opt_out_reply: Option<String>,
    /// The confirmation of an opt-in; null = the default in the keyword's language.
    pub opt_in_reply: Option<String>,
}

/// A shop's new consent settings (they replace the old ones).
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateConsentSettingsRequest {
    /// Marketing templates need the customer's opt-in for marketing (default true).
    pub require_marketing_opt_in: bool,
    /// Whole messages that opt a customer out of marketing (case, accents and surrounding
    /// punctuation ignored).
    #[oai(validator(max_items = 50, max_length = 32, pattern = r"\S"))]
    pub opt_out_keywords: Vec<String>,
    /// Whole messages that opt a customer back in.
    #[oai(validator(max_items = 50, max_length = 32, pattern = r"\S"))]
    pub opt_in_keywords: Vec<String>,
    /// The confirmation of an opt-out; null = the default in the keyword's language.
    #[oai(validator(min_length = 1, max_length = 1024, pattern = r"\S"))]
    pub opt_out_reply: Option<String>,
    /// The confirmation of an opt-in; null = the default in the keyword's language.
    #[oai(validator(min_length = 1, max_length = 1024, pattern = r"\S"))]
    pub opt_in_reply: Option<String>,
}

impl From<ConsentSettings> for ConsentSettingsDto {
    fn from(s: ConsentSettings) -> Self {
        Self {
            require_marketing_opt_in: s.require_marketing_opt_in,
            opt_out_keywords: s.opt_out_keywords,
            opt_in_keywords: s.opt_in_keywords,
            opt_out_reply: s.opt_out_reply,
            opt_in_reply: s.opt_in_reply,
        }
    }
}

/// Consent given when the customer is created.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InitialConsentRequest {
    #[oai(validator(pattern = "^(marketing|utility)$"))]
    pub purpose: String,
    #[oai(validator(pattern = "^(opted_in|opted_out)$"))]
    pub status: String,
    /// web, whatsapp, manual, api or import (default api).
    #[oai(validator(pattern = "^(web|whatsapp|manual|api|import)$"))]
    pub source: Option<String>,
    #[oai(validator(max_length = 1000))]
    pub evidence: Option<String>,
}

/// A new customer: `phone` (E.164) or `waId`.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCustomerRequest {
    /// E.164, with `+` (`+5511987654321`).
    #[oai(validator(pattern = r"^\s*\+[0-9 ()\-]{8,24}\s*$"))]
    pub phone: Option<String>,
    /// The digits Meta uses; instead of `phone`.
    #[oai(validator(pattern = r"^\s*\+?[0-9]{8,15}\s*$"))]
    pub wa_id: Option<String>,
    #[oai(validator(min_length = 1, max_length = 128, pattern = r"\S"))]
    pub name: Option<String>,
    #[oai(validator(min_length = 1, max_length = 128, pattern = r"\S"))]
    pub user_id: Option<String>,
    #[oai(validator(pattern = r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,4})?$"))]
    pub language: Option<String>,
    #[oai(validator(pattern = r"^(UTC|[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+){1,2})$"))]
    pub timezone: Option<String>,
    /// Absent: none.
    #[oai(validator(max_items = 100, max_length = 64, pattern = r"\S"))]
    pub tags: Option<Vec<String>>,
    /// Values by key, checked against the shop's custom field definitions. Absent: none.
    pub custom_fields: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    /// Absent: none (pending for every purpose).
    #[oai(validator(max_items = 2))]
    pub consent: Option<Vec<InitialConsentRequest>>,
}

/// A change of a customer's profile: an absent field stays as it is, `null` clears it.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateCustomerRequest {
    #[oai(validator(min_length = 1, max_length = 128, pattern = r"\S"))]
    #[serde(default)]
    pub name: poem_openapi::types::MaybeUndefined<String>,
    #[oai(validator(min_length = 1, max_length = 128, pattern = r"\S"))]
    #[serde(default)]
    pub user_id: poem_openapi::types::MaybeUndefined<String>,
    #[oai(validator(pattern = r"^[a-z]{2,3}([_-][A-Za-z0-9]{2,4})?$"))]
    #[serde(default)]
    pub language: poem_openapi::types::MaybeUndefined<String>,
    #[oai(validator(pattern = r"^(UTC|[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+){1,2})$"))]
    #[serde(default)]
    pub timezone: poem_openapi::types::MaybeUndefined<String>,
    /// Values by key (`null` removes one), checked against the definitions. Absent: unchanged.
    pub custom_fields: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

/// A custom field of the shop's customers.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct CustomFieldDto {
    pub key: String,
    pub label: String,
    /// text, number, boolean, date, datetime, single_choice, multiple_choice, url, email, phone.
    #[oai(rename = "type")]
    pub field_type: String,
    pub options: Vec<String>,
    pub pattern: Option<String>,
    pub required: bool,
}

impl From<&domain::customers::FieldDefinition> for CustomFieldDto {
    fn from(d: &domain::customers::FieldDefinition) -> Self {
        Self {
            key: d.key.clone(),
            label: d.label.clone(),
            field_type: d.field_type.as_str().into(),
            options: d.options.clone(),
            pattern: d.pattern.clone(),
            required: d.required,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct CustomFieldListDto {
    pub items: Vec<CustomFieldDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefineCustomFieldRequest {
    /// Lowercase letters, digits and `_`, starting with a letter.
    #[oai(validator(pattern = "^[a-z][a-z0-9_]{0,63}$"))]
    pub key: String,
    #[oai(validator(min_length = 1, max_length = 128, pattern = r"\S"))]
    pub label: String,
    #[oai(rename = "type", validator(pattern = "^(text|number|boolean|date|datetime|single_choice|multiple_choice|url|email|phone)$"))]
    #[serde(rename = "type")]
    pub field_type: String,
    /// The choices of a single or multiple choice field.
    #[oai(validator(max_items = 100, max_length = 100, pattern = r"\S"))]
    pub options: Option<Vec<String>>,
    /// A regular expression values must match (text, url, email, phone).
    #[oai(validator(max_length = 500))]
    pub pattern: Option<String>,
    /// Absent: false.
    pub required: Option<bool>,
}

/// A saved audience of the shop's customers.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct SegmentDto {
    pub id: Uuid,
    pub name: String,
    /// `{"match": "all"|"any", "conditions": [...]}` as saved.
    pub definition: serde_json::Value,
    /// How many customers are in it now.
    pub count: u64,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct SegmentListDto {
    pub items: Vec<SegmentDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSegmentRequest {
    /// Unique per shop.
    #[oai(validator(min_length = 1, max_length = 128, pattern = r"\S"))]
    pub name: String,
    /// `{"match": "all"|"any", "conditions": [...]}`.
    pub definition: serde_json::Value,
}

/// Everything held about one customer (GDPR export).
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct CustomerExportDto {
    pub exported_at: DateTime<Utc>,
    pub customer: CustomerDto,
    /// The whole consent ledger, newest first.
    pub consent: Vec<ConsentEntryDto>,
    pub conversations: Vec<ConversationDto>,
    /// Newest first, with their statuses (at most 10,000; `messagesTotal` counts all).
    pub messages: Vec<crate::http::messaging::dto::MessageDto>,
    pub messages_total: u64,
    /// What each other context holds about the customer, by context (`media`: their files).
    pub sections: std::collections::BTreeMap<String, serde_json::Value>,
}

/// The spec's example: a customer the shop adds by phone, with a tag.
impl poem_openapi::types::Example for CreateCustomerRequest {
    fn example() -> Self {
        Self {
            phone: Some("+55 11 95555-0000".into()),
            wa_id: None,
            name: Some("Carla".into()),
            user_id: None,
            language: Some("pt_BR".into()),
            timezone: Some("America/Sao_Paulo".into()),
            tags: Some(vec!["vip".into()]),
            custom_fields: None,
            consent: None,
        }
    }
}
