//! GetAgentStats (`GET /api/v1/agents/{id}/stats`; seed 002 `GetConversationMetricsQuery`): one
//! member's figures over a range: handled, open now, reassigned by the SLA, and first response
//! and resolution times in wall time and in working time (docs/INBOX.md).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use validator::Validate;

use super::ports::InboxReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::{RepoError, RepoResult};
use crate::team::ports::TeamReads;
use crate::tenancy::ports::TenancyReads;
use domain::inbox::stats::{Figures, figures};
use domain::tenancy::ShopSettings;
use domain::{DepartmentId, MemberId, ShopId};

/// The longest range statistics are read over.
pub const MAX_RANGE_DAYS: i64 = 366;

#[derive(Debug, Validate)]
pub struct GetAgentStats {
    pub shop_id: ShopId,
    pub member_id: MemberId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum GetAgentStatsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such member")]
    NotFound,
    #[error("`from` must be before `to`, at most {MAX_RANGE_DAYS} days apart")]
    BadRange,
    #[error("could not read the statistics")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetAgentStatsError);

impl Query for GetAgentStats {
    type Output = Figures;
    type Error = GetAgentStatsError;
    const NAME: &'static str = "GetAgentStats";
}

/// Reads the working hours of the shop and its departments (shared with GetTeamStats).
pub struct WorkingHours {
    pub tenancy: Arc<dyn TenancyReads>,
    pub team: Arc<dyn TeamReads>,
}

impl WorkingHours {
    /// Each department's hours, and the shop's for threads in none.
    pub async fn of(&self, shop: ShopId) -> RepoResult<impl Fn(Option<DepartmentId>) -> ShopSettings + use<>> {
        let settings = self.tenancy.settings(shop).await?.map(|(s, _)| s).unwrap_or_default();
        let departments: HashMap<DepartmentId, ShopSettings> =
            self.team.departments(shop).await?.iter().map(|d| (d.id(), d.hours(&settings))).collect();
        Ok(move |d: Option<DepartmentId>| d.and_then(|d| departments.get(&d).cloned()).unwrap_or_else(|| settings.clone()))
    }
}

pub fn range_ok(from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    from < to && to - from <= Duration::days(MAX_RANGE_DAYS)
}

pub struct GetAgentStatsHandler {
    pub reads: Arc<dyn InboxReads>,
    pub hours: WorkingHours,
}

#[async_trait]
impl QueryHandler<GetAgentStats> for GetAgentStatsHandler {
    async fn handle(&self, q: &GetAgentStats) -> Result<Figures, GetAgentStatsError> {
        if !range_ok(q.from, q.to) {
            return Err(GetAgentStatsError::BadRange);
        }
        self.hours.team.member(q.shop_id, q.member_id).await?.ok_or(GetAgentStatsError::NotFound)?;
        let hours = self.hours.of(q.shop_id).await?;
        let handlings = self.reads.handlings(q.shop_id, Some(q.member_id), q.from, q.to).await?;
        Ok(figures(&handlings.iter().collect::<Vec<_>>(), q.from, q.to, &hours))
    }
}
