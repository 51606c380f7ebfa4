//! `/api/v1/agents` and `/api/v1/departments`: the shop's team (docs/INBOX.md).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::team::create_department::CreateDepartment;
use application::team::create_member::CreateMember;
use application::team::delete_department::DeleteDepartment;
use application::team::list_team::{GetDepartment, GetMember, ListDepartmentMembers, ListDepartments, ListMembers};
use application::team::ports::{MemberFilter, MemberView};
use application::team::set_member_status::SetMemberStatus;
use application::team::update_department::UpdateDepartment;
use application::team::update_member::UpdateMember;
use domain::shared::problem::Problem;
use domain::team::department::WorkingHours;
use domain::team::{Department, DepartmentDraft, MemberDraft, MemberStatus};
use domain::tenancy::Role;

use super::TeamHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::tenancy::dto::{BusinessHoursDto, IntervalDto};
use crate::http::{ApiTags, change, ctx};

pub struct TeamApi;

#[derive(ApiResponse)]
enum MemberCreated {
    #[oai(status = 201)]
    Created(Json<MemberDto>),
}

#[derive(ApiResponse)]
enum DepartmentCreated {
    #[oai(status = 201)]
    Created(Json<DepartmentDto>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

fn member_dto(v: &MemberView) -> MemberDto {
    let s = v.member.snapshot();
    MemberDto {
        id: s.id.as_uuid(),
        name: s.name.clone(),
        email: s.email.clone(),
        status: s.status.as_str().into(),
        capacity: s.capacity,
        skills: s.skills.clone(),
        active: s.active,
        load: v.load,
        busy: v.member.is_busy(v.load),
        department_ids: v.department_ids.iter().map(|d| d.as_uuid()).collect(),
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

fn member_list(items: Vec<MemberView>) -> MemberListDto {
    MemberListDto { total: items.len() as u64, items: items.iter().map(member_dto).collect(), has_more: false }
}

fn hours_in(h: WorkingHoursDto) -> WorkingHours {
    let days = h.business_hours.days();
    WorkingHours {
        time_zone: h.time_zone,
        business_hours: std::array::from_fn(|i| {
            days[i].as_ref().map(|v| v.iter().map(|iv| (iv.open.clone(), iv.close.clone())).collect()).unwrap_or_default()
        }),
    }
}

fn hours_out(h: &WorkingHours) -> WorkingHoursOutDto {
    let day = |i: usize| -> Option<Vec<IntervalDto>> {
        let d = &h.business_hours[i];
        (!d.is_empty()).then(|| d.iter().map(|(o, c)| IntervalDto { open: o.clone(), close: c.clone() }).collect())
    };
    WorkingHoursOutDto {
        time_zone: h.time_zone.clone(),
        business_hours: BusinessHoursDto {
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
        },
    }
}

fn department_dto(d: &Department) -> DepartmentDto {
    let s = d.snapshot();
    DepartmentDto {
        id: s.id.as_uuid(),
        name: s.name.clone(),
        description: s.description.clone(),
        routing_policy: s.routing_policy.as_str().into(),
        member_ids: s.member_ids.iter().map(|m| m.as_uuid()).collect(),
        working_hours: s.working_hours.as_ref().map(hours_out),
        sla_minutes: s.sla_minutes,
        created_at: s.created_at,
        updated_at: s.updated_at,
    }
}

fn status_of(s: &str) -> Result<MemberStatus, ApiError> {
    MemberStatus::parse(s).ok_or_else(|| ApiError::problems(&[Problem::new("status", "must be available, away or offline")]))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Team")]
impl TeamApi {
    /// The shop's team (viewer), oldest first; each member with their load (conversations
    /// people own and assigned to them now) and `busy` (at capacity).
    #[oai(path = "/agents", method = "get", operation_id = "listAgents")]
    #[allow(clippy::too_many_arguments)]
    async fn list_members(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        /// `available`, `away` or `offline`.
        status: Query<Option<String>>,
        /// Only this department's members.
        #[oai(name = "departmentId")]
        department_id: Query<Option<Uuid>>,
        /// true: only active members; false: only deactivated ones. Absent: both.
        active: Query<Option<bool>>,
    ) -> Result<Json<MemberListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let status = status.0.as_deref().map(status_of).transpose()?;
        let filter = MemberFilter { status, department: department_id.0.map(Into::into), active: active.0 };
        let items = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, ListMembers { shop_id: shop, filter }).await?;
        Ok(Json(member_list(items)))
    }

    /// Add a member to the team (admin); `agent.created`. A new member is `offline` unless the
    /// request says otherwise.
    #[oai(path = "/agents", method = "post", operation_id = "createAgent")]
    async fn create_member(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateMemberRequest>,
    ) -> Result<MemberCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let draft = MemberDraft {
            name: Some(b.name),
            email: Some(b.email),
            capacity: b.capacity,
            skills: b.skills,
            status: b.status,
            active: None,
        };
        let m = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.create_member, CreateMember { shop_id: shop, draft }).await?;
        Ok(MemberCreated::Created(Json(member_dto(&MemberView { member: m, load: 0, department_ids: Vec::new() }))))
    }

    /// One member (viewer).
    #[oai(path = "/agents/:id", method = "get", operation_id = "getAgent")]
    async fn get_member(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<MemberDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let v = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, GetMember { shop_id: shop, id: id.0.into() }).await?;
        Ok(Json(member_dto(&v)))
    }

    /// Change a member (admin): name, email, capacity, skills, or `active: false` to deactivate
    /// them (they keep their history and receive no new work); `agent.updated`.
    #[oai(path = "/agents/:id", method = "patch", operation_id = "updateAgent")]
    async fn update_member(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<UpdateMemberRequest>,
    ) -> Result<Json<MemberDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let draft = MemberDraft { name: b.name, email: b.email, capacity: b.capacity, skills: b.skills, status: None, active: b.active };
        let c = ctx(&rid, Some(shop));
        h.pipeline.execute(&c, &h.update_member, UpdateMember { shop_id: shop, id: id.0.into(), draft }).await?;
        let v = h.pipeline.query(&c, &h.queries, GetMember { shop_id: shop, id: id.0.into() }).await?;
        Ok(Json(member_dto(&v)))
    }

    /// Set a member's status (agent): `available` (receives work), `away` or `offline`;
    /// `agent.status.changed`.
    #[oai(path = "/agents/:id/status", method = "put", operation_id = "setAgentStatus")]
    async fn set_status(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<MemberStatusRequest>,
    ) -> Result<Json<MemberDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let status = status_of(&body.0.status)?;
        let c = ctx(&rid, Some(shop));
        h.pipeline.execute(&c, &h.set_status, SetMemberStatus { shop_id: shop, id: id.0.into(), status }).await?;
        let v = h.pipeline.query(&c, &h.queries, GetMember { shop_id: shop, id: id.0.into() }).await?;
        Ok(Json(member_dto(&v)))
    }

    /// The shop's departments, by name (viewer).
    #[oai(path = "/departments", method = "get", operation_id = "listDepartments")]
    async fn list_departments(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<DepartmentListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let all = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, ListDepartments { shop_id: shop }).await?;
        Ok(Json(DepartmentListDto { total: all.len() as u64, items: all.iter().map(department_dto).collect(), has_more: false }))
    }

    /// Make a department (admin): members of the shop's team, a routing policy, and working
    /// hours of its own or the shop's.
    #[oai(path = "/departments", method = "post", operation_id = "createDepartment")]
    async fn create_department(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateDepartmentRequest>,
    ) -> Result<DepartmentCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let draft = DepartmentDraft {
            name: Some(b.name),
            description: Some(b.description),
            routing_policy: b.routing_policy,
            member_ids: b.member_ids.map(|ids| ids.into_iter().map(Into::into).collect()),
            working_hours: Some(b.working_hours.map(hours_in)),
            sla_minutes: Some(b.sla_minutes),
        };
        let d = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.create_department, CreateDepartment { shop_id: shop, draft }).await?;
        Ok(DepartmentCreated::Created(Json(department_dto(&d))))
    }

    /// One department (viewer).
    #[oai(path = "/departments/:id", method = "get", operation_id = "getDepartment")]
    async fn get_department(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<DepartmentDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let d = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, GetDepartment { shop_id: shop, id: id.0.into() }).await?;
        Ok(Json(department_dto(&d)))
    }

    /// Change a department (admin): absent fields stay; `memberIds` replaces the list;
    /// `workingHours: null` falls back to the shop's hours.
    #[oai(path = "/departments/:id", method = "patch", operation_id = "updateDepartment")]
    async fn update_department(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<UpdateDepartmentRequest>,
    ) -> Result<Json<DepartmentDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let draft = DepartmentDraft {
            name: b.name,
            description: change(b.description),
            routing_policy: b.routing_policy,
            member_ids: b.member_ids.map(|ids| ids.into_iter().map(Into::into).collect()),
            working_hours: change(b.working_hours).map(|h| h.map(hours_in)),
            sla_minutes: change(b.sla_minutes),
        };
        let cmd = UpdateDepartment { shop_id: shop, id: id.0.into(), draft };
        let d = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.update_department, cmd).await?;
        Ok(Json(department_dto(&d)))
    }

    /// Delete a department (admin); its members stay in the team.
    #[oai(path = "/departments/:id", method = "delete", operation_id = "deleteDepartment")]
    async fn delete_department(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        h.pipeline.execute(&ctx(&rid, Some(shop)), &h.delete_department, DeleteDepartment { shop_id: shop, id: id.0.into() }).await?;
        Ok(Deleted::NoContent)
    }

    /// A department's members, in the department's order (viewer).
    #[oai(path = "/departments/:id/agents", method = "get", operation_id = "listDepartmentAgents")]
    async fn department_members(
        &self,
        h: Data<&Arc<TeamHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<MemberListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let items = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, ListDepartmentMembers { shop_id: shop, id: id.0.into() }).await?;
        Ok(Json(member_list(items)))
    }
}
