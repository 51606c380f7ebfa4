//! The command/query pipeline: logging, validation and the transaction behaviour.
//!
//! A command runs as: a tracing span with its name, the request id and the shop → validation
//! (`validator`) → one transaction (unit of work) in which the handler changes state and appends
//! its events to the outbox → commit. If another transaction changed the same rows first
//! (`RepoError::Concurrency`: a stale version, a deadlock, a concurrent insert of the same key),
//! the whole command runs again in a new transaction, up to [`MAX_ATTEMPTS`] times. A query runs
//! as: span → validation → its handler against its read port.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tracing::Instrument;
use validator::Validate;

use crate::shared::audit::AuditEntry;
use crate::shared::error::{Invalid, UseCaseError};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::{UnitOfWork, UnitOfWorkFactory};
use domain::ShopId;

/// How many times a command runs when it keeps meeting concurrent changes.
pub const MAX_ATTEMPTS: u32 = 8;

/// Who is asking, for logs and for tenancy.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub shop_id: Option<ShopId>,
    /// Who asks (`api-key:<id>`, `platform`); none for the service's own work (`system`).
    pub actor: Option<String>,
    /// The member the caller's key acts for (an `agent` key bound to a member): recorded beside
    /// the actor in the audit log.
    pub member: Option<domain::MemberId>,
}

impl RequestContext {
    pub fn system(label: &str) -> Self {
        Self { request_id: format!("{label}-{}", uuid::Uuid::new_v4().simple()), shop_id: None, actor: None, member: None }
    }
}

/// What the audit log records about a command that succeeded.
#[derive(Debug, Clone, PartialEq)]
pub struct Audited {
    pub shop_id: ShopId,
    pub action: &'static str,
    pub subject_type: &'static str,
    pub subject_id: Option<String>,
    pub details: serde_json::Value,
}

/// A state change. `Debug` must not print secrets or message bodies.
pub trait Command: Validate + Debug + Send + Sync {
    type Output: Send;
    type Error: UseCaseError;
    const NAME: &'static str;
    /// For an audited command: what to record once it succeeded. The pipeline writes it in the
    /// command's own transaction, with the caller from the request context.
    fn audit(&self, _out: &Self::Output) -> Option<Audited> {
        None
    }
}

#[async_trait]
pub trait CommandHandler<C: Command>: Send + Sync {
    /// Runs inside one transaction; may run more than once (after a concurrent change), so it
    /// takes the command by reference and decides again from what it loads.
    async fn handle(&self, cmd: &C, uow: &mut dyn UnitOfWork) -> Result<C::Output, C::Error>;
}

pub trait Query: Validate + Debug + Send + Sync {
    type Output: Send;
    type Error: UseCaseError;
    const NAME: &'static str;
}

#[async_trait]
pub trait QueryHandler<Q: Query>: Send + Sync {
    async fn handle(&self, query: &Q) -> Result<Q::Output, Q::Error>;
}

#[derive(Clone)]
pub struct Pipeline {
    uow: Arc<dyn UnitOfWorkFactory>,
    reruns: Arc<std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>>,
}

fn is_concurrency<E: UseCaseError>(e: &E) -> bool {
    matches!(e.storage(), Some(RepoError::Concurrency(_)))
}

impl Pipeline {
    pub fn new(uow: Arc<dyn UnitOfWorkFactory>) -> Self {
        Self { uow, reruns: Arc::default() }
    }

    /// How many times each command ran again after a concurrent change, since start (for
    /// `whatsapp_command_reruns_total`): a command that keeps meeting others is contended.
    pub fn reruns(&self) -> Vec<(&'static str, u64)> {
        self.reruns.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|(k, v)| (*k, *v)).collect()
    }

    /// Run a command: span → validate → (begin → handle → commit), again on a concurrent change.
    pub async fn execute<C, H>(&self, ctx: &RequestContext, handler: &H, cmd: C) -> Result<C::Output, C::Error>
    where
        C: Command,
        H: CommandHandler<C> + ?Sized,
    {
        let span =
            tracing::info_span!("command", name = C::NAME, request_id = %ctx.request_id, shop_id = ?ctx.shop_id.map(|s| s.to_string()));
        async move {
            let started = std::time::Instant::now();
            tracing::debug!(command = ?cmd, "dispatch");
            if let Err(e) = cmd.validate() {
                let err = C::Error::from(Invalid::from(e));
                tracing::info!(error = %err, "rejected by validation");
                return Err(err);
            }
            let mut attempt = 1;
            let result = loop {
                let result = self.attempt(ctx, handler, &cmd).await;
                match result {
                    Err(e) if is_concurrency(&e) && attempt < MAX_ATTEMPTS => {
                        tracing::info!(attempt, cause = %crate::Chain(&e), "concurrent change; running the command again");
                        *self.reruns.lock().unwrap_or_else(|p| p.into_inner()).entry(C::NAME).or_default() += 1;
                        // A short, growing, jittered pause lets the other transaction finish.
                        let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0] % 8);
                        tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 3 + jitter)).await;
                        attempt += 1;
                    }
                    other => break other,
                }
            };
            let ms = started.elapsed().as_secs_f64() * 1e3;
            match &result {
                Ok(_) => tracing::info!(elapsed_ms = ms, attempts = attempt, "command handled"),
                Err(e) if e.storage().is_some() => {
                    tracing::error!(elapsed_ms = ms, attempts = attempt, error = %crate::Chain(e), "command failed")
                }
                Err(e) => tracing::info!(elapsed_ms = ms, error = %crate::Chain(e), "command refused"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn attempt<C, H>(&self, ctx: &RequestContext, handler: &H, cmd: &C) -> Result<C::Output, C::Error>
    where
        C: Command,
        H: CommandHandler<C> + ?Sized,
    {
        let mut uow = self.uow.begin().await?;
        uow.audit().attribute_to(ctx.member);
        match handler.handle(cmd, uow.as_mut()).await {
            Ok(out) => {
                if let Some(a) = cmd.audit(&out) {
                    let actor = ctx.actor.as_deref().unwrap_or("system");
                    let entry = AuditEntry::new(a.shop_id, actor, a.action, a.subject_type, a.subject_id, a.details, chrono::Utc::now());
                    uow.audit().record(&[entry]).await?;
                }
                uow.commit().await?;
                Ok(out)
            }
            Err(e) => {
                drop(uow); // rolls back
                Err(e)
            }
        }
    }

    /// Run a query: span → validate → handle against the handler's read port.
    pub async fn query<Q, H>(&self, ctx: &RequestContext, handler: &H, query: Q) -> Result<Q::Output, Q::Error>
    where
        Q: Query,
        H: QueryHandler<Q> + ?Sized,
    {
        let span =
            tracing::info_span!("query", name = Q::NAME, request_id = %ctx.request_id, shop_id = ?ctx.shop_id.map(|s| s.to_string()));
        async move {
            tracing::debug!(query = ?query, "dispatch");
            query.validate().map_err(|e| Q::Error::from(Invalid::from(e)))?;
            let result = handler.handle(&query).await;
            match &result {
                Err(e) if e.storage().is_some() => tracing::error!(error = %crate::Chain(e), "query failed"),
                Err(e) => tracing::debug!(error = %crate::Chain(e), "query refused"),
                Ok(_) => {}
            }
            result
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::testing::Scenario;

    #[derive(Debug, Validate)]
    struct Flaky {
        #[validate(range(max = 10, message = "at most 10"))]
        fail_times: u32,
    }

    #[derive(Debug, thiserror::Error)]
    enum FlakyError {
        #[error(transparent)]
        Invalid(#[from] Invalid),
        #[error("storage")]
        Storage(#[from] RepoError),
    }
    crate::use_case_error!(FlakyError);

    impl Command for Flaky {
        type Output = u32;
        type Error = FlakyError;
        const NAME: &'static str = "Flaky";
    }

    struct FlakyHandler(AtomicU32);

    #[async_trait]
    impl CommandHandler<Flaky> for FlakyHandler {
        async fn handle(&self, cmd: &Flaky, _uow: &mut dyn UnitOfWork) -> Result<u32, FlakyError> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= cmd.fail_times { Err(RepoError::Concurrency("stale".into()).into()) } else { Ok(n) }
        }
    }

    #[tokio::test]
    async fn a_concurrent_change_runs_the_command_again_until_it_goes_through() {
        let s = Scenario::new();
        let h = FlakyHandler(AtomicU32::new(0));
        assert_eq!(s.when(&h, Flaky { fail_times: 3 }).await.unwrap(), 4, "three conflicts, then the fourth run commits");
    }

    #[tokio::test]
    async fn it_gives_up_after_max_attempts_and_says_why() {
        let s = Scenario::new();
        let h = FlakyHandler(AtomicU32::new(0));
        let r = s.when(&h, Flaky { fail_times: MAX_ATTEMPTS }).await;
        assert!(matches!(r, Err(FlakyError::Storage(RepoError::Concurrency(_)))));
        assert_eq!(h.0.load(Ordering::SeqCst), MAX_ATTEMPTS);
    }

    #[tokio::test]
    async fn invalid_input_never_reaches_the_handler() {
        let s = Scenario::new();
        let h = FlakyHandler(AtomicU32::new(0));
        let r = s.when(&h, Flaky { fail_times: 11 }).await;
        assert!(matches!(&r, Err(FlakyError::Invalid(i)) if i.field == "fail_times"), "{r:?}");
        assert_eq!(h.0.load(Ordering::SeqCst), 0);
    }
}
