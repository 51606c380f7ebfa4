//! PreviewTemplate: what a send of the template with these parameters would show, or every
//! problem with the parameters (the same check a send passes).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use validator::Validate;

use super::ports::TemplateReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::templates::{Problem, RenderedTemplate};

#[derive(Debug, thiserror::Error)]
pub enum PreviewTemplateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such template in this shop")]
    NotFound,
    #[error("the service does not know what this template says (sync it first)")]
    ContentUnknown,
    #[error("the parameters do not fit the template")]
    Parameters(Vec<Problem>),
    #[error("could not read the template")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(PreviewTemplateError);

/// What a send with these `components` would show.
#[derive(Debug, Validate)]
pub struct PreviewTemplate {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
    pub components: Vec<Value>,
}

impl Query for PreviewTemplate {
    type Output = RenderedTemplate;
    type Error = PreviewTemplateError;
    const NAME: &'static str = "PreviewTemplate";
}

pub struct PreviewTemplateHandler {
    pub reads: Arc<dyn TemplateReads>,
}

#[async_trait]
impl QueryHandler<PreviewTemplate> for PreviewTemplateHandler {
    async fn handle(&self, q: &PreviewTemplate) -> Result<RenderedTemplate, PreviewTemplateError> {
        let t = self.reads.by_id(q.shop_id, q.id).await?.ok_or(PreviewTemplateError::NotFound)?;
        t.render(&q.components).ok_or(PreviewTemplateError::ContentUnknown)?.map_err(PreviewTemplateError::Parameters)
    }
}
