//! The `agent-stats` consumer: follows assignments, members' replies and closes on the outbox
//! and records members' handlings (`RecordHandlings`), from which the statistics are read.

use async_trait::async_trait;

use super::record_handlings::{HandlingChange, RecordHandlings, RecordHandlingsHandler};
use crate::RequestContext;
use crate::shared::outbox::OutboxRecord;
use crate::shared::pipeline::Pipeline;
use crate::shared::subscription::EventConsumer;

pub struct AgentStatsProjection {
    pub pipeline: Pipeline,
    pub handler: RecordHandlingsHandler,
}

fn id<T: From<uuid::Uuid>>(v: &serde_json::Value) -> Option<T> {
    v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).map(T::from)
}

/// What an outbox row says about handlings, if anything.
pub fn change(e: &OutboxRecord) -> Option<HandlingChange> {
    let d = &e.envelope["data"];
    let at = e.created_at;
    match e.event_type.as_str() {
        "conversation.assigned" => Some(HandlingChange::Assigned {
            event_id: e.event_id,
            shop_id: id(&d["shopId"])?,
            conversation_id: id(&d["conversationId"])?,
            thread_id: id(&d["threadId"])?,
            member_id: id(&d["memberId"]),
            department_id: id(&d["departmentId"]),
            reason: d["reason"].as_str().unwrap_or_default().to_owned(),
            at,
        }),
        "message.sent" if d["sentBy"]["type"] == "member" => {
            Some(HandlingChange::Replied { conversation_id: id(&d["conversationId"])?, member_id: id(&d["sentBy"]["id"])?, at })
        }
        "conversation.inbox_state.changed" if d["to"] == "closed" => {
            Some(HandlingChange::Closed { conversation_id: id(&d["conversationId"])?, at })
        }
        _ => None,
    }
}

#[async_trait]
impl EventConsumer for AgentStatsProjection {
    fn name(&self) -> &'static str {
        "agent-stats"
    }

    fn wants(&self, event_type: &str) -> bool {
        matches!(event_type, "conversation.assigned" | "message.sent" | "conversation.inbox_state.changed")
    }

    async fn handle(&self, events: &[OutboxRecord]) -> Result<(), String> {
        let changes: Vec<HandlingChange> = events.iter().filter_map(change).collect();
        if changes.is_empty() {
            return Ok(());
        }
        self.pipeline
            .execute(&RequestContext::system("agent-stats"), &self.handler, RecordHandlings { changes })
            .await
            .map_err(|e| crate::Chain(&e).to_string())
    }
}
