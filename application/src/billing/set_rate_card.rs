//! SetRateCard: the shop's prices per pricing category and market, checked whole (every problem
//! named at once) and replaced whole; the change is audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use crate::billing::ports::BillingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;
use domain::billing::RateCard;
use domain::shared::problem::Problem;

#[derive(Debug, thiserror::Error)]
pub enum SetRateCardError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the rate card has {} problems", .0.len())]
    Rejected(Vec<Problem>),
    #[error("could not store the rate card")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SetRateCardError);

#[derive(Debug, Validate)]
pub struct SetRateCard {
    pub shop_id: ShopId,
    pub currency: String,
    /// `(category, prefix, price)` as sent.
    pub rates: Vec<(String, String, String)>,
}

impl Command for SetRateCard {
    type Output = RateCard;
    type Error = SetRateCardError;
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
    async fn handle(&self, cmd: &SetRateCard, uow: &mut dyn UnitOfWork) -> Result<RateCard, SetRateCardError> {
        let card = RateCard::parse(&cmd.currency, &cmd.rates).map_err(SetRateCardError::Rejected)?;
        uow.rate_cards().save(cmd.shop_id, &card, self.clock.now()).await?;
        Ok(card)
    }
}
