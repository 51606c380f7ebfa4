//! The inbox's share of a customer's personal data: the notes people wrote about them, and the
//! tags people put on their conversations. Exported (notes with their author and time); erased
//! whole.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::ports::{InboxReads, InboxUnitOfWork};
use crate::shared::personal_data::{DataSubject, Erased, PersonalData};
use crate::shared::repo::RepoResult;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{CustomerId, ShopId};

pub struct Notes {
    pub reads: Arc<dyn InboxReads>,
}

#[async_trait]
impl PersonalData for Notes {
    fn context(&self) -> &'static str {
        "inbox"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["conversation_notes", "conversation_tags"]
    }

    async fn erase(&self, uow: &mut dyn UnitOfWork, subject: &DataSubject, _now: DateTime<Utc>) -> RepoResult<Erased> {
        let n = uow.inbox().erase_customer(subject.shop_id, subject.customer_id).await?;
        let t = uow.inbox().erase_tags_of(subject.shop_id, subject.customer_id).await?;
        Ok(Erased { counts: vec![("notes", n), ("conversationTags", t)], ..Erased::default() })
    }

    async fn export(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Option<serde_json::Value>> {
        let notes = self.reads.notes_of_customer(shop, customer).await?;
        let tags = self.reads.tags_of_customer(shop, customer).await?;
        if notes.is_empty() && tags.is_empty() {
            return Ok(None);
        }
        let tags: Vec<_> = tags.iter().map(|(c, t)| json!({"conversationId": c, "tags": t})).collect();
        let notes: Vec<_> = notes
            .iter()
            .map(
                |n| json!({"id": n.id, "conversationId": n.conversation_id, "author": n.author, "body": n.body, "createdAt": n.created_at}),
            )
            .collect();
        Ok(Some(json!({"notes": notes, "conversationTags": tags})))
    }
}
