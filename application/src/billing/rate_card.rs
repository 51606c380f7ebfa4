//! SetRateCard and GetRateCard: the shop's prices per pricing category and market. The card is
//! checked whole (every problem named at once) and replaced whole; the change is audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::RateCardReads;
use crate::billing::ports::BillingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler, Query, QueryHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;
use domain::billing::RateCard;
use domain::shared::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum RateCardError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the rate card has {} problems", .0.len())]
    Rejected(Vec<Problem>),
    #[error("the shop has no rate card")]
    NotFound,
    #[error("could not read or store the rate card")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RateCardError);

#[derive(Debug, Validate)]
pub struct SetRateCard {
    pub shop_id: ShopId,
    pub currency: String,
    /// `(category, prefix, price)` as sent.
    pub rates: Vec<(String, String, String)>,
}

impl Command for SetRateCard {
    type Output = RateCard;
    type Error = RateCardError;
    const NAME: &'static str = "SetRateCard";
    fn audit(&self, out: &RateCard) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "rate_card.updated",
            subject_type: "shop",
            subject_id: Some(self.shop_id.to_string()),
            details: json!({"currency": out.currency, "rates": out.rates.len()}),
        })
    }
}

pub struct SetRateCardHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<SetRateCard> for SetRateCardHandler {
    async fn handle(&self, cmd: &SetRateCard, uow: &mut dyn UnitOfWork) -> Result<RateCard, RateCardError> {
        let card = RateCard::parse(&cmd.currency, &cmd.rates).map_err(RateCardError::Rejected)?;
        uow.rate_cards().save(cmd.shop_id, &card, self.clock.now()).await?;
        Ok(card)
    }
}

#[derive(Debug, Validate)]
pub struct GetRateCard {
    pub shop_id: ShopId,
}

impl Query for GetRateCard {
    type Output = RateCard;
    type Error = RateCardError;
    const NAME: &'static str = "GetRateCard";
}

pub struct GetRateCardHandler {
    pub reads: Arc<dyn RateCardReads>,
}

#[async_trait]
impl QueryHandler<GetRateCard> for GetRateCardHandler {
    async fn handle(&self, q: &GetRateCard) -> Result<RateCard, RateCardError> {
        self.reads.rate_card(q.shop_id).await?.ok_or(RateCardError::NotFound)
    }
}
