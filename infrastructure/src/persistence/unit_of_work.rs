//! The unit of work: one database transaction, and each context's repository inside it. The
//! repositories share the transaction; `commit` drops them and commits it.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::TransactionTrait;
use tokio::sync::OwnedMutexGuard;

use application::accounts::ports::AccountRepository;
use application::billing::ports::RateCardRepository;
use application::customers::ports::CustomerRepository;
use application::inbound::ports::WebhookEventRepository;
use application::media::ports::MediaRepository;
use application::messaging::ports::{ConversationRepository, DeliveryRepository, MessageRepository};
use application::shared::outbox::Outbox;
use application::shared::unit_of_work::{UnitOfWork, UnitOfWorkFactory};
use application::templates::ports::TemplateRepository;
use application::tenancy::ports::ShopRepository;
use application::{RepoError, RepoResult};

use super::accounts::repository::SeaAccountRepository;
use super::billing::repository::SeaRateCardRepository;
use super::customers::repository::SeaCustomerRepository;
use super::inbound::repository::SeaWebhookEventRepository;
use super::media::repository::SeaMediaRepository;
use super::messaging::repository::{SeaConversationRepository, SeaDeliveryRepository, SeaMessageRepository};
use super::outbox::writer::SeaOutbox;
use super::sql::Txn;
use super::templates::repository::SeaTemplateRepository;
use super::tenancy::repository::SeaShopRepository;
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
        Ok(Box::new(SeaUnitOfWork {
            shops: SeaShopRepository { tx: tx.clone() },
            accounts: SeaAccountRepository { tx: tx.clone() },
            customers: SeaCustomerRepository { tx: tx.clone(), pseudonyms: self.pseudonyms.clone() },
            conversations: SeaConversationRepository { tx: tx.clone() },
            messages: SeaMessageRepository { tx: tx.clone() },
            deliveries: SeaDeliveryRepository { tx: tx.clone() },
            templates: SeaTemplateRepository { tx: tx.clone() },
            media: SeaMediaRepository { tx: tx.clone() },
            rate_cards: SeaRateCardRepository { tx: tx.clone() },
            webhooks: SeaWebhookEventRepository { tx: tx.clone() },
            outbox: SeaOutbox { tx: tx.clone() },
            audit: super::audit::SeaAuditTrail { tx: tx.clone() },
            tx,
            _guard: guard,
        }))
    }
}

pub struct SeaUnitOfWork {
    tx: Txn,
    shops: SeaShopRepository,
    accounts: SeaAccountRepository,
    customers: SeaCustomerRepository,
    conversations: SeaConversationRepository,
    messages: SeaMessageRepository,
    deliveries: SeaDeliveryRepository,
    templates: SeaTemplateRepository,
    media: SeaMediaRepository,
    rate_cards: SeaRateCardRepository,
    webhooks: SeaWebhookEventRepository,
    outbox: SeaOutbox,
    audit: super::audit::SeaAuditTrail,
    /// SQLite: the in-process writer lock, held until commit or rollback.
    _guard: Option<OwnedMutexGuard<()>>,
}

#[async_trait]
impl UnitOfWork for SeaUnitOfWork {
    fn shops(&mut self) -> &mut dyn ShopRepository {
        &mut self.shops
    }
    fn accounts(&mut self) -> &mut dyn AccountRepository {
        &mut self.accounts
    }
    fn customers(&mut self) -> &mut dyn CustomerRepository {
        &mut self.customers
    }
    fn conversations(&mut self) -> &mut dyn ConversationRepository {
        &mut self.conversations
    }
    fn messages(&mut self) -> &mut dyn MessageRepository {
        &mut self.messages
    }
    fn deliveries(&mut self) -> &mut dyn DeliveryRepository {
        &mut self.deliveries
    }
    fn templates(&mut self) -> &mut dyn TemplateRepository {
        &mut self.templates
    }
    fn webhooks(&mut self) -> &mut dyn WebhookEventRepository {
        &mut self.webhooks
    }
    fn media(&mut self) -> &mut dyn MediaRepository {
        &mut self.media
    }
    fn rate_cards(&mut self) -> &mut dyn RateCardRepository {
        &mut self.rate_cards
    }
    fn outbox(&mut self) -> &mut dyn Outbox {
        &mut self.outbox
    }
    fn audit(&mut self) -> &mut dyn application::shared::audit::AuditTrail {
        &mut self.audit
    }

    async fn commit(self: Box<Self>) -> RepoResult<()> {
        let Self {
            tx,
            shops,
            accounts,
            customers,
            conversations,
            messages,
            deliveries,
            templates,
            media,
            rate_cards,
            webhooks,
            outbox,
            audit,
            _guard,
        } = *self;
        drop((shops, accounts, customers, conversations, messages, deliveries, templates, media, rate_cards, webhooks, outbox, audit));
        let tx = Arc::try_unwrap(tx).map_err(|_| RepoError::Other("the transaction is still shared at commit".into()))?;
        tx.commit().await.map_err(repo_err)
    }
}
