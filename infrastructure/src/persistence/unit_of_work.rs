//! The unit of work: one database transaction, and each context's repository inside it. The
//! repositories share the transaction; `commit` drops them and commits it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::TransactionTrait;
use tokio::sync::OwnedMutexGuard;

use application::accounts::ports::AccountRepository;
use application::billing::ports::RateCardRepository;
use application::customers::ports::CustomerRepository;
use application::inbound::ports::WebhookEventRepository;
use application::media::ports::MediaRepository;
use application::messaging::ports::{ConversationRepository, DeliveryRepository, IdempotencyRepository, MessageRepository};
use application::shared::outbox::Outbox;
use application::shared::unit_of_work::{UnitOfWork, UnitOfWorkFactory, part};
use application::templates::ports::TemplateRepository;
use application::tenancy::ports::ShopRepository;
use application::turns::ports::{AutomatedResponseRepository, ThreadRepository, TurnRepository};
use application::webhook_subscriptions::ports::SubscriptionRepository;
use application::{RepoError, RepoResult};

use super::accounts::repository::SeaAccountRepository;
use super::billing::repository::SeaRateCardRepository;
use super::customers::repository::SeaCustomerRepository;
use super::inbound::repository::SeaWebhookEventRepository;
use super::media::repository::SeaMediaRepository;
use super::messaging::repository::{SeaConversationRepository, SeaDeliveryRepository, SeaIdempotencyRepository, SeaMessageRepository};
use super::outbox::writer::SeaOutbox;
use super::sql::Txn;
use super::templates::repository::SeaTemplateRepository;
use super::tenancy::repository::SeaShopRepository;
use super::turns::repository::{SeaAutomatedResponseRepository, SeaThreadRepository, SeaTurnRepository};
use super::{Db, repo_err};

pub struct SeaUnitOfWorkFactory {
    db: Db,
    pseudonyms: Arc<crate::crypto::Pseudonymizer>,
}

impl SeaUnitOfWorkFactory {
    pub fn new(db: Db, pseudonyms: crate::crypto::Pseudonymizer) -> Self {
        Self { db, pseudonyms: Arc::new(pseudonyms) }
    }
}

#[async_trait]
impl UnitOfWorkFactory for SeaUnitOfWorkFactory {
    async fn begin(&self) -> RepoResult<Box<dyn UnitOfWork>> {
        let guard = match &self.db.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let tx: Txn = Arc::new(self.db.conn.begin().await.map_err(repo_err)?);
        // Each context's repository over the one transaction (a new context adds its own here).
        let parts: HashMap<TypeId, Box<dyn Any + Send>> = [
            part::<dyn ShopRepository>(Box::new(SeaShopRepository { tx: tx.clone() })),
            part::<dyn AccountRepository>(Box::new(SeaAccountRepository { tx: tx.clone() })),
            part::<dyn CustomerRepository>(Box::new(SeaCustomerRepository { tx: tx.clone(), pseudonyms: self.pseudonyms.clone() })),
            part::<dyn ConversationRepository>(Box::new(SeaConversationRepository { tx: tx.clone() })),
            part::<dyn MessageRepository>(Box::new(SeaMessageRepository { tx: tx.clone() })),
            part::<dyn DeliveryRepository>(Box::new(SeaDeliveryRepository { tx: tx.clone() })),
            part::<dyn IdempotencyRepository>(Box::new(SeaIdempotencyRepository { tx: tx.clone() })),
            part::<dyn TemplateRepository>(Box::new(SeaTemplateRepository { tx: tx.clone() })),
            part::<dyn MediaRepository>(Box::new(SeaMediaRepository { tx: tx.clone() })),
            part::<dyn RateCardRepository>(Box::new(SeaRateCardRepository { tx: tx.clone() })),
            part::<dyn WebhookEventRepository>(Box::new(SeaWebhookEventRepository { tx: tx.clone() })),
            part::<dyn TurnRepository>(Box::new(SeaTurnRepository { tx: tx.clone() })),
            part::<dyn ThreadRepository>(Box::new(SeaThreadRepository { tx: tx.clone() })),
            part::<dyn AutomatedResponseRepository>(Box::new(SeaAutomatedResponseRepository { tx: tx.clone() })),
            part::<dyn application::inbox::ports::InboxRepository>(Box::new(super::inbox::repository::SeaInboxRepository {
                tx: tx.clone(),
            })),
            part::<dyn application::team::ports::TeamRepository>(Box::new(super::team::repository::SeaTeamRepository { tx: tx.clone() })),
            part::<dyn SubscriptionRepository>(Box::new(super::webhook_subscriptions::repository::SeaSubscriptionRepository {
                tx: tx.clone(),
            })),
        ]
        .into_iter()
        .collect();
        Ok(Box::new(SeaUnitOfWork {
            parts,
            outbox: SeaOutbox { tx: tx.clone() },
            audit: super::audit::SeaAuditTrail { tx: tx.clone(), member: None },
            tx,
            _guard: guard,
        }))
    }
}

pub struct SeaUnitOfWork {
    tx: Txn,
    parts: HashMap<TypeId, Box<dyn Any + Send>>,
    outbox: SeaOutbox,
    audit: super::audit::SeaAuditTrail,
    /// SQLite: the in-process writer lock, held until commit or rollback.
    _guard: Option<OwnedMutexGuard<()>>,
}

#[async_trait]
impl UnitOfWork for SeaUnitOfWork {
    fn outbox(&mut self) -> &mut dyn Outbox {
        &mut self.outbox
    }
    fn audit(&mut self) -> &mut dyn application::shared::audit::AuditTrail {
        &mut self.audit
    }
    fn repository(&mut self, port: TypeId) -> Option<&mut dyn Any> {
        self.parts.get_mut(&port).map(|p| p.as_mut() as &mut dyn Any)
    }

    async fn commit(self: Box<Self>) -> RepoResult<()> {
        let Self { tx, parts, outbox, audit, _guard } = *self;
        drop((parts, outbox, audit));
        let tx = Arc::try_unwrap(tx).map_err(|_| RepoError::Other("the transaction is still shared at commit".into()))?;
        tx.commit().await.map_err(repo_err)
    }
}
