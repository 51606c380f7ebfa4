//! The billing write side, inside a unit of work.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use sea_orm::sea_query::OnConflict;

use application::RepoResult;
use application::billing::ports::RateCardRepository;
use domain::ShopId;
use domain::billing::RateCard;

use super::entities::rate_cards::{ActiveModel, Column, Entity};
use crate::persistence::repo_err;
use crate::persistence::sql::Txn;

pub struct SeaRateCardRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl RateCardRepository for SeaRateCardRepository {
    async fn save(&mut self, shop: ShopId, card: &RateCard, now: DateTime<Utc>) -> RepoResult<()> {
        let row = ActiveModel {
            shop_id: Set(shop.as_uuid()),
            currency: Set(card.currency.clone()),
            rates: Set(serde_json::to_value(&card.rates).unwrap_or_default()),
            updated_at: Set(now),
        };
        Entity::insert(row)
            .on_conflict(OnConflict::column(Column::ShopId).update_columns([Column::Currency, Column::Rates, Column::UpdatedAt]).to_owned())
            .exec_without_returning(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}
