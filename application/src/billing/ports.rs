//! What billing needs from storage.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::shared::repo::RepoResult;
use domain::ShopId;
use domain::billing::RateCard;

/// Inside a unit of work.
#[async_trait]
pub trait RateCardRepository: Send {
    /// Replaces the shop's card.
    async fn save(&mut self, shop: ShopId, card: &RateCard, now: DateTime<Utc>) -> RepoResult<()>;
}

#[async_trait]
pub trait RateCardReads: Send + Sync {
    async fn rate_card(&self, shop: ShopId) -> RepoResult<Option<RateCard>>;
}

/// The rate cards inside a unit of work. (`use` this trait to call `uow.rate_cards()`.)
pub trait BillingUnitOfWork {
    fn rate_cards(&mut self) -> &mut dyn RateCardRepository;
}

impl BillingUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn rate_cards(&mut self) -> &mut dyn RateCardRepository {
        crate::shared::unit_of_work::repository::<dyn RateCardRepository>(self)
    }
}
