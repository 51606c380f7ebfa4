//! The command/query pipeline: logging, validation and the transaction behaviour.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use tracing::Instrument;
use validator::Validate;

use crate::error::AppError;
use crate::ports::{ReadStore, UnitOfWork, UnitOfWorkFactory};
use domain::ShopId;

/// Who is asking, for logs and for tenancy.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub shop_id: Option<ShopId>,
}

impl RequestContext {
    pub fn system(label: &str) -> Self {
        Self { request_id: format!("{label}-{}", uuid::Uuid::new_v4().simple()), shop_id: None }
    }
}

/// A state change. `Debug` must not print secrets (use [`crate::ports::Secret`]).
pub trait Command: Validate + Debug + Send + Sync {
    type Output: Send;
    const NAME: &'static str;
}

#[async_trait]
pub trait CommandHandler<C: Command>: Send + Sync {
    async fn handle(&self, cmd: C, uow: &mut dyn UnitOfWork) -> Result<C::Output, AppError>;
}

pub trait Query: Validate + Debug + Send + Sync {
    type Output: Send;
    const NAME: &'static str;
}

#[async_trait]
pub trait QueryHandler<Q: Query>: Send + Sync {
    async fn handle(&self, query: Q, store: &dyn ReadStore) -> Result<Q::Output, AppError>;
}

#[derive(Clone)]
pub struct Pipeline {
    uow: Arc<dyn UnitOfWorkFactory>,
    reads: Arc<dyn ReadStore>,
}

impl Pipeline {
    pub fn new(uow: Arc<dyn UnitOfWorkFactory>, reads: Arc<dyn ReadStore>) -> Self {
        Self { uow, reads }
    }

    pub fn reads(&self) -> &Arc<dyn ReadStore> {
        &self.reads
    }

    /// Run a command: span → validate → begin → handle → commit (or roll back on error).
    pub async fn execute<C, H>(&self, ctx: &RequestContext, handler: &H, cmd: C) -> Result<C::Output, AppError>
    where
        C: Command,
        H: CommandHandler<C>,
    {
        let span =
            tracing::info_span!("command", name = C::NAME, request_id = %ctx.request_id, shop_id = ?ctx.shop_id.map(|s| s.to_string()));
        async move {
            let started = std::time::Instant::now();
            tracing::debug!(command = ?cmd, "dispatch");
            if let Err(e) = cmd.validate() {
                let err = AppError::from(e);
                tracing::info!(error = %err, "rejected by validation");
                return Err(err);
            }
            let mut uow = self.uow.begin().await?;
            let result = handler.handle(cmd, uow.as_mut()).await;
            let result = match result {
                Ok(out) => uow.commit().await.map(|_| out).map_err(AppError::from),
                Err(e) => {
                    drop(uow); // rolls back
                    Err(e)
                }
            };
            let ms = started.elapsed().as_secs_f64() * 1e3;
            match &result {
                Ok(_) => tracing::info!(elapsed_ms = ms, "command handled"),
                Err(e @ (AppError::Storage(_) | AppError::Internal(_))) => {
                    tracing::error!(elapsed_ms = ms, error = ?e, "command failed")
                }
                Err(e) => tracing::info!(elapsed_ms = ms, error = %e, "command refused"),
            }
            result
        }
        .instrument(span)
        .await
    }

    /// Run a query: span → validate → handle against the read store.
    pub async fn query<Q, H>(&self, ctx: &RequestContext, handler: &H, query: Q) -> Result<Q::Output, AppError>
    where
        Q: Query,
        H: QueryHandler<Q>,
    {
        let span =
            tracing::info_span!("query", name = Q::NAME, request_id = %ctx.request_id, shop_id = ?ctx.shop_id.map(|s| s.to_string()));
        async move {
            tracing::debug!(query = ?query, "dispatch");
            query.validate()?;
            let result = handler.handle(query, self.reads.as_ref()).await;
            if let Err(e) = &result {
                tracing::debug!(error = %e, "query refused");
            }
            result
        }
        .instrument(span)
        .await
    }
}
