//! CreateSegmentCommand: save a named audience (a filter with AND/OR groups) of the shop's
//! customers. Campaigns target segments; a "group" is a segment on a tag.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use validator::Validate;

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;
use domain::customers::Segment;

#[derive(Debug, Validate)]
pub struct CreateSegment {
    pub shop_id: ShopId,
    pub name: String,
    pub definition: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateSegmentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the shop already has a segment with this name")]
    Duplicate,
    #[error("could not store the segment")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateSegmentError);

impl Command for CreateSegment {
    type Output = Segment;
    type Error = CreateSegmentError;
    const NAME: &'static str = "CreateSegment";
}

pub struct CreateSegmentHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateSegment> for CreateSegmentHandler {
    async fn handle(&self, cmd: &CreateSegment, uow: &mut dyn UnitOfWork) -> Result<Segment, CreateSegmentError> {
        let defs = uow.customers().field_definitions(cmd.shop_id).await?;
        let (segment, _) = Segment::new(cmd.shop_id, &cmd.name, cmd.definition.clone(), &defs, self.clock.now()).map_err(Invalid::from)?;
        match uow.customers().insert_segment(&segment).await {
            Err(RepoError::Conflict(_)) => Err(CreateSegmentError::Duplicate),
            r => r.map(|_| segment).map_err(Into::into),
        }
    }
}
