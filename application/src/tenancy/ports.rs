//! Ports of the tenancy context.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::shared::repo::RepoResult;
use domain::tenancy::{Role, ShopSettings};
use domain::{ApiKeyId, MemberId, ShopId};

#[derive(Debug, Clone, PartialEq)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub shop_id: ShopId,
    pub name: String,
    pub role: Role,
    pub key_hash: String,
    pub key_prefix: String,
    /// The member an `agent` key acts for: what it does is attributed to them beside the key.
    pub member_id: Option<MemberId>,
    pub created_at: DateTime<Utc>,
}

/// A valid shop key: whose it is and what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthenticatedKey {
    pub id: ApiKeyId,
    pub shop_id: ShopId,
    pub role: Role,
    /// The member it acts for, if bound.
    pub member_id: Option<MemberId>,
}

/// The write side, inside a unit of work.
#[async_trait]
pub trait ShopRepository: Send {
    async fn insert_shop(&mut self, shop: &Shop) -> RepoResult<()>;
    async fn shop_exists(&mut self, id: ShopId) -> RepoResult<bool>;
    async fn insert_api_key(&mut self, key: &ApiKeyRecord) -> RepoResult<()>;
    /// Whether a member of the shop's team (`/api/v1/agents`), whom a key may act for, is active;
    /// `None` when the shop has no such member. (The team is another context, which builds on
    /// this one: it is read here through the store, not imported.)
    async fn member_active(&mut self, shop: ShopId, member: MemberId) -> RepoResult<Option<bool>>;
    /// Replace the shop's settings.
    async fn save_settings(&mut self, shop: ShopId, settings: &ShopSettings, now: DateTime<Utc>) -> RepoResult<()>;
    /// The settings of these shops (a shop that set nothing is absent: the defaults apply).
    async fn settings_of(&mut self, shops: &[ShopId]) -> RepoResult<std::collections::HashMap<ShopId, ShopSettings>>;
}

/// The read side.
#[async_trait]
pub trait TenancyReads: Send + Sync {
    /// A key that is not revoked, by the SHA-256 of the key.
    async fn api_key_by_hash(&self, hash: &str) -> RepoResult<Option<AuthenticatedKey>>;
    async fn shop(&self, id: ShopId) -> RepoResult<Option<Shop>>;
    async fn api_keys(&self, shop: ShopId) -> RepoResult<Vec<ApiKeyRecord>>;
    /// The shop's settings and when they were last changed; `None` when it never set them.
    async fn settings(&self, shop: ShopId) -> RepoResult<Option<(ShopSettings, DateTime<Utc>)>>;
}

/// The shops inside a unit of work. (`use` this trait to call `uow.shops()`.)
pub trait TenancyUnitOfWork {
    fn shops(&mut self) -> &mut dyn ShopRepository;
}

impl TenancyUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn shops(&mut self) -> &mut dyn ShopRepository {
        crate::shared::unit_of_work::repository::<dyn ShopRepository>(self)
    }
}
