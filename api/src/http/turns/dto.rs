//! Bodies of the turns API: automated responses, a thread's turns, waiting threads.

use poem_openapi::Object;
use serde_json::Value;
use uuid::Uuid;

use crate::http::messaging::dto::TemplateDto;

#[derive(Object, serde::Deserialize, Clone)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeywordDto {
    /// The keyword or phrase (case, accents and punctuation are ignored; whole words).
    #[oai(validator(min_length = 1, max_length = 100))]
    pub text: String,
    /// `exact` (the whole message), `contains` or `starts_with`. Absent: `contains`.
    #[oai(rename = "match")]
    #[serde(rename = "match")]
    pub match_mode: Option<String>,
}

#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase", example)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutomatedResponseRequest {
    #[oai(validator(min_length = 1, max_length = 100))]
    pub name: String,
    /// `keywords` (a message with one of `keywords`), `greeting` (a customer's first message
    /// ever) or `away` (a message outside business hours, at most once per `everyHours` per
    /// customer).
    pub trigger: String,
    /// For `keywords`: 1 to 50. Empty for the others.
    pub keywords: Option<Vec<KeywordDto>>,
    /// What to answer: any outbound message content, as `content` of `POST /messages/send`
    /// (`{"type": "text", "text": "…"}`, an image by `link`, buttons, …), within Meta's limits.
    pub answer: Value,
    /// Sent instead when the customer's 24-hour window is closed (a free-form answer cannot go).
    pub fallback_template: Option<TemplateDto>,
    /// 0 to 1000; of the rules that match, the highest wins (then the oldest). Absent: 0.
    pub priority: Option<i32>,
    /// Absent: true.
    pub active: Option<bool>,
    /// For `away`: at most once per this many hours per customer (1 to 168). Absent: 12.
    pub every_hours: Option<u32>,
}

impl poem_openapi::types::Example for AutomatedResponseRequest {
    fn example() -> Self {
        Self {
            name: "Opening hours".into(),
            trigger: "keywords".into(),
            keywords: Some(vec![
                KeywordDto { text: "opening hours".into(), match_mode: Some("contains".into()) },
                KeywordDto { text: "open".into(), match_mode: Some("exact".into()) },
            ]),
            answer: serde_json::json!({"type": "text", "text": "We are open Monday to Saturday, 9:00 to 18:00."}),
            fallback_template: None,
            priority: Some(10),
            active: Some(true),
            every_hours: None,
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AutomatedResponseDto {
    pub id: Uuid,
    pub name: String,
    pub trigger: String,
    pub keywords: Vec<KeywordOutDto>,
    pub answer: Value,
    pub fallback_template: Option<Value>,
    pub priority: i32,
    pub active: bool,
    /// For `away`.
    pub every_hours: Option<u32>,
    /// How many turns it answered.
    pub matched_count: i64,
    pub last_matched_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct KeywordOutDto {
    pub text: String,
    #[oai(rename = "match")]
    pub match_mode: String,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AutomatedResponseListDto {
    pub items: Vec<AutomatedResponseDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TurnDto {
    pub id: Uuid,
    pub conversation_id: Uuid,
    /// `open` (collecting the burst), `claimed` (being answered), `done`.
    pub state: String,
    /// The customer's messages in the turn.
    pub wamids: Vec<String>,
    pub first_message_at: chrono::DateTime<chrono::Utc>,
    pub last_message_at: chrono::DateTime<chrono::Utc>,
    /// When it was due: the last message plus the shop's quiet time, at most 10 s after the first.
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `greeting`, `automated_responses`, `away`, `people`, `consent`, or null.
    pub responder: Option<String>,
    /// `answered`, `unanswered` (handed to people), `people` (people own the thread), `consent`
    /// (an opt-out or opt-in keyword), `failed` (its reply could not be queued); null while open.
    pub outcome: Option<String>,
    /// Why it went to people: `no_responder`, `outside_hours`, `opted_out`, or why it failed.
    pub reason: Option<String>,
    /// The messages queued as its answer.
    pub replies: Vec<Uuid>,
    pub first_contact: bool,
    pub attempts: u32,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TurnListDto {
    pub items: Vec<TurnDto>,
    pub total: u64,
    pub has_more: bool,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct OwnerDto {
    /// `none` or `people` (the automation and AI contexts add `flow` and `ai`).
    #[oai(rename = "type")]
    pub kind: String,
    pub member_id: Option<Uuid>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct WaitingThreadDto {
    pub thread_id: Uuid,
    /// The thread's latest conversation.
    pub conversation_id: Uuid,
    pub account_id: Uuid,
    pub customer_id: Uuid,
    pub wa_id: String,
    pub owner: OwnerDto,
    pub owner_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub waiting_since: chrono::DateTime<chrono::Utc>,
    pub waiting_seconds: i64,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct WaitingThreadListDto {
    pub items: Vec<WaitingThreadDto>,
    pub total: u64,
    pub has_more: bool,
}
