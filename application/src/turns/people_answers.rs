//! The `thread-activity` consumer: follows `message.sent` on the outbox and records the answers
//! people sent (a caller of the API, a teammate) on their threads (`RecordPeopleAnswers`).
//! The service's own senders (turns, the consent confirmation, later flows, AI and campaigns)
//! are not people and leave the threads as they are.

use async_trait::async_trait;

use super::record_people_answers::{RecordPeopleAnswers, RecordPeopleAnswersHandler};
use crate::RequestContext;
use crate::shared::outbox::OutboxRecord;
use crate::shared::pipeline::Pipeline;
use crate::shared::subscription::EventConsumer;
use domain::{AccountId, ShopId, WaId};

pub struct PeopleAnswers {
    pub pipeline: Pipeline,
    pub handler: RecordPeopleAnswersHandler,
}

/// The (shop, number, customer) of a `message.sent` that people sent.
fn answer(e: &OutboxRecord) -> Option<(ShopId, AccountId, WaId)> {
    let d = &e.envelope["data"];
    let kind = d["sentBy"]["type"].as_str()?;
    if kind != "api_key" && kind != "member" {
        return None;
    }
    let shop = uuid::Uuid::parse_str(d["shopId"].as_str()?).ok()?;
    let account = uuid::Uuid::parse_str(d["accountId"].as_str()?).ok()?;
    let wa_id = WaId::parse(d["waId"].as_str()?).ok()?;
    Some((shop.into(), account.into(), wa_id))
}

#[async_trait]
impl EventConsumer for PeopleAnswers {
    fn name(&self) -> &'static str {
        "thread-activity"
    }

    fn wants(&self, event_type: &str) -> bool {
        event_type == "message.sent"
    }

    async fn handle(&self, events: &[OutboxRecord]) -> Result<(), String> {
        let answers: Vec<_> = events.iter().filter_map(answer).collect();
        if answers.is_empty() {
            return Ok(());
        }
        self.pipeline
            .execute(&RequestContext::system("thread-activity"), &self.handler, RecordPeopleAnswers { answers })
            .await
            .map(|_| ())
            .map_err(|e| crate::Chain(&e).to_string())
    }
}
