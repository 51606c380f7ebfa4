//! The team's write side, inside a unit of work.

use async_trait::async_trait;
use sea_orm::sea_query::LockType;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::team::ports::TeamRepository;
use application::{RepoError, RepoResult};
use domain::team::{Department, Member};
use domain::{DepartmentId, MemberId, ShopId};

use super::entities::{department_members as dm, departments as deps, team_members as members};
use super::mapping;
use crate::persistence::repo_err;
use crate::persistence::sql::Txn;
use crate::persistence::turns::entities::{held_by, threads};

pub struct SeaTeamRepository {
    pub(crate) tx: Txn,
}

impl SeaTeamRepository {
    async fn replace_membership(&mut self, d: &Department) -> RepoResult<()> {
        dm::Entity::delete_many().filter(dm::Column::DepartmentId.eq(d.id().as_uuid())).exec(self.tx.as_ref()).await.map_err(repo_err)?;
        let rows = mapping::membership_rows(d);
        if !rows.is_empty() {
            dm::Entity::insert_many(rows).exec_without_returning(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        Ok(())
    }
}

#[async_trait]
impl TeamRepository for SeaTeamRepository {
    async fn insert_member(&mut self, m: &Member) -> RepoResult<()> {
        mapping::member_row(m, 1).insert(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn lock_member(&mut self, shop: ShopId, id: MemberId) -> RepoResult<Option<Member>> {
        let q = members::Entity::find_by_id(id.as_uuid()).filter(members::Column::ShopId.eq(shop.as_uuid())).lock(LockType::Update);
        q.one(self.tx.as_ref()).await.map_err(repo_err)?.map(mapping::member).transpose()
    }

    async fn update_member(&mut self, m: &Member) -> RepoResult<()> {
        let loaded = m.snapshot().version;
        let mut row = mapping::member_row(m, loaded + 1);
        row.id = sea_orm::ActiveValue::NotSet;
        let res = members::Entity::update_many()
            .set(row)
            .filter(members::Column::Id.eq(m.id().as_uuid()))
            .filter(members::Column::Version.eq(loaded))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected != 1 {
            return Err(RepoError::Concurrency(format!("member {} changed since it was read", m.id()).into()));
        }
        Ok(())
    }

    async fn email_taken(&mut self, shop: ShopId, email: &str, except: Option<MemberId>) -> RepoResult<bool> {
        let mut q = members::Entity::find().filter(members::Column::ShopId.eq(shop.as_uuid())).filter(members::Column::Email.eq(email));
        if let Some(id) = except {
            q = q.filter(members::Column::Id.ne(id.as_uuid()));
        }
        Ok(q.count(self.tx.as_ref()).await.map_err(repo_err)? > 0)
    }

    async fn load_of(&mut self, shop: ShopId, member: MemberId, now: chrono::DateTime<chrono::Utc>) -> RepoResult<u32> {
        let n = threads::Entity::find()
            .filter(held_by(shop.as_uuid(), vec![member.as_uuid()], now))
            .count(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn lock_team(&mut self, shop: ShopId, ids: Option<&[MemberId]>) -> RepoResult<Vec<Member>> {
        let mut q = members::Entity::find().filter(members::Column::ShopId.eq(shop.as_uuid()));
        q = match ids {
            Some([]) => return Ok(Vec::new()),
            Some(ids) => q.filter(members::Column::Id.is_in(ids.iter().map(|i| i.as_uuid()))),
            None => q.filter(members::Column::Active.eq(true)),
        };
        let rows = q.order_by_asc(members::Column::Id).lock(LockType::Update).all(self.tx.as_ref()).await.map_err(repo_err)?;
        rows.into_iter().map(mapping::member).collect()
    }

    async fn loads_of(
        &mut self,
        shop: ShopId,
        ids: &[MemberId],
        now: chrono::DateTime<chrono::Utc>,
    ) -> RepoResult<std::collections::HashMap<MemberId, u32>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let rows: Vec<(Option<uuid::Uuid>, i64)> = threads::Entity::find()
            .select_only()
            .column(threads::Column::OwnerMemberId)
            .column_as(threads::Column::Id.count(), "n")
            .filter(held_by(shop.as_uuid(), ids.iter().map(|i| i.as_uuid()).collect(), now))
            .group_by(threads::Column::OwnerMemberId)
            .into_tuple()
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().filter_map(|(m, n)| Some((MemberId::from(m?), u32::try_from(n).unwrap_or(u32::MAX)))).collect())
    }

    async fn members_of_shop(&mut self, shop: ShopId, ids: &[MemberId]) -> RepoResult<Vec<MemberId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<uuid::Uuid> = members::Entity::find()
            .select_only()
            .column(members::Column::Id)
            .filter(members::Column::ShopId.eq(shop.as_uuid()))
            .filter(members::Column::Id.is_in(ids.iter().map(|i| i.as_uuid())))
            .into_tuple()
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(found.into_iter().map(MemberId::from).collect())
    }

    async fn insert_department(&mut self, d: &Department) -> RepoResult<()> {
        mapping::department_row(d, 1).insert(self.tx.as_ref()).await.map_err(repo_err)?;
        self.replace_membership(d).await
    }

    async fn lock_department(&mut self, shop: ShopId, id: DepartmentId) -> RepoResult<Option<Department>> {
        let q = deps::Entity::find_by_id(id.as_uuid()).filter(deps::Column::ShopId.eq(shop.as_uuid())).lock(LockType::Update);
        let Some(row) = q.one(self.tx.as_ref()).await.map_err(repo_err)? else {
            return Ok(None);
        };
        let ids: Vec<uuid::Uuid> = dm::Entity::find()
            .select_only()
            .column(dm::Column::MemberId)
            .filter(dm::Column::DepartmentId.eq(id.as_uuid()))
            .order_by_asc(dm::Column::Position)
            .into_tuple()
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        mapping::department(row, ids.into_iter().map(MemberId::from).collect()).map(Some)
    }

    async fn update_department(&mut self, d: &Department) -> RepoResult<()> {
        let loaded = d.snapshot().version;
        let mut row = mapping::department_row(d, loaded + 1);
        row.id = sea_orm::ActiveValue::NotSet;
        let res = deps::Entity::update_many()
            .set(row)
            .filter(deps::Column::Id.eq(d.id().as_uuid()))
            .filter(deps::Column::Version.eq(loaded))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected != 1 {
            return Err(RepoError::Concurrency(format!("department {} changed since it was read", d.id()).into()));
        }
        self.replace_membership(d).await
    }

    async fn delete_department(&mut self, shop: ShopId, id: DepartmentId) -> RepoResult<bool> {
        let res = deps::Entity::delete_many()
            .filter(deps::Column::Id.eq(id.as_uuid()))
            .filter(deps::Column::ShopId.eq(shop.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected == 1 {
            dm::Entity::delete_many().filter(dm::Column::DepartmentId.eq(id.as_uuid())).exec(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        Ok(res.rows_affected == 1)
    }

    async fn department_name_taken(&mut self, shop: ShopId, name: &str, except: Option<DepartmentId>) -> RepoResult<bool> {
        let mut q = deps::Entity::find().filter(deps::Column::ShopId.eq(shop.as_uuid())).filter(deps::Column::Name.eq(name));
        if let Some(id) = except {
            q = q.filter(deps::Column::Id.ne(id.as_uuid()));
        }
        Ok(q.count(self.tx.as_ref()).await.map_err(repo_err)? > 0)
    }
}
