//! `GET /api/v1/agents/{id}/stats` and `GET /api/v1/analytics/agents` (docs/INBOX.md).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use application::inbox::get_agent_stats::{GetAgentStats, GetAgentStatsError};
use application::inbox::get_team_stats::{GetTeamStats, GetTeamStatsError};
use domain::inbox::stats::{Figures, Times};
use domain::tenancy::Role;

use super::InboxHttp;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct StatsApi;

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TimesDto {
    /// How many spans were measured.
    pub count: u64,
    /// Their average wall time, in seconds (null: none).
    pub average_seconds: Option<f64>,
    /// Their average time within working hours (the department's, else the shop's), in seconds.
    pub average_working_seconds: Option<f64>,
}

impl From<&Times> for TimesDto {
    fn from(t: &Times) -> Self {
        Self { count: t.count, average_seconds: t.average_seconds, average_working_seconds: t.average_working_seconds }
    }
}

/// A member's or a department's figures over `[from, to)`.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct FiguresDto {
    /// Conversations assigned in the range.
    pub handled: u64,
    /// Conversations held now.
    pub open_now: u64,
    /// Of those assigned in the range, how many the SLA took back.
    pub reassigned_by_sla: u64,
    /// From the assignment to the member's first reply.
    pub first_response: TimesDto,
    /// From the assignment to the close, for those closed.
    pub resolution: TimesDto,
}

impl From<&Figures> for FiguresDto {
    fn from(f: &Figures) -> Self {
        Self {
            handled: f.handled,
            open_now: f.open_now,
            reassigned_by_sla: f.reassigned_by_sla,
            first_response: (&f.first_response).into(),
            resolution: (&f.resolution).into(),
        }
    }
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct AgentStatsDto {
    pub member_id: Uuid,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub figures: FiguresDto,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct NamedFiguresDto {
    pub id: Uuid,
    pub name: String,
    pub figures: FiguresDto,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct TeamStatsDto {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Every member, by name.
    pub members: Vec<NamedFiguresDto>,
    /// Every department, by name (a conversation counts for the department its thread was in
    /// when it was assigned).
    pub departments: Vec<NamedFiguresDto>,
}

/// `[from, to)`, by default the 7 days up to now.
fn range(h: &InboxHttp, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = to.unwrap_or_else(|| h.clock.now());
    (from.unwrap_or(to - Duration::days(7)), to)
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Team")]
impl StatsApi {
    /// A member's statistics (viewer) over `[from, to)` (default: the last 7 days; at most 366
    /// days): conversations handled, open now, reassigned by the SLA, and first response and
    /// resolution times in wall time and in working hours.
    #[oai(path = "/agents/:id/stats", method = "get", operation_id = "getAgentStats")]
    async fn agent(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> Result<Json<AgentStatsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (from, to) = range(&h, from.0, to.0);
        let q = GetAgentStats { shop_id: shop, member_id: id.0.into(), from, to };
        let f = h.pipeline.query(&ctx(&rid, Some(shop)), &h.agent_stats, q).await?;
        Ok(Json(AgentStatsDto { member_id: id.0, from, to, figures: (&f).into() }))
    }

    /// The team's statistics (viewer) over `[from, to)`, per member and per department, as
    /// `GET /agents/{id}/stats` computes them.
    #[oai(path = "/analytics/agents", method = "get", operation_id = "getTeamStats")]
    async fn team(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> Result<Json<TeamStatsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (from, to) = range(&h, from.0, to.0);
        let s = h.pipeline.query(&ctx(&rid, Some(shop)), &h.team_stats, GetTeamStats { shop_id: shop, from, to }).await?;
        let named = |id: Uuid, name: &String, f: &Figures| NamedFiguresDto { id, name: name.clone(), figures: f.into() };
        Ok(Json(TeamStatsDto {
            from,
            to,
            members: s.members.iter().map(|(id, n, f)| named(id.as_uuid(), n, f)).collect(),
            departments: s.departments.iter().map(|(id, n, f)| named(id.as_uuid(), n, f)).collect(),
        }))
    }
}

impl From<GetAgentStatsError> for ApiError {
    fn from(e: GetAgentStatsError) -> Self {
        match e {
            GetAgentStatsError::Invalid(i) => i.into(),
            GetAgentStatsError::NotFound => ApiError::not_found("agent"),
            GetAgentStatsError::BadRange => ApiError::validation("from", &e.to_string()),
            GetAgentStatsError::Storage(s) => s.into(),
        }
    }
}

impl From<GetTeamStatsError> for ApiError {
    fn from(e: GetTeamStatsError) -> Self {
        match e {
            GetTeamStatsError::Invalid(i) => i.into(),
            GetTeamStatsError::BadRange => ApiError::validation("from", &e.to_string()),
            GetTeamStatsError::Storage(s) => s.into(),
        }
    }
}
