//! Ports of the customers context.

use async_trait::async_trait;

use crate::shared::repo::RepoResult;
use domain::customers::Customer;
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
}

/// The read side.
#[async_trait]
pub trait CustomerReads: Send + Sync {
    async fn by_wa_id(&self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>>;
    /// `userId` is an identifier a sibling service attached to a customer.
    async fn by_user_id(&self, shop: ShopId, user_id: &str) -> RepoResult<Option<Customer>>;
    async fn by_id(&self, shop: ShopId, id: CustomerId) -> RepoResult<Option<Customer>>;
    /// Newest first; `search` matches part of a name, `waId` or `userId`, case-insensitively.
    async fn list(&self, shop: ShopId, search: Option<&str>, page: crate::shared::repo::Page) -> RepoResult<(Vec<Customer>, u64)>;
}
