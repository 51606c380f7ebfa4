//! Bodies of the templates routes.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde_json::Value;
use uuid::Uuid;

use application::templates::ports::{StatusChange, TemplateFigures};
use domain::templates::{RenderedTemplate, Template};

/// A template to submit, in Meta's own shape.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTemplateRequest {
    /// Lowercase letters, digits and underscores, at most 512.
    #[oai(validator(pattern = r"^[a-z0-9_]{1,512}$"))]
    pub name: String,
    /// A Meta language code (`en_US`, `pt_BR`, `es`, `vi`, …).
    #[oai(validator(pattern = r"^[a-z]{2,3}(_[A-Z]{2})?$"))]
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    #[oai(validator(pattern = r"^(MARKETING|UTILITY|AUTHENTICATION)$"))]
    pub category: String,
    /// `POSITIONAL` (`{{1}}`, the default) or `NAMED` (`{{first_name}}`).
    #[oai(validator(pattern = r"^(POSITIONAL|NAMED)$"))]
    pub parameter_format: Option<String>,
    /// Meta's components: `HEADER`, `BODY`, `FOOTER`, `BUTTONS`, with their examples.
    #[oai(validator(min_items = 1, max_items = 4))]
    pub components: Vec<Value>,
    /// The number whose WABA gets the template; required when the shop has several.
    pub account_id: Option<Uuid>,
}

/// New content for a template: its components, and (unless it is approved) its category.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditTemplateRequest {
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`; unchanged when absent.
    #[oai(validator(pattern = r"^(MARKETING|UTILITY|AUTHENTICATION)$"))]
    pub category: Option<String>,
    /// `POSITIONAL` or `NAMED`; unchanged when absent.
    #[oai(validator(pattern = r"^(POSITIONAL|NAMED)$"))]
    pub parameter_format: Option<String>,
    /// Meta's components, all of them (they replace the old ones).
    #[oai(validator(min_items = 1, max_items = 4))]
    pub components: Vec<Value>,
}

/// A send's parameters to preview.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewRequest {
    /// Meta's send components (`header`, `body`, `button` with their `parameters`).
    #[oai(validator(max_items = 20))]
    #[serde(default)]
    pub components: Vec<Value>,
}

/// What became of the template's sends on the numbers of its WABA.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TemplateFiguresDto {
    /// Accepted by Meta.
    pub sent: u64,
    /// Delivered or read.
    pub delivered: u64,
    pub read: u64,
    pub failed: u64,
    /// The customer wrote back within 24 hours.
    pub replied_within_24h: u64,
    /// Billable by Meta's pricing (status webhooks).
    pub billable: u64,
    /// What the billable sends cost by the shop's rate card (`PUT /api/v1/rate-card`); null
    /// without a card.
    pub cost: Option<TemplateCostDto>,
}

/// The billable sends priced by the shop's rate card.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TemplateCostDto {
    pub currency: String,
    /// Six decimals.
    pub amount: String,
    /// Billable sends a rate matched.
    pub priced_messages: u64,
    /// Billable sends whose category or market is not on the card (not in `amount`).
    pub unpriced_messages: u64,
}

impl From<TemplateFigures> for TemplateFiguresDto {
    fn from(f: TemplateFigures) -> Self {
        Self {
            sent: f.sent,
            delivered: f.delivered,
            read: f.read,
            failed: f.failed,
            replied_within_24h: f.replied_within_24h,
            billable: f.billable,
            cost: f.cost.map(|(currency, c)| TemplateCostDto {
                currency,
                amount: domain::billing::rate_card::format_amount(c.amount_micros),
                priced_messages: c.priced,
                unpriced_messages: c.unpriced,
            }),
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct StatusChangeDto {
    pub status: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MessageTemplateDto {
    pub id: Uuid,
    /// Meta's id for it.
    pub meta_template_id: String,
    pub waba_id: String,
    pub account_id: Option<Uuid>,
    pub name: String,
    pub language: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`; null when Meta has not said.
    pub category: Option<String>,
    /// `PENDING`, `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, `IN_APPEAL`, …
    pub status: String,
    /// Why Meta rejected or paused it.
    pub reason: Option<String>,
    /// Meta's quality score: `GREEN`, `YELLOW`, `RED` (sends refused), `UNKNOWN`; null until Meta says.
    pub quality: Option<String>,
    /// `POSITIONAL` or `NAMED`; null when the service does not know what it says.
    pub parameter_format: Option<String>,
    /// Meta's components; null for a template known only from a status webhook (sync it).
    pub components: Option<Value>,
    /// Its statuses, oldest first (one template's read only).
    pub history: Option<Vec<StatusChangeDto>>,
    /// What became of its sends (one template's read only).
    pub figures: Option<TemplateFiguresDto>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl MessageTemplateDto {
    pub fn from(t: Template, history: Option<Vec<StatusChange>>) -> Self {
        Self::with(t, history, None)
    }

    pub fn with(t: Template, history: Option<Vec<StatusChange>>, figures: Option<TemplateFigures>) -> Self {
        let t = t.into_snapshot();
        Self {
            id: t.id,
            meta_template_id: t.meta_template_id,
            waba_id: t.waba_id,
            account_id: t.account_id.map(|a| a.as_uuid()),
            name: t.name,
            language: t.language,
            category: t.category.map(|c| c.as_str().to_owned()),
            status: t.status.as_str().to_ascii_uppercase(),
            reason: t.reason,
            quality: t.quality,
            parameter_format: t.definition.as_ref().map(|d| d.format.as_str().to_owned()),
            components: t.definition.map(|d| d.components),
            figures: figures.map(Into::into),
            history: history.map(|h| {
                h.into_iter().map(|c| StatusChangeDto { status: c.status.to_ascii_uppercase(), reason: c.reason, at: c.at }).collect()
            }),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MessageTemplateListDto {
    pub items: Vec<MessageTemplateDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct PreviewDto {
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<String>,
}

impl From<RenderedTemplate> for PreviewDto {
    fn from(r: RenderedTemplate) -> Self {
        Self { header: r.header, body: r.body, footer: r.footer, buttons: r.buttons }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct SyncDto {
    /// WABAs read (one per distinct WABA of the shop's numbers).
    pub wabas: u32,
    pub pages: u32,
    /// Templates in Meta's lists.
    pub seen: u32,
    /// New here.
    pub created: u32,
    /// Changed here (status, category or content).
    pub updated: u32,
}

/// The spec's example: a utility template with one variable and its example.
impl poem_openapi::types::Example for CreateTemplateRequest {
    fn example() -> Self {
        Self {
            name: "order_ready".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            parameter_format: None,
            components: vec![
                serde_json::json!({"type": "BODY", "text": "Hi {{1}}, your order is ready.", "example": {"body_text": [["Ana"]]}}),
            ],
            account_id: None,
        }
    }
}

/// The spec's example: new body text, the same variable.
impl poem_openapi::types::Example for EditTemplateRequest {
    fn example() -> Self {
        Self {
            category: None,
            parameter_format: None,
            components: vec![
                serde_json::json!({"type": "BODY", "text": "Hi {{1}}, your order is on its way.", "example": {"body_text": [["Ana"]]}}),
            ],
        }
    }
}

/// The spec's example: the one body parameter of a template like `order_update`.
impl poem_openapi::types::Example for PreviewRequest {
    fn example() -> Self {
        Self { components: vec![serde_json::json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}]})] }
    }
}
