//! The unit of work: one transaction, and each context's repositories inside it.
//!
//! Loads named `lock_*` lock the rows they return until commit (`FOR UPDATE` on Postgres; SQLite
//! has one writer), so a change is never decided on a stale read. Updates check the version the
//! aggregate was loaded with and fail with `RepoError::Concurrency` if another transaction
//! changed it; the pipeline then runs the command again.
//!
//! The kernel names no context: each context declares its own accessor, an extension trait in
//! its `ports.rs` (`customers::ports::CustomersUnitOfWork` gives `uow.customers()`), which finds
//! its repository by the type of its boxed port. The infrastructure's unit of work (and the
//! in-memory one for tests) holds one of each; adding a context adds its repository there.

use std::any::{Any, TypeId};

use async_trait::async_trait;

use crate::shared::audit::AuditTrail;
use crate::shared::outbox::Outbox;
use crate::shared::repo::RepoResult;

/// One transaction. Dropping it without `commit` rolls back.
#[async_trait]
pub trait UnitOfWork: Send {
    fn outbox(&mut self) -> &mut dyn Outbox;
    fn audit(&mut self) -> &mut dyn AuditTrail;
    /// A context's repository inside this transaction, by the `TypeId` of its boxed port
    /// (`Box<dyn CustomerRepository>`), as a `&mut Box<dyn …>` behind `Any`; see [`repository`].
    fn repository(&mut self, port: TypeId) -> Option<&mut dyn Any>;
    async fn commit(self: Box<Self>) -> RepoResult<()>;
}

/// A context's repository `P` (a `dyn …Repository`) inside the unit of work, for its extension
/// trait. A unit of work built without it is a wiring mistake: the first test that uses the
/// context names the port.
pub fn repository<'a, P: ?Sized + 'static>(uow: &'a mut (dyn UnitOfWork + '_)) -> &'a mut P {
    match uow.repository(TypeId::of::<Box<P>>()).and_then(|r| r.downcast_mut::<Box<P>>()) {
        Some(r) => r.as_mut(),
        None => panic!("the unit of work has no {}", std::any::type_name::<P>()),
    }
}

/// One context's repository, boxed as its port, keyed for [`UnitOfWork::repository`] (what a
/// unit of work's constructor collects).
pub fn part<P: ?Sized + Send + 'static>(repository: Box<P>) -> (TypeId, Box<dyn Any + Send>) {
    (TypeId::of::<Box<P>>(), Box::new(repository))
}

#[async_trait]
pub trait UnitOfWorkFactory: Send + Sync {
    async fn begin(&self) -> RepoResult<Box<dyn UnitOfWork>>;
}
