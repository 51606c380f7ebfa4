//! GetTeamStats (`GET /api/v1/analytics/agents`): every member's and every department's
//! figures over a range, as GetAgentStats computes them (docs/INBOX.md).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::get_agent_stats::{WorkingHours, range_ok};
use super::ports::InboxReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use crate::team::ports::MemberFilter;
use domain::inbox::stats::{Figures, Handling, figures};
use domain::{DepartmentId, MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct GetTeamStats {
    pub shop_id: ShopId,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The team's figures: per member (by name) and per department (by name).
#[derive(Debug, Clone, PartialEq)]
pub struct TeamStats {
    pub members: Vec<(MemberId, String, Figures)>,
    pub departments: Vec<(DepartmentId, String, Figures)>,
}

#[derive(Debug, thiserror::Error)]
pub enum GetTeamStatsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("`from` must be before `to`, at most {} days apart", super::get_agent_stats::MAX_RANGE_DAYS)]
    BadRange,
    #[error("could not read the statistics")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetTeamStatsError);

impl Query for GetTeamStats {
    type Output = TeamStats;
    type Error = GetTeamStatsError;
    const NAME: &'static str = "GetTeamStats";
}

pub struct GetTeamStatsHandler {
    pub reads: Arc<dyn InboxReads>,
    pub hours: WorkingHours,
}

#[async_trait]
impl QueryHandler<GetTeamStats> for GetTeamStatsHandler {
    async fn handle(&self, q: &GetTeamStats) -> Result<TeamStats, GetTeamStatsError> {
        if !range_ok(q.from, q.to) {
            return Err(GetTeamStatsError::BadRange);
        }
        let hours = self.hours.of(q.shop_id).await?;
        let handlings = self.reads.handlings(q.shop_id, None, q.from, q.to).await?;
        let pick = |keep: &dyn Fn(&Handling) -> bool| handlings.iter().filter(|h| keep(h)).collect::<Vec<_>>();
        let members = self.hours.team.members(q.shop_id, &MemberFilter::default()).await?;
        let departments = self.hours.team.departments(q.shop_id).await?;
        Ok(TeamStats {
            members: members
                .iter()
                .map(|m| {
                    let id = m.member.id();
                    (id, m.member.snapshot().name.clone(), figures(&pick(&|h| h.member_id == id), q.from, q.to, &hours))
                })
                .collect(),
            departments: departments
                .iter()
                .map(|d| {
                    let id = d.id();
                    (id, d.snapshot().name.clone(), figures(&pick(&|h| h.department_id == Some(id)), q.from, q.to, &hours))
                })
                .collect(),
        })
    }
}
