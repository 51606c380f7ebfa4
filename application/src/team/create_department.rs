//! CreateDepartment (`POST /api/v1/departments`): an admin makes a department with members, a
//! routing policy and optional working hours, checked whole (a taken name, a member of another
//! shop are named); audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::TeamUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::{RepoError, RepoResult};
use crate::shared::unit_of_work::UnitOfWork;
use domain::shared::problem::Problem;
use domain::team::{Department, DepartmentDraft};
use domain::{DepartmentId, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct CreateDepartment {
    pub shop_id: ShopId,
    pub draft: DepartmentDraft,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateDepartmentError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the department is not valid")]
    Problems(Vec<Problem>),
    #[error("could not store the department")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateDepartmentError);

pub(crate) fn audited(shop_id: ShopId, action: &'static str, d: &Department) -> Audited {
    let s = d.snapshot();
    Audited {
        shop_id,
        action,
        subject_type: "department",
        subject_id: Some(s.id.to_string()),
        details: json!({"name": s.name, "routingPolicy": s.routing_policy.as_str(), "memberIds": s.member_ids}),
    }
}

/// What only the store can tell: the name is free in the shop, and every member is the shop's.
pub(crate) async fn check_in_shop(
    uow: &mut dyn UnitOfWork,
    shop: ShopId,
    d: &Department,
    except: Option<DepartmentId>,
) -> RepoResult<Vec<Problem>> {
    let mut problems = Vec::new();
    let s = d.snapshot();
    if uow.team().department_name_taken(shop, &s.name, except).await? {
        problems.push(Problem::new("name", "is already a department of this shop"));
    }
    let known: Vec<MemberId> = uow.team().members_of_shop(shop, &s.member_ids).await?;
    for (i, id) in s.member_ids.iter().enumerate() {
        if !known.contains(id) {
            problems.push(Problem::new(format!("memberIds[{i}]"), "is not a member of this shop's team"));
        }
    }
    Ok(problems)
}

impl Command for CreateDepartment {
    type Output = Department;
    type Error = CreateDepartmentError;
    const NAME: &'static str = "CreateDepartment";

    fn audit(&self, d: &Department) -> Option<Audited> {
        Some(audited(self.shop_id, "department.created", d))
    }
}

pub struct CreateDepartmentHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<CreateDepartment> for CreateDepartmentHandler {
    async fn handle(&self, cmd: &CreateDepartment, uow: &mut dyn UnitOfWork) -> Result<Department, CreateDepartmentError> {
        let d = Department::create(cmd.shop_id, &cmd.draft, self.clock.now()).map_err(CreateDepartmentError::Problems)?;
        let problems = check_in_shop(uow, cmd.shop_id, &d, None).await?;
        if !problems.is_empty() {
            return Err(CreateDepartmentError::Problems(problems));
        }
        uow.team().insert_department(&d).await?;
        Ok(d)
    }
}
