//! UpdateDepartment (`PATCH /api/v1/departments/{id}`): name, description, routing policy,
//! members (the whole list), working hours (`null`: the shop's); checked whole; audited.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::create_department::{audited, check_in_shop};
use super::ports::TeamUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::shared::problem::Problem;
use domain::team::{Department, DepartmentDraft, DepartmentSnapshot};
use domain::{DepartmentId, ShopId};

#[derive(Debug, Validate)]
pub struct UpdateDepartment {
    pub shop_id: ShopId,
    pub id: DepartmentId,
    pub draft: DepartmentDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateDepartmentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such department")]
    NotFound,
    #[error("the department is not valid")]
    Problems(Vec<Problem>),
    #[error("could not store the department")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateDepartmentError);

impl Command for UpdateDepartment {
    type Output = Department;
    type Error = UpdateDepartmentError;
    const NAME: &'static str = "UpdateDepartment";

    fn audit(&self, d: &Department) -> Option<Audited> {
        Some(audited(self.shop_id, "department.updated", d))
    }
}

pub struct UpdateDepartmentHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<UpdateDepartment> for UpdateDepartmentHandler {
    async fn handle(&self, cmd: &UpdateDepartment, uow: &mut dyn UnitOfWork) -> Result<Department, UpdateDepartmentError> {
        let mut d = uow.team().lock_department(cmd.shop_id, cmd.id).await?.ok_or(UpdateDepartmentError::NotFound)?;
        if !d.update(&cmd.draft, self.clock.now()).map_err(UpdateDepartmentError::Problems)? {
            return Ok(d);
        }
        let problems = check_in_shop(uow, cmd.shop_id, &d, Some(cmd.id)).await?;
        if !problems.is_empty() {
            return Err(UpdateDepartmentError::Problems(problems));
        }
        uow.team().update_department(&d).await?;
        Ok(Department::restore(DepartmentSnapshot { version: d.snapshot().version + 1, ..d.snapshot().clone() }))
    }
}
