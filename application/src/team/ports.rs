//! Ports of the team context.

use async_trait::async_trait;

use crate::shared::repo::RepoResult;
use domain::team::{Department, Member};
use domain::{DepartmentId, MemberId, ShopId};

/// A member as the team's reads show them: with their load (the conversations people own and
/// assigned to them now) and their departments.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberView {
    pub member: Member,
    pub load: u32,
    pub department_ids: Vec<DepartmentId>,
}

/// The team's write side, inside a unit of work.
#[async_trait]
pub trait TeamRepository: Send {
    async fn insert_member(&mut self, m: &Member) -> RepoResult<()>;
    async fn lock_member(&mut self, shop: ShopId, id: MemberId) -> RepoResult<Option<Member>>;
    /// Optimistic: the version loaded must still be the stored one.
    async fn update_member(&mut self, m: &Member) -> RepoResult<()>;
    /// Whether another member of the shop has this email.
    async fn email_taken(&mut self, shop: ShopId, email: &str, except: Option<MemberId>) -> RepoResult<bool>;
    /// The member's load now: the threads people own and assigned to them whose time has not
    /// run out (read after locking the member, so assignments to one member queue).
    async fn load_of(&mut self, shop: ShopId, member: MemberId, now: chrono::DateTime<chrono::Utc>) -> RepoResult<u32>;
    /// Members locked for routing, in id order (the lock order among members): these ids, or
    /// with `None` every active member of the shop.
    async fn lock_team(&mut self, shop: ShopId, ids: Option<&[MemberId]>) -> RepoResult<Vec<Member>>;
    /// The loads of these members now (as `load_of`, in one read; absent: 0).
    async fn loads_of(
        &mut self,
        shop: ShopId,
        ids: &[MemberId],
        now: chrono::DateTime<chrono::Utc>,
    ) -> RepoResult<std::collections::HashMap<MemberId, u32>>;
    /// Which of these ids are members of the shop.
    async fn members_of_shop(&mut self, shop: ShopId, ids: &[MemberId]) -> RepoResult<Vec<MemberId>>;
    /// The department and its members.
    async fn insert_department(&mut self, d: &Department) -> RepoResult<()>;
    async fn lock_department(&mut self, shop: ShopId, id: DepartmentId) -> RepoResult<Option<Department>>;
    async fn update_department(&mut self, d: &Department) -> RepoResult<()>;
    async fn delete_department(&mut self, shop: ShopId, id: DepartmentId) -> RepoResult<bool>;
    async fn department_name_taken(&mut self, shop: ShopId, name: &str, except: Option<DepartmentId>) -> RepoResult<bool>;
}

/// Filters of the member list.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    pub status: Option<domain::team::MemberStatus>,
    pub department: Option<DepartmentId>,
    /// Absent: active and inactive.
    pub active: Option<bool>,
}

#[async_trait]
pub trait TeamReads: Send + Sync {
    /// The shop's members, oldest first.
    async fn members(&self, shop: ShopId, filter: &MemberFilter) -> RepoResult<Vec<MemberView>>;
    async fn member(&self, shop: ShopId, id: MemberId) -> RepoResult<Option<MemberView>>;
    /// The shop's departments, by name.
    async fn departments(&self, shop: ShopId) -> RepoResult<Vec<Department>>;
    async fn department(&self, shop: ShopId, id: DepartmentId) -> RepoResult<Option<Department>>;
}

/// The context inside a unit of work. (`use` this trait to call `uow.team()`.)
pub trait TeamUnitOfWork {
    fn team(&mut self) -> &mut dyn TeamRepository;
}

impl TeamUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn team(&mut self) -> &mut dyn TeamRepository {
        crate::shared::unit_of_work::repository::<dyn TeamRepository>(self)
    }
}
