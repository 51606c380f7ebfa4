//! GetTemplate: one template with its status history and the figures of its sends (priced with
//! the shop's rate card, if it has one).

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{StatusChange, TemplateFigures, TemplateReads};
use crate::billing::ports::RateCardReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::templates::Template;

#[derive(Debug, thiserror::Error)]
pub enum GetTemplateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such template in this shop")]
    NotFound,
    #[error("could not read the template")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetTemplateError);

#[derive(Debug, Validate)]
pub struct GetTemplate {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
}

impl Query for GetTemplate {
    type Output = (Template, Vec<StatusChange>, TemplateFigures);
    type Error = GetTemplateError;
    const NAME: &'static str = "GetTemplate";
}

pub struct GetTemplateHandler {
    pub reads: Arc<dyn TemplateReads>,
    pub rate_cards: Arc<dyn RateCardReads>,
}

#[async_trait]
impl QueryHandler<GetTemplate> for GetTemplateHandler {
    async fn handle(&self, q: &GetTemplate) -> Result<(Template, Vec<StatusChange>, TemplateFigures), GetTemplateError> {
        let t = self.reads.by_id(q.shop_id, q.id).await?.ok_or(GetTemplateError::NotFound)?;
        let history = self.reads.history(q.shop_id, t.meta_template_id()).await?;
        let mut figures = self.reads.figures(q.shop_id, t.waba_id(), t.name(), t.language()).await?;
        if let Some(card) = self.rate_cards.rate_card(q.shop_id).await? {
            let counts = self.reads.billable_by_market(q.shop_id, t.waba_id(), t.name(), t.language()).await?;
            let cost = card.cost(counts.iter().map(|(c, d, n)| (c.as_str(), d.as_str(), *n)));
            figures.cost = Some((card.currency, cost));
        }
        Ok((t, history, figures))
    }
}
