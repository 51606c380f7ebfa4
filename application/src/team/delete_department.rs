//! DeleteDepartment (`DELETE /api/v1/departments/{id}`): the department and its membership go;
//! the members stay; audited.

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::TeamUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{DepartmentId, ShopId};

#[derive(Debug, Validate)]
pub struct DeleteDepartment {
    pub shop_id: ShopId,
    pub id: DepartmentId,
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteDepartmentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such department")]
    NotFound,
    #[error("could not delete the department")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DeleteDepartmentError);

impl Command for DeleteDepartment {
    type Output = ();
    type Error = DeleteDepartmentError;
    const NAME: &'static str = "DeleteDepartment";

    fn audit(&self, _: &()) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "department.deleted",
            subject_type: "department",
            subject_id: Some(self.id.to_string()),
            details: json!({}),
        })
    }
}

pub struct DeleteDepartmentHandler;

#[async_trait]
impl CommandHandler<DeleteDepartment> for DeleteDepartmentHandler {
    async fn handle(&self, cmd: &DeleteDepartment, uow: &mut dyn UnitOfWork) -> Result<(), DeleteDepartmentError> {
        if uow.team().delete_department(cmd.shop_id, cmd.id).await? { Ok(()) } else { Err(DeleteDepartmentError::NotFound) }
    }
}
