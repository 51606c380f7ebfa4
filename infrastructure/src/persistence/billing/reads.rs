//! Billing reads.

use async_trait::async_trait;
use sea_orm::EntityTrait;

use application::billing::ports::RateCardReads;
use application::{RepoError, RepoResult};
use domain::ShopId;
use domain::billing::RateCard;

use super::entities::rate_cards::Entity;
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaRateCardReads {
    db: Db,
}

impl SeaRateCardReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl RateCardReads for SeaRateCardReads {
    async fn rate_card(&self, shop: ShopId) -> RepoResult<Option<RateCard>> {
        let Some(row) = Entity::find_by_id(shop.as_uuid()).one(&self.db.conn).await.map_err(repo_err)? else { return Ok(None) };
        let rates = serde_json::from_value(row.rates)
            .map_err(|e| RepoError::Corrupt(application::Cause::caused_by(format!("rate card of {shop}"), e)))?;
        Ok(Some(RateCard { currency: row.currency, rates }))
    }
}
