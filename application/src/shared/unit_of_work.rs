//! The unit of work: one transaction, and the repositories of every context inside it.
//!
//! Loads named `lock_*` lock the rows they return until commit (`FOR UPDATE` on Postgres; SQLite
//! has one writer), so a change is never decided on a stale read. Updates check the version the
//! aggregate was loaded with and fail with `RepoError::Concurrency` if another transaction
//! changed it; the pipeline then runs the command again.

use async_trait::async_trait;

use crate::accounts::ports::AccountRepository;
use crate::billing::ports::RateCardRepository;
use crate::customers::ports::CustomerRepository;
use crate::inbound::ports::WebhookEventRepository;
use crate::media::ports::MediaRepository;
use crate::messaging::ports::{ConversationRepository, DeliveryRepository, MessageRepository};
use crate::shared::audit::AuditTrail;
use crate::shared::outbox::Outbox;
use crate::shared::repo::RepoResult;
use crate::templates::ports::TemplateRepository;
use crate::tenancy::ports::ShopRepository;

/// One transaction. Dropping it without `commit` rolls back.
#[async_trait]
pub trait UnitOfWork: Send {
    fn shops(&mut self) -> &mut dyn ShopRepository;
    fn accounts(&mut self) -> &mut dyn AccountRepository;
    fn customers(&mut self) -> &mut dyn CustomerRepository;
    fn conversations(&mut self) -> &mut dyn ConversationRepository;
    fn messages(&mut self) -> &mut dyn MessageRepository;
    fn deliveries(&mut self) -> &mut dyn DeliveryRepository;
    fn templates(&mut self) -> &mut dyn TemplateRepository;
    fn media(&mut self) -> &mut dyn MediaRepository;
    fn rate_cards(&mut self) -> &mut dyn RateCardRepository;
    fn webhooks(&mut self) -> &mut dyn WebhookEventRepository;
    fn outbox(&mut self) -> &mut dyn Outbox;
    fn audit(&mut self) -> &mut dyn AuditTrail;
    async fn commit(self: Box<Self>) -> RepoResult<()>;
}

#[async_trait]
pub trait UnitOfWorkFactory: Send + Sync {
    async fn begin(&self) -> RepoResult<Box<dyn UnitOfWork>>;
}
