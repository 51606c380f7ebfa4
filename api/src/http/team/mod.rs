//! The team API: members (`/api/v1/agents`) and departments (`/api/v1/departments`).

pub mod dto;
pub mod routes;

use std::sync::Arc;

use application::Pipeline;
use application::team::create_department::{CreateDepartmentError, CreateDepartmentHandler};
use application::team::create_member::{CreateMemberError, CreateMemberHandler};
use application::team::delete_department::{DeleteDepartmentError, DeleteDepartmentHandler};
use application::team::list_team::{ListTeamError, TeamQueries};
use application::team::set_member_status::{SetMemberStatusError, SetMemberStatusHandler};
use application::team::update_department::{UpdateDepartmentError, UpdateDepartmentHandler};
use application::team::update_member::{UpdateMemberError, UpdateMemberHandler};

use super::error::ApiError;
use crate::adapters::Adapters;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::TeamApi;

pub fn api() -> Api {
    routes::TeamApi
}

pub struct TeamHttp {
    pub pipeline: Pipeline,
    pub create_member: CreateMemberHandler,
    pub update_member: UpdateMemberHandler,
    pub set_status: SetMemberStatusHandler,
    pub create_department: CreateDepartmentHandler,
    pub update_department: UpdateDepartmentHandler,
    pub delete_department: DeleteDepartmentHandler,
    pub queries: TeamQueries,
}

pub fn wire(a: &Adapters) -> Arc<TeamHttp> {
    Arc::new(TeamHttp {
        pipeline: a.pipeline.clone(),
        create_member: CreateMemberHandler { clock: a.clock.clone() },
        update_member: UpdateMemberHandler { clock: a.clock.clone() },
        set_status: SetMemberStatusHandler { clock: a.clock.clone() },
        create_department: CreateDepartmentHandler { clock: a.clock.clone() },
        update_department: UpdateDepartmentHandler { clock: a.clock.clone() },
        delete_department: DeleteDepartmentHandler,
        queries: TeamQueries { reads: a.team_reads.clone() },
    })
}

impl From<CreateMemberError> for ApiError {
    fn from(e: CreateMemberError) -> Self {
        match e {
            CreateMemberError::Invalid(i) => i.into(),
            CreateMemberError::Problems(p) => ApiError::problems(&p),
            CreateMemberError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateMemberError> for ApiError {
    fn from(e: UpdateMemberError) -> Self {
        match e {
            UpdateMemberError::Invalid(i) => i.into(),
            UpdateMemberError::NotFound => ApiError::not_found("agent"),
            UpdateMemberError::Problems(p) => ApiError::problems(&p),
            UpdateMemberError::Storage(s) => s.into(),
        }
    }
}

impl From<SetMemberStatusError> for ApiError {
    fn from(e: SetMemberStatusError) -> Self {
        match e {
            SetMemberStatusError::Invalid(i) => i.into(),
            SetMemberStatusError::NotFound => ApiError::not_found("agent"),
            SetMemberStatusError::Storage(s) => s.into(),
        }
    }
}

impl From<CreateDepartmentError> for ApiError {
    fn from(e: CreateDepartmentError) -> Self {
        match e {
            CreateDepartmentError::Invalid(i) => i.into(),
            CreateDepartmentError::Problems(p) => ApiError::problems(&p),
            CreateDepartmentError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateDepartmentError> for ApiError {
    fn from(e: UpdateDepartmentError) -> Self {
        match e {
            UpdateDepartmentError::Invalid(i) => i.into(),
            UpdateDepartmentError::NotFound => ApiError::not_found("department"),
            UpdateDepartmentError::Problems(p) => ApiError::problems(&p),
            UpdateDepartmentError::Storage(s) => s.into(),
        }
    }
}

impl From<DeleteDepartmentError> for ApiError {
    fn from(e: DeleteDepartmentError) -> Self {
        match e {
            DeleteDepartmentError::Invalid(i) => i.into(),
            DeleteDepartmentError::NotFound => ApiError::not_found("department"),
            DeleteDepartmentError::Storage(s) => s.into(),
        }
    }
}

impl From<ListTeamError> for ApiError {
    fn from(e: ListTeamError) -> Self {
        match e {
            ListTeamError::Invalid(i) => i.into(),
            ListTeamError::MemberNotFound => ApiError::not_found("agent"),
            ListTeamError::DepartmentNotFound => ApiError::not_found("department"),
            ListTeamError::Storage(s) => s.into(),
        }
    }
}
