//! Ports of the customers context.

use async_trait::async_trait;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::shared::repo::{Page, RepoResult};
use domain::customers::{ConsentEntry, ConsentSettings, Customer, FieldDefinition, Group, Segment};
use domain::{CustomerId, ShopId, WaId};

/// The write side, inside a unit of work.
#[async_trait]
pub trait CustomerRepository: Send {
    /// The customers with these `(shop, waId)` keys, locked until commit.
    async fn lock_by_wa_ids(&mut self, keys: &[(ShopId, WaId)]) -> RepoResult<Vec<Customer>>;
    /// One customer of this shop, locked until commit.
    async fn lock_by_id(&mut self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>>;
    /// Inserts new customers; one whose `(shop, waId)` another transaction created meanwhile is
    /// skipped. Returns the ids actually inserted.
    async fn insert_many(&mut self, customers: &[Customer]) -> RepoResult<Vec<CustomerId>>;
    /// Version-checked updates (`RepoError::Concurrency` if one changed since it was loaded).
    async fn update_many(&mut self, customers: &[&Customer]) -> RepoResult<()>;
    /// Appends entries to the consent ledger (it is never changed or deleted).
    async fn append_consent(&mut self, entries: &[ConsentEntry]) -> RepoResult<()>;
    /// The consent settings of these shops (the defaults for a shop that has none).
    async fn consent_settings(&mut self, shops: &[ShopId]) -> RepoResult<HashMap<ShopId, ConsentSettings>>;
    async fn save_consent_settings(&mut self, shop: ShopId, settings: &ConsentSettings, now: DateTime<Utc>) -> RepoResult<()>;
    /// The keyed pseudonym a number becomes when its customer is erased (stable per shop and
    /// number, so a later opt-out check recognises it; not reversible without the key).
    fn pseudonym(&self, shop: ShopId, wa_id: &WaId) -> WaId;
    /// Rewrite what the list filters search by (tags, custom field values) for these customers.
    /// Every use case that changes tags or custom fields calls it.
    async fn reindex(&mut self, customers: &[&Customer]) -> RepoResult<()>;
    /// The shop's custom field definitions, in the order they were created.
    async fn field_definitions(&mut self, shop: ShopId) -> RepoResult<Vec<FieldDefinition>>;
    /// `RepoError::Conflict` if the shop has a field with that key.
    async fn insert_field_definition(&mut self, shop: ShopId, def: &FieldDefinition, now: DateTime<Utc>) -> RepoResult<()>;
    /// Refresh the planner's statistics of the customers' tables (after a large import, so the
    /// filters' plans fit the new sizes before autovacuum gets to it).
    async fn refresh_statistics(&mut self) -> RepoResult<()>;
    /// `RepoError::Conflict` if the shop has a segment with that name.
    async fn insert_segment(&mut self, segment: &Segment) -> RepoResult<()>;
    /// `false` if there was no such segment.
    async fn delete_segment(&mut self, shop: ShopId, id: uuid::Uuid) -> RepoResult<bool>;
}

/// How a customer list is ordered (ties by id, so pages never overlap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerSort {
    pub by: SortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    FirstContactedAt,
    LastInboundAt,
    UpdatedAt,
    Name,
}

impl Default for CustomerSort {
    fn default() -> Self {
        Self { by: SortKey::FirstContactedAt, descending: true }
    }
}

impl CustomerSort {
    /// `firstContactedAt`, `-lastInboundAt` (descending), `name`, `updatedAt`.
    pub fn parse(s: &str) -> Option<Self> {
        let (descending, key) = match s.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, s),
        };
        let by = match key {
            "firstContactedAt" => SortKey::FirstContactedAt,
            "lastInboundAt" => SortKey::LastInboundAt,
            "updatedAt" => SortKey::UpdatedAt,
            "name" => SortKey::Name,
            _ => return None,
        };
        Some(Self { by, descending })
    }
}

/// The read side.
#[async_trait]
pub trait CustomerReads: Send + Sync {
    async fn by_wa_id(&self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>>;
    /// `userId` is an identifier a sibling service attached to a customer.
    async fn by_user_id(&self, shop: ShopId, user_id: &str) -> RepoResult<Option<Customer>>;
    async fn by_id(&self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>>;
    /// The shop's customers in `audience` (evaluated at `now`: the window), sorted, a page of
    /// them and how many match.
    async fn list(
        &self,
        shop: ShopId,
        audience: &Group,
        sort: CustomerSort,
        page: Page,
        now: DateTime<Utc>,
    ) -> RepoResult<(Vec<Customer>, u64)>;
    /// How many of the shop's customers are in `audience`.
    async fn count(&self, shop: ShopId, audience: &Group, now: DateTime<Utc>) -> RepoResult<u64>;
    async fn segments(&self, shop: ShopId) -> RepoResult<Vec<Segment>>;
    async fn segment(&self, shop: ShopId, id: uuid::Uuid) -> RepoResult<Option<Segment>>;
    /// A customer's consent ledger, newest first.
    async fn consent_ledger(&self, shop: ShopId, customer: CustomerId, page: Page) -> RepoResult<(Vec<ConsentEntry>, u64)>;
    /// The shop's consent settings (the defaults if it has none).
    async fn consent_settings(&self, shop: ShopId) -> RepoResult<ConsentSettings>;
    async fn field_definitions(&self, shop: ShopId) -> RepoResult<Vec<FieldDefinition>>;
    /// After a bulk write (an import): fresh planner statistics and, where the database keeps
    /// one, a fresh visibility map for the customers' tables, so that filters and counts are
    /// answered from the indexes alone at once, not when autovacuum next comes by.
    async fn settle_after_bulk_write(&self) -> RepoResult<()>;
}

/// The customers inside a unit of work. (`use` this trait to call `uow.customers()`.)
pub trait CustomersUnitOfWork {
    fn customers(&mut self) -> &mut dyn CustomerRepository;
}

impl CustomersUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn customers(&mut self) -> &mut dyn CustomerRepository {
        crate::shared::unit_of_work::repository::<dyn CustomerRepository>(self)
    }
}
