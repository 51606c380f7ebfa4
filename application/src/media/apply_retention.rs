//! ApplyRetention: the job that removes each shop's files older than its retention policy. The
//! bytes go first (removing a file twice is harmless), then the rows are marked `expired` in one
//! transaction per batch; the messages keep their `mediaId`, which then answers 410.

use std::sync::Arc;

use async_trait::async_trait;

use super::ports::{MediaReads, MediaStore};
use crate::media::ports::MediaUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{MediaId, ShopId};

#[derive(Debug, thiserror::Error)]
pub enum ApplyRetentionError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not mark the files")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ApplyRetentionError);

#[derive(Debug, validator::Validate)]
pub struct MarkExpired {
    pub shop_id: ShopId,
    pub ids: Vec<MediaId>,
}

impl Command for MarkExpired {
    type Output = usize;
    type Error = ApplyRetentionError;
    const NAME: &'static str = "MarkExpired";
}

pub struct MarkExpiredHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<MarkExpired> for MarkExpiredHandler {
    async fn handle(&self, cmd: &MarkExpired, uow: &mut dyn UnitOfWork) -> Result<usize, ApplyRetentionError> {
        let now = self.clock.now();
        let mut files = uow.media().lock_many(cmd.shop_id, &cmd.ids).await?;
        files.retain(|f| f.state() == domain::media::MediaState::Stored || f.state() == domain::media::MediaState::Failed);
        for f in &mut files {
            f.expire(now);
        }
        uow.media().save_many(&files).await?;
        Ok(files.len())
    }
}

pub struct ApplyRetentionService {
    pub pipeline: Pipeline,
    pub reads: Arc<dyn MediaReads>,
    pub store: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
    pub mark: MarkExpiredHandler,
    pub batch: u64,
}

impl ApplyRetentionService {
    /// One pass over every shop with a policy; returns how many files were removed. One shop's
    /// failure does not stop the others.
    pub async fn run(&self, ctx: &crate::RequestContext) -> Result<usize, RepoError> {
        let mut removed = 0;
        for (shop, days) in self.reads.retention_policies().await? {
            match self.shop(ctx, shop, days).await {
                Ok(n) => removed += n,
                Err(e) => tracing::warn!(%shop, error = %crate::Chain(&e), "retention could not remove a shop's old files"),
            }
        }
        Ok(removed)
    }

    async fn shop(&self, ctx: &crate::RequestContext, shop: ShopId, days: u32) -> Result<usize, RepoError> {
        let before = self.clock.now() - chrono::Duration::days(i64::from(days));
        let mut removed = 0;
        loop {
            let files = self.reads.older_than(shop, before, self.batch).await?;
            if files.is_empty() {
                return Ok(removed);
            }
            for f in &files {
                self.store
                    .delete(&f.storage_key())
                    .await
                    .map_err(|e| RepoError::Other(crate::Cause::caused_by("deleting an expired file failed", e)))?;
            }
            let ids = files.iter().map(|f| f.id()).collect();
            removed += self.pipeline.execute(ctx, &self.mark, MarkExpired { shop_id: shop, ids }).await.map_err(|e| match e {
                ApplyRetentionError::Storage(s) => s,
                other => RepoError::Other(crate::Cause::caused_by("marking expired files failed", other)),
            })?;
            if (files.len() as u64) < self.batch {
                return Ok(removed);
            }
        }
    }
}
