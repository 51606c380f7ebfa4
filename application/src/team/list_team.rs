//! ListMembers, GetMember, ListDepartments, GetDepartment and ListDepartmentMembers: the team as
//! dashboards show it, each member with their load (`busy` is derived from it) and departments.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{MemberFilter, MemberView, TeamReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::team::Department;
use domain::{DepartmentId, MemberId, ShopId};

#[derive(Debug, thiserror::Error)]
pub enum ListTeamError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such member")]
    MemberNotFound,
    #[error("no such department")]
    DepartmentNotFound,
    #[error("could not read the team")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListTeamError);

#[derive(Debug, Validate)]
pub struct ListMembers {
    pub shop_id: ShopId,
    pub filter: MemberFilter,
}

impl Query for ListMembers {
    type Output = Vec<MemberView>;
    type Error = ListTeamError;
    const NAME: &'static str = "ListMembers";
}

#[derive(Debug, Validate)]
pub struct GetMember {
    pub shop_id: ShopId,
    pub id: MemberId,
}

impl Query for GetMember {
    type Output = MemberView;
    type Error = ListTeamError;
    const NAME: &'static str = "GetMember";
}

#[derive(Debug, Validate)]
pub struct ListDepartments {
    pub shop_id: ShopId,
}

impl Query for ListDepartments {
    type Output = Vec<Department>;
    type Error = ListTeamError;
    const NAME: &'static str = "ListDepartments";
}

#[derive(Debug, Validate)]
pub struct GetDepartment {
    pub shop_id: ShopId,
    pub id: DepartmentId,
}

impl Query for GetDepartment {
    type Output = Department;
    type Error = ListTeamError;
    const NAME: &'static str = "GetDepartment";
}

/// A department's members, in the department's order.
#[derive(Debug, Validate)]
pub struct ListDepartmentMembers {
    pub shop_id: ShopId,
    pub id: DepartmentId,
}

impl Query for ListDepartmentMembers {
    type Output = Vec<MemberView>;
    type Error = ListTeamError;
    const NAME: &'static str = "ListDepartmentMembers";
}

pub struct TeamQueries {
    pub reads: Arc<dyn TeamReads>,
}

#[async_trait]
impl QueryHandler<ListMembers> for TeamQueries {
    async fn handle(&self, q: &ListMembers) -> Result<Vec<MemberView>, ListTeamError> {
        Ok(self.reads.members(q.shop_id, &q.filter).await?)
    }
}

#[async_trait]
impl QueryHandler<GetMember> for TeamQueries {
    async fn handle(&self, q: &GetMember) -> Result<MemberView, ListTeamError> {
        self.reads.member(q.shop_id, q.id).await?.ok_or(ListTeamError::MemberNotFound)
    }
}

#[async_trait]
impl QueryHandler<ListDepartments> for TeamQueries {
    async fn handle(&self, q: &ListDepartments) -> Result<Vec<Department>, ListTeamError> {
        Ok(self.reads.departments(q.shop_id).await?)
    }
}

#[async_trait]
impl QueryHandler<GetDepartment> for TeamQueries {
    async fn handle(&self, q: &GetDepartment) -> Result<Department, ListTeamError> {
        self.reads.department(q.shop_id, q.id).await?.ok_or(ListTeamError::DepartmentNotFound)
    }
}

#[async_trait]
impl QueryHandler<ListDepartmentMembers> for TeamQueries {
    async fn handle(&self, q: &ListDepartmentMembers) -> Result<Vec<MemberView>, ListTeamError> {
        let d = self.reads.department(q.shop_id, q.id).await?.ok_or(ListTeamError::DepartmentNotFound)?;
        let filter = MemberFilter { department: Some(d.id()), ..Default::default() };
        let mut members = self.reads.members(q.shop_id, &filter).await?;
        let order = &d.snapshot().member_ids;
        members.sort_by_key(|v| order.iter().position(|id| *id == v.member.id()).unwrap_or(usize::MAX));
        Ok(members)
    }
}
