//! In-memory implementations of the write-side ports: one [`Memory`] store, and units of work
//! that copy it on `begin` and write it back on `commit` (dropping one rolls back). Versions and
//! unique rules behave as the database's do, so a use case's rules, and its conflicts, are
//! tested without a database.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::accounts::ports::AccountRepository;
use crate::customers::ports::CustomerRepository;
use crate::inbound::ports::{RawWebhookEvent, Take, WebhookEventRepository, WebhookMark};
use crate::messaging::ports::{
    ConversationRepository, Delivery, DeliveryRepository, IdempotencyRepository, MessageRepository, StatusRecord,
};
use crate::shared::audit::{AuditEntry, AuditTrail};
use crate::shared::outbox::Outbox;
use crate::shared::repo::{RepoError, RepoResult};
use crate::shared::unit_of_work::{UnitOfWork, UnitOfWorkFactory, part};
use crate::templates::ports::TemplateRepository;
use crate::tenancy::ports::{ApiKeyRecord, Shop, ShopRepository};
use domain::accounts::{AccountSnapshot, AccountStatus, WhatsAppAccount};
use domain::customers::{ConsentEntry, ConsentSettings, Customer, CustomerSnapshot, FieldDefinition, Segment};
use domain::messaging::{
    Conversation, ConversationSnapshot, Direction, FirstAnswer, IdempotencyKey, IdempotencyRecord, Message, MessageSnapshot, MessageStatus,
};
use domain::templates::{TemplateCategory, TemplateStatus};
use domain::{AccountId, ConversationId, CustomerId, Events, MessageId, PhoneNumber, PhoneNumberId, ShopId, WaId, WabaId};

/// An event as the outbox stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub event_type: &'static str,
    pub subject: String,
    pub data: Value,
}

#[derive(Debug, Clone, Default)]
pub struct State {
    pub shops: BTreeMap<ShopId, Shop>,
    pub api_keys: Vec<ApiKeyRecord>,
    pub accounts: BTreeMap<AccountId, (WhatsAppAccount, String)>,
    pub customers: BTreeMap<CustomerId, Customer>,
    pub conversations: BTreeMap<ConversationId, Conversation>,
    pub messages: BTreeMap<MessageId, Message>,
    pub statuses: Vec<StatusRecord>,
    pub deliveries: BTreeMap<MessageId, Delivery>,
    pub templates: Vec<TemplateStatus>,
    /// Templates the service keeps (made, synced).
    pub stored_templates: Vec<domain::templates::Template>,
    /// `(shop, name, language)` → category.
    pub template_categories: BTreeMap<(ShopId, String, String), TemplateCategory>,
    pub consent_ledger: Vec<ConsentEntry>,
    pub consent_settings: BTreeMap<ShopId, ConsentSettings>,
    pub field_definitions: Vec<(ShopId, FieldDefinition)>,
    pub segments: Vec<Segment>,
    /// Customers whose search rows were rewritten, in order.
    pub reindexed: Vec<CustomerId>,
    /// Stored deliveries still pending.
    pub inbox: Vec<RawWebhookEvent>,
    pub webhooks: Vec<(WebhookMark, DateTime<Utc>)>,
    pub outbox: Vec<StoredEvent>,
    pub audit: Vec<AuditEntry>,
    /// The member this transaction's audit entries are attributed to.
    pub audit_member: Option<domain::MemberId>,
    pub media: BTreeMap<domain::MediaId, domain::media::MediaFile>,
    pub media_retention: BTreeMap<ShopId, u32>,
    pub rate_cards: BTreeMap<ShopId, domain::billing::RateCard>,
    /// Each shop's settings, and when they changed.
    pub shop_settings: BTreeMap<ShopId, (domain::tenancy::ShopSettings, DateTime<Utc>)>,
    /// Sends' idempotency keys, by shop and key.
    pub idempotency: BTreeMap<(ShopId, String), IdempotencyRecord>,
    /// A race, for tests: customers another transaction commits just as this one inserts its
    /// new customers (as a burst processed by several loops at once does).
    pub rival_customers: Vec<Customer>,
    /// The turns context (`testing/turns.rs`).
    pub threads: BTreeMap<domain::ThreadId, domain::turns::Thread>,
    pub turns: BTreeMap<domain::TurnId, domain::turns::Turn>,
    /// (turn, message, wamid).
    pub turn_messages: Vec<(domain::TurnId, MessageId, String)>,
    pub automated_responses: Vec<domain::turns::AutomatedResponse>,
    /// Transactions begun (a command the pipeline ran again shows here).
    pub transactions: usize,
}

/// The store. Clones share it.
#[derive(Clone, Default)]
pub struct Memory {
    state: Arc<Mutex<State>>,
}

impl Memory {
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }
    pub fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait]
impl UnitOfWorkFactory for Memory {
    async fn begin(&self) -> RepoResult<Box<dyn UnitOfWork>> {
        let work = self.write(|s| {
            s.transactions += 1;
            s.clone()
        });
        let own = MemoryPart { work: Arc::new(Mutex::new(work)), shared: self.state.clone() };
        let p = || Box::new(own.clone());
        // Each context's repository, over the one copy of the state this transaction works on.
        let parts: HashMap<TypeId, Box<dyn Any + Send>> = [
            part::<dyn ShopRepository>(p()),
            part::<dyn AccountRepository>(p()),
            part::<dyn CustomerRepository>(p()),
            part::<dyn ConversationRepository>(p()),
            part::<dyn MessageRepository>(p()),
            part::<dyn DeliveryRepository>(p()),
            part::<dyn IdempotencyRepository>(p()),
            part::<dyn TemplateRepository>(p()),
            part::<dyn crate::media::ports::MediaRepository>(p()),
            part::<dyn crate::billing::ports::RateCardRepository>(p()),
            part::<dyn WebhookEventRepository>(p()),
            part::<dyn crate::turns::ports::TurnRepository>(p()),
            part::<dyn crate::turns::ports::ThreadRepository>(p()),
            part::<dyn crate::turns::ports::AutomatedResponseRepository>(p()),
        ]
        .into_iter()
        .collect();
        Ok(Box::new(MemoryUnitOfWork { own, parts }))
    }
}

pub struct MemoryUnitOfWork {
    own: MemoryPart,
    parts: HashMap<TypeId, Box<dyn Any + Send>>,
}

/// One context's view of the transaction's copy of the state (every part shares it).
#[derive(Clone)]
pub struct MemoryPart {
    pub(super) work: Arc<Mutex<State>>,
    shared: Arc<Mutex<State>>,
}

pub(super) fn stale(what: &str) -> RepoError {
    RepoError::Concurrency(format!("{what} changed since it was read").into())
}

#[async_trait]
impl UnitOfWork for MemoryUnitOfWork {
    fn outbox(&mut self) -> &mut dyn Outbox {
        &mut self.own
    }
    fn audit(&mut self) -> &mut dyn AuditTrail {
        &mut self.own
    }
    fn repository(&mut self, port: TypeId) -> Option<&mut dyn Any> {
        self.parts.get_mut(&port).map(|p| p.as_mut() as &mut dyn Any)
    }
    async fn commit(self: Box<Self>) -> RepoResult<()> {
        let work = self.own.work.lock().unwrap_or_else(|p| p.into_inner()).clone();
        *self.own.shared.lock().unwrap_or_else(|p| p.into_inner()) = work;
        Ok(())
    }
}

#[async_trait]
impl ShopRepository for MemoryPart {
    async fn insert_shop(&mut self, shop: &Shop) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.shops.insert(shop.id, shop.clone());
        Ok(())
    }
    async fn shop_exists(&mut self, id: ShopId) -> RepoResult<bool> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.shops.contains_key(&id))
    }
    async fn member_active(&mut self, _shop: ShopId, _member: domain::MemberId) -> RepoResult<Option<bool>> {
        // The in-memory store keeps no team (the team's tests run on the databases).
        Ok(None)
    }
    async fn insert_api_key(&mut self, key: &ApiKeyRecord) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.api_keys.push(key.clone());
        Ok(())
    }
    async fn save_settings(&mut self, shop: ShopId, settings: &domain::tenancy::ShopSettings, now: DateTime<Utc>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.shop_settings.insert(shop, (settings.clone(), now));
        Ok(())
    }
    async fn settings_of(&mut self, shops: &[ShopId]) -> RepoResult<HashMap<ShopId, domain::tenancy::ShopSettings>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(shops.iter().filter_map(|s| work.shop_settings.get(s).map(|(v, _)| (*s, v.clone()))).collect())
    }
}

fn bumped_account(a: &WhatsAppAccount) -> WhatsAppAccount {
    WhatsAppAccount::restore(AccountSnapshot { version: a.snapshot().version + 1, ..a.snapshot().clone() })
}

#[async_trait]
impl AccountRepository for MemoryPart {
    async fn insert(&mut self, account: &WhatsAppAccount, encrypted_token: &str) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        if work.accounts.values().any(|(a, _)| a.phone_number_id() == account.phone_number_id()) {
            return Err(RepoError::Conflict("phone_number_id".into()));
        }
        work.accounts.insert(account.id(), (account.clone(), encrypted_token.to_owned()));
        Ok(())
    }
    async fn update(&mut self, account: &WhatsAppAccount, encrypted_token: Option<&str>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let (stored, token) = work.accounts.get_mut(&account.id()).ok_or_else(|| stale("account"))?;
        if stored.snapshot().version != account.snapshot().version {
            return Err(stale("account"));
        }
        *stored = bumped_account(account);
        if let Some(t) = encrypted_token {
            *token = t.to_owned();
        }
        Ok(())
    }
    async fn lock(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.accounts.get(&id).map(|(a, _)| a.clone()).filter(|a| a.shop_id() == shop))
    }
    async fn lock_by_phone_number_id(&mut self, id: &PhoneNumberId) -> RepoResult<Option<WhatsAppAccount>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.accounts.values().map(|(a, _)| a).find(|a| a.phone_number_id() == id).cloned())
    }
    async fn lock_by_waba(&mut self, waba: &WabaId) -> RepoResult<Vec<WhatsAppAccount>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work
            .accounts
            .values()
            .map(|(a, _)| a)
            .filter(|a| a.snapshot().waba_id == *waba && a.status() != AccountStatus::Disconnected)
            .cloned()
            .collect())
    }
    async fn find_by_phone_number_ids(&mut self, ids: &[PhoneNumberId]) -> RepoResult<Vec<WhatsAppAccount>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.accounts.values().map(|(a, _)| a).filter(|a| ids.contains(a.phone_number_id())).cloned().collect())
    }
    async fn find(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.accounts.get(&id).map(|(a, _)| a.clone()).filter(|a| a.shop_id() == shop))
    }
    async fn find_by_display_number(&mut self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work
            .accounts
            .values()
            .map(|(a, _)| a)
            .find(|a| a.shop_id() == shop && a.display_phone_number() == number && a.status() != AccountStatus::Disconnected)
            .cloned())
    }
}

#[async_trait]
impl CustomerRepository for MemoryPart {
    async fn lock_by_wa_ids(&mut self, keys: &[(ShopId, WaId)]) -> RepoResult<Vec<Customer>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.customers.values().filter(|c| keys.iter().any(|(s, w)| c.shop_id() == *s && c.wa_id() == w)).cloned().collect())
    }
    async fn lock_by_id(&mut self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.customers.get(&id).filter(|c| c.shop_id() == shop).cloned())
    }
    async fn insert_many(&mut self, customers: &[Customer]) -> RepoResult<Vec<CustomerId>> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let rivals = std::mem::take(&mut self.shared.lock().unwrap_or_else(|p| p.into_inner()).rival_customers);
        work.rival_customers.clear();
        for r in rivals {
            self.shared.lock().unwrap_or_else(|p| p.into_inner()).customers.insert(r.id(), r.clone());
            work.customers.insert(r.id(), r);
        }
        let mut inserted = Vec::new();
        for c in customers {
            if work.customers.values().any(|o| o.shop_id() == c.shop_id() && o.wa_id() == c.wa_id()) {
                continue;
            }
            work.customers.insert(c.id(), c.clone());
            inserted.push(c.id());
        }
        Ok(inserted)
    }
    async fn update_many(&mut self, customers: &[&Customer]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        for c in customers {
            let stored = work.customers.get_mut(&c.id()).ok_or_else(|| stale("customer"))?;
            if stored.snapshot().version != c.snapshot().version {
                return Err(stale("customer"));
            }
            *stored = Customer::restore(CustomerSnapshot { version: c.snapshot().version + 1, ..c.snapshot().clone() });
        }
        Ok(())
    }
    async fn append_consent(&mut self, entries: &[ConsentEntry]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.consent_ledger.extend(entries.iter().cloned());
        Ok(())
    }
    async fn consent_settings(&mut self, shops: &[ShopId]) -> RepoResult<std::collections::HashMap<ShopId, ConsentSettings>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(shops.iter().map(|s| (*s, work.consent_settings.get(s).cloned().unwrap_or_default())).collect())
    }
    async fn save_consent_settings(&mut self, shop: ShopId, settings: &ConsentSettings, _now: DateTime<Utc>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.consent_settings.insert(shop, settings.clone());
        Ok(())
    }
    fn pseudonym(&self, shop: ShopId, wa_id: &WaId) -> WaId {
        // Not keyed: tests only need a stable, distinct, valid id.
        let n = wa_id
            .as_str()
            .bytes()
            .chain(shop.as_uuid().as_bytes().iter().copied())
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        WaId::parse(&format!("0{:014}", n % 100_000_000_000_000)).expect("15 digits")
    }
    async fn reindex(&mut self, customers: &[&Customer]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.reindexed.extend(customers.iter().map(|c| c.id()));
        Ok(())
    }
    async fn field_definitions(&mut self, shop: ShopId) -> RepoResult<Vec<FieldDefinition>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.field_definitions.iter().filter(|(s, _)| *s == shop).map(|(_, d)| d.clone()).collect())
    }
    async fn insert_field_definition(&mut self, shop: ShopId, def: &FieldDefinition, _now: DateTime<Utc>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        if work.field_definitions.iter().any(|(s, d)| *s == shop && d.key == def.key) {
            return Err(RepoError::Conflict("key".into()));
        }
        work.field_definitions.push((shop, def.clone()));
        Ok(())
    }
    async fn refresh_statistics(&mut self) -> RepoResult<()> {
        Ok(())
    }
    async fn insert_segment(&mut self, segment: &Segment) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        if work.segments.iter().any(|s| s.shop_id == segment.shop_id && s.name == segment.name) {
            return Err(RepoError::Conflict("name".into()));
        }
        work.segments.push(segment.clone());
        Ok(())
    }
    async fn delete_segment(&mut self, shop: ShopId, id: uuid::Uuid) -> RepoResult<bool> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let before = work.segments.len();
        work.segments.retain(|s| !(s.shop_id == shop && s.id == id));
        Ok(work.segments.len() != before)
    }
}

#[async_trait]
impl ConversationRepository for MemoryPart {
    async fn lock_active(&mut self, keys: &[(AccountId, WaId)]) -> RepoResult<Vec<Conversation>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work
            .conversations
            .values()
            .filter(|c| c.is_active() && keys.iter().any(|(a, w)| c.account_id() == *a && c.wa_id() == w))
            .cloned()
            .collect())
    }
    async fn find(&mut self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.conversations.get(&id).filter(|c| c.shop_id() == shop).cloned())
    }
    async fn latest(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Conversation>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work
            .conversations
            .values()
            .filter(|c| c.account_id() == account && c.wa_id() == wa_id)
            .max_by_key(|c| (c.snapshot().started_at, c.id()))
            .cloned())
    }
    async fn lock_many(&mut self, ids: &[ConversationId]) -> RepoResult<Vec<Conversation>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(ids.iter().filter_map(|id| work.conversations.get(id).cloned()).collect())
    }
    async fn lock_stale_active(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Conversation>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work
            .conversations
            .values()
            .filter(|c| c.is_active() && c.last_inbound_at().unwrap_or(c.snapshot().started_at) <= before)
            .take(limit as usize)
            .cloned()
            .collect())
    }
    async fn insert_many(&mut self, conversations: &[Conversation]) -> RepoResult<Vec<ConversationId>> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let mut inserted = Vec::new();
        for c in conversations {
            let taken = work.conversations.values().any(|o| o.is_active() && o.account_id() == c.account_id() && o.wa_id() == c.wa_id());
            if taken {
                continue;
            }
            work.conversations.insert(c.id(), c.clone());
            inserted.push(c.id());
        }
        Ok(inserted)
    }
    async fn update_many(&mut self, conversations: &[&Conversation]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        for c in conversations {
            let stored = work.conversations.get_mut(&c.id()).ok_or_else(|| stale("conversation"))?;
            if stored.snapshot().version != c.snapshot().version {
                return Err(stale("conversation"));
            }
            // The unread count is the store's, never the aggregate's.
            let unread_count = stored.snapshot().unread_count;
            *stored =
                Conversation::restore(ConversationSnapshot { version: c.snapshot().version + 1, unread_count, ..c.snapshot().clone() });
        }
        Ok(())
    }
    async fn add_unread(&mut self, counts: &[(ConversationId, u32)]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        for (id, n) in counts {
            if let Some(c) = work.conversations.get_mut(id) {
                *c = Conversation::restore(ConversationSnapshot { unread_count: c.snapshot().unread_count + n, ..c.snapshot().clone() });
            }
        }
        Ok(())
    }
    async fn recount_unread(&mut self, conversation: ConversationId) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let unread = work
            .messages
            .values()
            .filter(|m| {
                let s = m.snapshot();
                s.conversation_id == conversation && s.direction == Direction::Inbound && s.status == MessageStatus::Received
            })
            .count() as u32;
        if let Some(c) = work.conversations.get_mut(&conversation) {
            *c = Conversation::restore(ConversationSnapshot { unread_count: unread, ..c.snapshot().clone() });
        }
        Ok(())
    }
}

#[async_trait]
impl MessageRepository for MemoryPart {
    async fn existing_wamids(&mut self, wamids: &[String]) -> RepoResult<HashSet<String>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.messages.values().filter_map(|m| m.wamid()).filter(|w| wamids.iter().any(|x| x == w)).map(str::to_owned).collect())
    }
    async fn insert_many(&mut self, messages: &[Message]) -> RepoResult<Vec<MessageId>> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let mut inserted = Vec::new();
        for m in messages {
            if m.wamid().is_some() && work.messages.values().any(|o| o.wamid() == m.wamid()) {
                continue;
            }
            work.messages.insert(m.id(), m.clone());
            inserted.push(m.id());
        }
        Ok(inserted)
    }
    async fn lock(&mut self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.messages.get(&id).filter(|m| m.shop_id() == shop).cloned())
    }
    async fn lock_many(&mut self, ids: &[MessageId]) -> RepoResult<Vec<Message>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(ids.iter().filter_map(|id| work.messages.get(id).cloned()).collect())
    }
    async fn lock_by_wamids(&mut self, wamids: &[String]) -> RepoResult<Vec<Message>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.messages.values().filter(|m| m.wamid().is_some_and(|w| wamids.iter().any(|x| x == w))).cloned().collect())
    }
    async fn update_many(&mut self, messages: &[&Message]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        for m in messages {
            let stored = work.messages.get_mut(&m.id()).ok_or_else(|| stale("message"))?;
            if stored.snapshot().version != m.snapshot().version {
                return Err(stale("message"));
            }
            *stored = Message::restore(MessageSnapshot { version: m.snapshot().version + 1, ..m.snapshot().clone() });
        }
        Ok(())
    }
    async fn mark_read_through(&mut self, conversation: ConversationId, through: &Message, now: DateTime<Utc>) -> RepoResult<u64> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let mut n = 0;
        let (at, id) = (through.snapshot().timestamp, through.id());
        for m in work.messages.values_mut() {
            let s = m.snapshot();
            let earlier = s.timestamp < at || (s.timestamp == at && s.id <= id);
            if s.conversation_id == conversation && s.direction == Direction::Inbound && s.status == MessageStatus::Received && earlier {
                *m =
                    Message::restore(MessageSnapshot { status: MessageStatus::Read, updated_at: now, version: s.version + 1, ..s.clone() });
                n += 1;
            }
        }
        Ok(n)
    }
    async fn insert_statuses(
        &mut self,
        statuses: &[StatusRecord],
        _received_at: DateTime<Utc>,
    ) -> RepoResult<Vec<(String, MessageStatus)>> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let mut inserted = Vec::new();
        for s in statuses {
            if work.statuses.iter().any(|o| o.wamid == s.wamid && o.status == s.status) {
                continue;
            }
            work.statuses.push(s.clone());
            inserted.push((s.wamid.clone(), s.status));
        }
        Ok(inserted)
    }
    async fn statuses_for(&mut self, wamids: &[String]) -> RepoResult<Vec<StatusRecord>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.statuses.iter().filter(|s| wamids.contains(&s.wamid)).cloned().collect())
    }
    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId, pseudonym: &WaId) -> RepoResult<u64> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let phone = pseudonym.to_phone();
        let mut n = 0;
        for m in work.messages.values_mut().filter(|m| m.shop_id() == shop && m.snapshot().customer_id == customer) {
            let mut s = m.snapshot().clone();
            s.content = domain::messaging::MessageContent::Erased;
            s.context = None;
            s.referral = None;
            s.user_id = None;
            s.wa_id = pseudonym.clone();
            match s.direction {
                domain::messaging::Direction::Inbound => s.from = phone.clone(),
                domain::messaging::Direction::Outbound => s.to = phone.clone(),
            }
            *m = Message::restore(s);
            n += 1;
        }
        for c in work.conversations.values_mut().filter(|c| c.shop_id() == shop && c.customer_id() == customer) {
            *c = Conversation::restore(ConversationSnapshot { wa_id: pseudonym.clone(), ..c.snapshot().clone() });
        }
        let theirs: HashSet<MessageId> =
            work.messages.values().filter(|m| m.shop_id() == shop && m.snapshot().customer_id == customer).map(|m| m.id()).collect();
        work.idempotency.retain(|_, r| !r.message_id.is_some_and(|m| theirs.contains(&m)));
        Ok(n)
    }
}

#[async_trait]
impl IdempotencyRepository for MemoryPart {
    async fn claim(&mut self, record: &IdempotencyRecord) -> RepoResult<Option<IdempotencyRecord>> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let k = (record.shop_id, record.key.as_str().to_owned());
        if let Some(known) = work.idempotency.get(&k) {
            return Ok(Some(known.clone()));
        }
        work.idempotency.insert(k, record.clone());
        Ok(None)
    }
    async fn renew(&mut self, expired: &IdempotencyRecord, record: &IdempotencyRecord) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        match work.idempotency.get_mut(&(record.shop_id, record.key.as_str().to_owned())) {
            Some(r) if r.created_at == expired.created_at => {
                *r = record.clone();
                Ok(())
            }
            _ => Err(stale("the idempotency key")),
        }
    }
    async fn attach(&mut self, shop: ShopId, key: &IdempotencyKey, message: MessageId) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = work.idempotency.get_mut(&(shop, key.as_str().to_owned())) {
            r.message_id = Some(message);
        }
        Ok(())
    }
    async fn answer(&mut self, shop: ShopId, key: &IdempotencyKey, answer: &FirstAnswer) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = work.idempotency.get_mut(&(shop, key.as_str().to_owned()))
            && r.answer.is_none()
        {
            r.answer = Some(answer.clone());
        }
        Ok(())
    }
    async fn prune(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<u64> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let mut old: Vec<_> =
            work.idempotency.iter().filter(|(_, r)| r.created_at < before).map(|(k, r)| (r.created_at, k.clone())).collect();
        old.sort();
        old.truncate(limit as usize);
        for (_, k) in &old {
            work.idempotency.remove(k);
        }
        Ok(old.len() as u64)
    }
}

#[async_trait]
impl DeliveryRepository for MemoryPart {
    async fn enqueue(&mut self, delivery: &Delivery) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.deliveries.insert(delivery.message_id, delivery.clone());
        Ok(())
    }
    async fn get_many(&mut self, messages: &[MessageId]) -> RepoResult<Vec<Delivery>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(messages.iter().filter_map(|id| work.deliveries.get(id).cloned()).collect())
    }
    async fn reschedule(&mut self, delivery: &Delivery, _last_error: Option<&str>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.deliveries.insert(delivery.message_id, delivery.clone());
        Ok(())
    }
    async fn finish_many(&mut self, messages: &[MessageId]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        for id in messages {
            work.deliveries.remove(id);
        }
        Ok(())
    }
}

#[async_trait]
impl TemplateRepository for MemoryPart {
    async fn lock_status(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<TemplateStatus>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.templates.iter().find(|t| t.snapshot().shop_id == shop && t.snapshot().meta_template_id == meta_template_id).cloned())
    }
    async fn save_status(&mut self, status: &TemplateStatus) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let (shop, id) = (status.snapshot().shop_id, &status.snapshot().meta_template_id);
        work.templates.retain(|t| !(t.snapshot().shop_id == shop && &t.snapshot().meta_template_id == id));
        work.templates.push(status.clone());
        Ok(())
    }
    async fn category_of(&mut self, shop: ShopId, name: &str, language: &str) -> RepoResult<Option<TemplateCategory>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.template_categories.get(&(shop, name.to_owned(), language.to_owned())).copied())
    }
    async fn save_category(&mut self, shop: ShopId, name: &str, language: &str, category: TemplateCategory) -> RepoResult<bool> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.template_categories.insert((shop, name.to_owned(), language.to_owned()), category) != Some(category))
    }
    async fn lock(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<domain::templates::Template>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.stored_templates.iter().find(|t| t.shop_id() == shop && t.meta_template_id() == meta_template_id).cloned())
    }
    async fn by_name(&mut self, shop: ShopId, name: &str, language: &str) -> RepoResult<Vec<domain::templates::Template>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.stored_templates.iter().filter(|t| t.shop_id() == shop && t.name() == name && t.language() == language).cloned().collect())
    }
    async fn lock_many(&mut self, shop: ShopId, meta_template_ids: &[String]) -> RepoResult<Vec<domain::templates::Template>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work
            .stored_templates
            .iter()
            .filter(|t| t.shop_id() == shop && meta_template_ids.iter().any(|m| m == t.meta_template_id()))
            .cloned()
            .collect())
    }
    async fn save_many(&mut self, templates: &[(domain::templates::Template, bool)]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        for (template, _) in templates {
            work.stored_templates.retain(|t| !(t.shop_id() == template.shop_id() && t.meta_template_id() == template.meta_template_id()));
            work.stored_templates.push(template.clone());
        }
        Ok(())
    }
    async fn any_on_waba(&mut self, shop: ShopId, waba_id: &str) -> RepoResult<bool> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.stored_templates.iter().any(|t| t.shop_id() == shop && t.waba_id() == waba_id))
    }
    async fn delete(&mut self, shop: ShopId, id: uuid::Uuid) -> RepoResult<bool> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let before = work.stored_templates.len();
        work.stored_templates.retain(|t| !(t.shop_id() == shop && t.id() == id));
        Ok(work.stored_templates.len() != before)
    }
}

#[async_trait]
impl crate::media::ports::MediaRepository for MemoryPart {
    async fn insert_many(&mut self, files: &[domain::media::MediaFile]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.media.extend(files.iter().map(|f| (f.id(), f.clone())));
        Ok(())
    }
    async fn lock(&mut self, shop: ShopId, id: domain::MediaId) -> RepoResult<Option<domain::media::MediaFile>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(work.media.get(&id).filter(|f| f.shop_id() == shop).cloned())
    }
    async fn lock_many(&mut self, shop: ShopId, ids: &[domain::MediaId]) -> RepoResult<Vec<domain::media::MediaFile>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(ids.iter().filter_map(|id| work.media.get(id)).filter(|f| f.shop_id() == shop).cloned().collect())
    }
    async fn lock_of_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<domain::media::MediaFile>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let messages = &work.messages;
        Ok(work
            .media
            .values()
            .filter(|f| f.shop_id() == shop)
            .filter(|f| f.message_id().and_then(|m| messages.get(&m)).is_some_and(|m| m.snapshot().customer_id == customer))
            .cloned()
            .collect())
    }
    async fn save(&mut self, file: &domain::media::MediaFile) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.media.insert(file.id(), file.clone());
        Ok(())
    }
    async fn save_many(&mut self, files: &[domain::media::MediaFile]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.media.extend(files.iter().map(|f| (f.id(), f.clone())));
        Ok(())
    }
    async fn set_retention(&mut self, shop: ShopId, days: Option<u32>, _now: DateTime<Utc>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        match days {
            Some(d) => work.media_retention.insert(shop, d),
            None => work.media_retention.remove(&shop),
        };
        Ok(())
    }
}

#[async_trait]
impl crate::billing::ports::RateCardRepository for MemoryPart {
    async fn save(&mut self, shop: ShopId, card: &domain::billing::RateCard, _now: DateTime<Utc>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.rate_cards.insert(shop, card.clone());
        Ok(())
    }
}

#[async_trait]
impl WebhookEventRepository for MemoryPart {
    async fn take_pending(&mut self, take: &Take) -> RepoResult<Vec<RawWebhookEvent>> {
        let work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        Ok(match take {
            Take::Oldest(n) => work.inbox.iter().take(*n as usize).cloned().collect(),
            Take::Ids(ids) => work.inbox.iter().filter(|d| ids.contains(&d.id)).cloned().collect(),
        })
    }
    async fn mark_many(&mut self, marks: &[WebhookMark], at: DateTime<Utc>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.inbox.retain(|d| !marks.iter().any(|m| m.id == d.id));
        work.webhooks.extend(marks.iter().map(|m| (m.clone(), at)));
        Ok(())
    }
}

#[async_trait]
impl Outbox for MemoryPart {
    async fn append(&mut self, events: &Events, _recorded_at: DateTime<Utc>) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        work.outbox.extend(events.iter().map(|e| StoredEvent { event_type: e.event_type(), subject: e.subject(), data: e.data() }));
        Ok(())
    }
}

#[async_trait]
impl AuditTrail for MemoryPart {
    fn attribute_to(&mut self, member: Option<domain::MemberId>) {
        self.work.lock().unwrap_or_else(|p| p.into_inner()).audit_member = member;
    }
    async fn record(&mut self, entries: &[AuditEntry]) -> RepoResult<()> {
        let mut work = self.work.lock().unwrap_or_else(|p| p.into_inner());
        let member = work.audit_member;
        work.audit.extend(entries.iter().cloned().map(|e| AuditEntry { actor_member_id: e.actor_member_id.or(member), ..e }));
        Ok(())
    }
}
