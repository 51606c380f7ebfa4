//! The team's read side: members with their load (threads people own and assigned to them,
//! whose time has not run out) and their departments.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::sea_query::Query as SeaQuery;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::team::ports::{MemberFilter, MemberView, TeamReads};
use domain::team::{Department, Member};
use domain::{DepartmentId, MemberId, ShopId};

use super::entities::{department_members as dm, departments as deps, team_members as members};
use super::mapping;
use crate::persistence::turns::entities::{held_by, threads};
use crate::persistence::{Db, repo_err};

pub struct SeaTeamReads {
    db: Db,
}

impl SeaTeamReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn views(&self, shop: ShopId, rows: Vec<Member>) -> RepoResult<Vec<MemberView>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<uuid::Uuid> = rows.iter().map(|m| m.id().as_uuid()).collect();
        let loads: Vec<(Option<uuid::Uuid>, i64)> = threads::Entity::find()
            .select_only()
            .column(threads::Column::OwnerMemberId)
            .column_as(threads::Column::Id.count(), "n")
            .filter(held_by(shop.as_uuid(), ids.clone(), Utc::now()))
            .group_by(threads::Column::OwnerMemberId)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let loads: HashMap<uuid::Uuid, u32> =
            loads.into_iter().filter_map(|(m, n)| Some((m?, u32::try_from(n).unwrap_or(u32::MAX)))).collect();
        let memberships: Vec<(uuid::Uuid, uuid::Uuid)> = dm::Entity::find()
            .select_only()
            .column(dm::Column::MemberId)
            .column(dm::Column::DepartmentId)
            .filter(dm::Column::ShopId.eq(shop.as_uuid()))
            .filter(dm::Column::MemberId.is_in(ids))
            .order_by_asc(dm::Column::DepartmentId)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let id = m.id().as_uuid();
                MemberView {
                    load: loads.get(&id).copied().unwrap_or(0),
                    department_ids: memberships.iter().filter(|(mm, _)| *mm == id).map(|(_, d)| DepartmentId::from(*d)).collect(),
                    member: m,
                }
            })
            .collect())
    }

    async fn department_members(&self, ids: &[uuid::Uuid]) -> RepoResult<HashMap<uuid::Uuid, Vec<MemberId>>> {
        let rows: Vec<(uuid::Uuid, uuid::Uuid)> = dm::Entity::find()
            .select_only()
            .column(dm::Column::DepartmentId)
            .column(dm::Column::MemberId)
            .filter(dm::Column::DepartmentId.is_in(ids.to_vec()))
            .order_by_asc(dm::Column::DepartmentId)
            .order_by_asc(dm::Column::Position)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let mut out: HashMap<uuid::Uuid, Vec<MemberId>> = HashMap::new();
        for (d, m) in rows {
            out.entry(d).or_default().push(m.into());
        }
        Ok(out)
    }
}

#[async_trait]
impl TeamReads for SeaTeamReads {
    async fn members(&self, shop: ShopId, f: &MemberFilter) -> RepoResult<Vec<MemberView>> {
        let mut q = members::Entity::find().filter(members::Column::ShopId.eq(shop.as_uuid()));
        if let Some(s) = f.status {
            q = q.filter(members::Column::Status.eq(s.as_str()));
        }
        if let Some(a) = f.active {
            q = q.filter(members::Column::Active.eq(a));
        }
        if let Some(d) = f.department {
            let in_department = SeaQuery::select()
                .column(dm::Column::MemberId)
                .from(dm::Entity)
                .and_where(dm::Column::DepartmentId.eq(d.as_uuid()))
                .to_owned();
            q = q.filter(members::Column::Id.in_subquery(in_department));
        }
        let rows = q
            .order_by_asc(members::Column::CreatedAt)
            .order_by_asc(members::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::member)
            .collect::<RepoResult<Vec<_>>>()?;
        self.views(shop, rows).await
    }

    async fn member(&self, shop: ShopId, id: MemberId) -> RepoResult<Option<MemberView>> {
        let row = members::Entity::find_by_id(id.as_uuid())
            .filter(members::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let Some(m) = row.map(mapping::member).transpose()? else {
            return Ok(None);
        };
        Ok(self.views(shop, vec![m]).await?.pop())
    }

    async fn departments(&self, shop: ShopId) -> RepoResult<Vec<Department>> {
        let rows = deps::Entity::find()
            .filter(deps::Column::ShopId.eq(shop.as_uuid()))
            .order_by_asc(deps::Column::Name)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let mut members = self.department_members(&rows.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
        rows.into_iter()
            .map(|r| {
                let m = members.remove(&r.id).unwrap_or_default();
                mapping::department(r, m)
            })
            .collect()
    }

    async fn department(&self, shop: ShopId, id: DepartmentId) -> RepoResult<Option<Department>> {
        let row = deps::Entity::find_by_id(id.as_uuid())
            .filter(deps::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let Some(r) = row else {
            return Ok(None);
        };
        let m = self.department_members(&[r.id]).await?.remove(&r.id).unwrap_or_default();
        mapping::department(r, m).map(Some)
    }
}
