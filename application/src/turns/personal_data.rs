//! The turns context's share of a customer's personal data: their threads (owner, waiting) and
//! their turns with the record of which messages made each. Erased whole; exported as the turn
//! log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;

use super::ports::{TurnReads, TurnsUnitOfWork};
use crate::shared::personal_data::{DataSubject, Erased, PersonalData};
use crate::shared::repo::RepoResult;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{CustomerId, ShopId};

pub struct Turns {
    pub reads: Arc<dyn TurnReads>,
}

#[async_trait]
impl PersonalData for Turns {
    fn context(&self) -> &'static str {
        "turns"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["threads", "turns", "turn_messages"]
    }

    async fn erase(&self, uow: &mut dyn UnitOfWork, subject: &DataSubject, _now: DateTime<Utc>) -> RepoResult<Erased> {
        let turns = uow.turns().erase_customer(subject.shop_id, subject.customer_id).await?;
        let threads = uow.threads().erase_customer(subject.shop_id, subject.customer_id).await?;
        Ok(Erased { counts: vec![("turns", turns), ("threads", threads)], ..Erased::default() })
    }

    async fn export(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Option<serde_json::Value>> {
        let (threads, turns) = self.reads.of_customer(shop, customer).await?;
        if threads.is_empty() && turns.is_empty() {
            return Ok(None);
        }
        let threads: Vec<_> = threads
            .iter()
            .map(|t| {
                let s = t.snapshot();
                json!({"accountId": s.account_id, "owner": s.owner, "ownerSince": s.owner_since, "waitingSince": s.waiting_since})
            })
            .collect();
        let turns: Vec<_> = turns
            .iter()
            .map(|l| {
                let s = l.turn.snapshot();
                json!({
                    "id": s.id, "conversationId": s.conversation_id, "wamids": l.wamids, "firstAt": s.first_at, "lastAt": s.last_at,
                    "responder": s.responder, "outcome": s.outcome.map(|o| o.as_str()), "reason": s.reason, "answeredAt": s.answered_at,
                })
            })
            .collect();
        Ok(Some(json!({"threads": threads, "turns": turns})))
    }
}
