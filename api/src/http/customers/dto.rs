//! Response bodies of the customers API.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use domain::customers::Customer;

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
    /// pending, opted_in or opted_out.
    pub opt_in_status: String,
    pub tags: Vec<String>,
    pub first_contacted_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Customer> for CustomerDto {
    fn from(c: &Customer) -> Self {
        let s = c.snapshot();
        Self {
            id: s.id.as_uuid(),
            wa_id: s.wa_id.to_string(),
            user_id: s.user_id.clone(),
            name: s.name.clone(),
            opt_in_status: s.consent.status.as_str().into(),
            tags: s.tags.clone(),
            first_contacted_at: s.first_contacted_at,
            last_inbound_at: s.last_inbound_at,
            updated_at: s.updated_at,
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
