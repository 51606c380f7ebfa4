//! ListTemplates: a page of the shop's templates, by status and by part of the name.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::TemplateReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{Page, Paged, RepoError};
use domain::ShopId;
use domain::templates::Template;

#[derive(Debug, thiserror::Error)]
pub enum ListTemplatesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the templates")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListTemplatesError);

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
    type Error = ListTemplatesError;
    const NAME: &'static str = "ListTemplates";
}

pub struct ListTemplatesHandler {
    pub reads: Arc<dyn TemplateReads>,
}

#[async_trait]
impl QueryHandler<ListTemplates> for ListTemplatesHandler {
    async fn handle(&self, q: &ListTemplates) -> Result<Paged<Template>, ListTemplatesError> {
        let status = q.status.as_deref().map(str::to_ascii_lowercase);
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.list(q.shop_id, status.as_deref(), q.name.as_deref(), page).await?;
        Ok(Paged::new(items, total, page))
    }
}
