//! An outbox consumer: conversation durations for the seed 002 histogram, from
//! `conversation.closed` (observed once, by the replica that holds the consumer's lease).

use async_trait::async_trait;

use application::shared::outbox::OutboxRecord;
use application::shared::subscription::EventConsumer;

use crate::metrics::Metrics;

pub struct ConversationDurations {
    pub metrics: Metrics,
}

#[async_trait]
impl EventConsumer for ConversationDurations {
    fn name(&self) -> &'static str {
        "conversation-durations"
    }

    fn wants(&self, event_type: &str) -> bool {
        event_type == "conversation.closed"
    }

    async fn handle(&self, events: &[OutboxRecord]) -> Result<(), String> {
        for e in events {
            let reason = e.envelope["data"]["reason"].as_str().unwrap_or("closed");
            let secs = e.envelope["data"]["durationSeconds"].as_f64().unwrap_or(0.0);
            self.metrics.conversation_duration.with_label_values(&[reason]).observe(secs);
        }
        Ok(())
    }
}
