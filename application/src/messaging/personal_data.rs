//! The messaging context's share of a customer's personal data: their messages' contents, reply
//! contexts, referrals and `userId`; their number in messages, conversations and the outbound
//! queue (it becomes the pseudonym); the idempotency keys of their messages (a key and the
//! answer it keeps may name them) are forgotten. Counts, times and statuses stay (Meta's status reports are
//! kept as their errors and pricing only, which name nobody).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::personal_data::{DataSubject, Erased, PersonalData};
use crate::shared::repo::RepoResult;
use crate::shared::unit_of_work::UnitOfWork;

pub struct Conversations;

#[async_trait]
impl PersonalData for Conversations {
    fn context(&self) -> &'static str {
        "messaging"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["conversations", "messages", "deliveries", "idempotency_keys", "search_documents"]
    }

    async fn erase(&self, uow: &mut dyn UnitOfWork, subject: &DataSubject, _now: DateTime<Utc>) -> RepoResult<Erased> {
        let n = uow.messages().erase_customer(subject.shop_id, subject.customer_id, &subject.pseudonym).await?;
        Ok(Erased { counts: vec![("messages", n)], ..Erased::default() })
    }
}
