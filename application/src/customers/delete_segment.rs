//! DeleteSegmentCommand: remove a saved segment (its customers are untouched).

use async_trait::async_trait;
use validator::Validate;

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;

#[derive(Debug, Validate)]
pub struct DeleteSegment {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteSegmentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such segment in this shop")]
    NotFound,
    #[error("could not delete the segment")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DeleteSegmentError);

impl Command for DeleteSegment {
    type Output = ();
    type Error = DeleteSegmentError;
    const NAME: &'static str = "DeleteSegment";
}

pub struct DeleteSegmentHandler;

#[async_trait]
impl CommandHandler<DeleteSegment> for DeleteSegmentHandler {
    async fn handle(&self, cmd: &DeleteSegment, uow: &mut dyn UnitOfWork) -> Result<(), DeleteSegmentError> {
        if uow.customers().delete_segment(cmd.shop_id, cmd.id).await? { Ok(()) } else { Err(DeleteSegmentError::NotFound) }
    }
}
