//! ListCustomFieldsQuery: the shop's custom field definitions, in the order they were made.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::CustomerReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::ShopId;
use domain::customers::FieldDefinition;

#[derive(Debug, Validate)]
pub struct ListCustomFields {
    pub shop_id: ShopId,
}

#[derive(Debug, thiserror::Error)]
pub enum ListCustomFieldsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the custom fields")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListCustomFieldsError);

impl Query for ListCustomFields {
    type Output = Vec<FieldDefinition>;
    type Error = ListCustomFieldsError;
    const NAME: &'static str = "ListCustomFields";
}

pub struct ListCustomFieldsHandler {
    pub reads: Arc<dyn CustomerReads>,
}

#[async_trait]
impl QueryHandler<ListCustomFields> for ListCustomFieldsHandler {
    async fn handle(&self, q: &ListCustomFields) -> Result<Vec<FieldDefinition>, ListCustomFieldsError> {
        Ok(self.reads.field_definitions(q.shop_id).await?)
    }
}
