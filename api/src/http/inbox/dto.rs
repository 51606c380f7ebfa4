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
    /// When people hand the thread back to the automated responders if nothing happens (the
    /// shop's `handBackHours` after the last activity).
    pub owner_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}
