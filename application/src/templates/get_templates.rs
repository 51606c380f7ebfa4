//! GetTemplatesQuery: a page of the shop's templates (by status, by part of the name); one
//! template with its status history and the figures of its sends; and the preview of a send's
//! parameters.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use validator::Validate;

use super::ports::{StatusChange, TemplateFigures, TemplateReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::ShopId;
use domain::templates::{Problem, RenderedTemplate, Template};

#[derive(Debug, thiserror::Error)]
pub enum GetTemplatesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such template in this shop")]
    NotFound,
    #[error("the service does not know what this template says (sync it first)")]
    ContentUnknown,
    #[error("the parameters do not fit the template")]
    Parameters(Vec<Problem>),
    #[error("could not read the templates")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetTemplatesError);

#[derive(Debug, Validate)]
pub struct ListTemplates {
    pub shop_id: ShopId,
    /// Meta's status, any case.
    pub status: Option<String>,
    pub name: Option<String>,
    #[validate(range(min = 1, max = 200, message = "must be between 1 and 200"))]
    pub limit: u64,
    pub offset: u64,
}

impl Query for ListTemplates {
    type Output = Paged<Template>;
    type Error = GetTemplatesError;
    const NAME: &'static str = "ListTemplates";
}

#[derive(Debug, Validate)]
pub struct GetTemplate {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
}

impl Query for GetTemplate {
    type Output = (Template, Vec<StatusChange>, TemplateFigures);
    type Error = GetTemplatesError;
    const NAME: &'static str = "GetTemplate";
}

/// What a send with these `components` would show.
#[derive(Debug, Validate)]
pub struct PreviewTemplate {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
    pub components: Vec<Value>,
}

impl Query for PreviewTemplate {
    type Output = RenderedTemplate;
    type Error = GetTemplatesError;
    const NAME: &'static str = "PreviewTemplate";
}

pub struct GetTemplatesHandler {
    pub reads: Arc<dyn TemplateReads>,
    pub rate_cards: Arc<dyn crate::billing::ports::RateCardReads>,
}

#[async_trait]
impl QueryHandler<ListTemplates> for GetTemplatesHandler {
    async fn handle(&self, q: &ListTemplates) -> Result<Paged<Template>, GetTemplatesError> {
        let status = q.status.as_deref().map(str::to_ascii_lowercase);
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.list(q.shop_id, status.as_deref(), q.name.as_deref(), page).await?;
        Ok(Paged::new(items, total, page))
    }
}

#[async_trait]
impl QueryHandler<GetTemplate> for GetTemplatesHandler {
    async fn handle(&self, q: &GetTemplate) -> Result<(Template, Vec<StatusChange>, TemplateFigures), GetTemplatesError> {
        let t = self.reads.by_id(q.shop_id, q.id).await?.ok_or(GetTemplatesError::NotFound)?;
        let history = self.reads.history(q.shop_id, &t.meta_template_id).await?;
        let mut figures = self.reads.figures(q.shop_id, &t.waba_id, &t.name, &t.language).await?;
        if let Some(card) = self.rate_cards.rate_card(q.shop_id).await? {
            let counts = self.reads.billable_by_market(q.shop_id, &t.waba_id, &t.name, &t.language).await?;
            let cost = card.cost(counts.iter().map(|(c, d, n)| (c.as_str(), d.as_str(), *n)));
            figures.cost = Some((card.currency, cost));
        }
        Ok((t, history, figures))
    }
}

#[async_trait]
impl QueryHandler<PreviewTemplate> for GetTemplatesHandler {
    async fn handle(&self, q: &PreviewTemplate) -> Result<RenderedTemplate, GetTemplatesError> {
        let t = self.reads.by_id(q.shop_id, q.id).await?.ok_or(GetTemplatesError::NotFound)?;
        t.render(&q.components).ok_or(GetTemplatesError::ContentUnknown)?.map_err(GetTemplatesError::Parameters)
    }
}
