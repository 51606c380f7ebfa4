//! FetchMedia: the background job that keeps customers' files. Meta's webhook names a file by
//! id; its download link lives 5 minutes, so the job starts as soon as a message with a file is
//! stored (and polls for retries). For each claimed file: `GET /{media-id}` for a fresh link,
//! the download with the number's token, the SHA-256 checked against Meta's, the bytes put in
//! the media store, then `RecordFetch` in one transaction (`media.stored`, or a retry later, or
//! `media.failed` once every retry is spent). Never on the webhook's path.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::ports::{MediaApi, MediaFetchQueue, MediaStore};
use crate::accounts::ports::AccountReads;
use crate::messaging::ports::{CloudApiError, CloudApiErrorKind};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::{Clock, SecretCipher};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::media::{MediaFile, rules::LARGEST};
use domain::{Events, MediaId, ShopId};

/// How one fetch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The bytes are in the store: their hex SHA-256, size and Meta's type.
    Stored { sha256: String, size: u64, mime_type: Option<String> },
    /// Try again later, or (`permanent`) never.
    Failed { reason: String, permanent: bool },
}

#[derive(Debug, validator::Validate)]
pub struct RecordFetch {
    pub shop_id: ShopId,
    pub media_id: MediaId,
    pub outcome: Fetched,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchMediaError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not record the fetch")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(FetchMediaError);

impl Command for RecordFetch {
    /// The file's state afterwards.
    type Output = Option<MediaFile>;
    type Error = FetchMediaError;
    const NAME: &'static str = "RecordFetch";
}

pub struct RecordFetchHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordFetch> for RecordFetchHandler {
    async fn handle(&self, cmd: &RecordFetch, uow: &mut dyn UnitOfWork) -> Result<Option<MediaFile>, FetchMediaError> {
        let now = self.clock.now();
        // Gone (its customer was erased) or already settled by another holder: nothing to do.
        let Some(mut file) = uow.media().lock(cmd.shop_id, cmd.media_id).await? else { return Ok(None) };
        if file.state != domain::media::MediaState::Pending {
            return Ok(Some(file));
        }
        let event = match &cmd.outcome {
            Fetched::Stored { sha256, size, mime_type } => match file.fetched(sha256, *size, mime_type.clone(), now) {
                Ok(e) => Some(e),
                Err(mismatch) => file.fetch_failed(&mismatch.to_string(), false, now),
            },
            Fetched::Failed { reason, permanent } => file.fetch_failed(reason, *permanent, now),
        };
        uow.media().save(&file).await?;
        if let Some(e) = event {
            uow.outbox().append(&Events::from(e), now).await?;
        }
        Ok(Some(file))
    }
}

/// What one pass of the job did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FetchPass {
    pub claimed: usize,
    pub stored: usize,
    pub retrying: usize,
    pub failed: usize,
}

pub struct FetchMediaService {
    pub pipeline: Pipeline,
    pub queue: Arc<dyn MediaFetchQueue>,
    pub accounts: Arc<dyn AccountReads>,
    pub cipher: Arc<dyn SecretCipher>,
    pub api: Arc<dyn MediaApi>,
    pub store: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
    pub record: RecordFetchHandler,
    /// Files fetched at once.
    pub concurrency: usize,
    /// How long a claim holds (a fetch of 100 MB included).
    pub claim_for: chrono::Duration,
}

/// Meta's answer means the file will never come: it does not exist (any more) at Meta.
fn is_permanent(e: &CloudApiError) -> bool {
    e.kind == CloudApiErrorKind::Meta && (e.http_status == Some(404) || (e.code == Some(100) && e.http_status == Some(400)))
}

/// Meta's error with what it said about it (never a secret: the token is not in it).
fn explained(e: &CloudApiError) -> String {
    match &e.details {
        Some(d) => format!("{e}: {d}"),
        None => e.to_string(),
    }
}

impl FetchMediaService {
    /// Claim the due files (up to `limit`) and fetch them.
    pub async fn run_once(&self, holder: &str, limit: u64) -> Result<FetchPass, RepoError> {
        let now = self.clock.now();
        let claimed = self.queue.claim(holder, now, now + self.claim_for, limit).await?;
        let mut pass = FetchPass { claimed: claimed.len(), ..FetchPass::default() };
        let results: Vec<Result<Option<MediaFile>, FetchMediaError>> = futures_util::stream::iter(claimed)
            .map(|file| async move {
                let outcome = self.fetch(&file).await;
                if let Fetched::Failed { reason, .. } = &outcome {
                    tracing::warn!(media_id = %file.id, attempts = file.attempts + 1, %reason, "a customer's file could not be fetched");
                }
                let ctx = crate::RequestContext::system("media-fetch");
                self.pipeline.execute(&ctx, &self.record, RecordFetch { shop_id: file.shop_id, media_id: file.id, outcome }).await
            })
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        for r in results {
            match r.map_err(|e| match e {
                FetchMediaError::Storage(s) => s,
                other => RepoError::Other(other.to_string()),
            })? {
                Some(f) if f.state == domain::media::MediaState::Stored => pass.stored += 1,
                Some(f) if f.state == domain::media::MediaState::Failed => pass.failed += 1,
                Some(_) => pass.retrying += 1,
                None => {}
            }
        }
        Ok(pass)
    }

    async fn fetch(&self, file: &MediaFile) -> Fetched {
        let failed = |reason: String, permanent: bool| Fetched::Failed { reason, permanent };
        let (Some(account), Some(meta_id)) = (file.account_id, file.meta_media_id.as_deref()) else {
            return failed("the file has no Meta id".into(), true);
        };
        let token = match self.accounts.encrypted_token(account).await {
            Ok(Some(t)) => match self.cipher.decrypt(&t) {
                Ok(t) => t,
                Err(e) => return failed(format!("the number's token cannot be decrypted: {e}"), false),
            },
            Ok(None) => return failed("the number is no longer connected".into(), true),
            Err(e) => return failed(format!("the number could not be read: {e}"), false),
        };
        let meta = match self.api.media(meta_id, &token).await {
            Ok(m) => m,
            Err(e) => return failed(format!("GET /{meta_id}: {}", explained(&e)), is_permanent(&e)),
        };
        let bytes = match self.api.download(&meta.url, &token, LARGEST).await {
            Ok(b) => b,
            Err(e) => return failed(format!("download: {}", explained(&e)), false),
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        if let Some(expected) = file.expected_sha256.as_deref().filter(|e| !e.eq_ignore_ascii_case(&sha256)) {
            // A truncated or altered download: never kept; a fresh link is asked for next time.
            return failed(format!("the file's SHA-256 is {sha256}, Meta said {expected}"), false);
        }
        if let Err(e) = self.store.put(&file.storage_key(), bytes).await {
            return failed(e.to_string(), false);
        }
        Fetched::Stored { sha256, size, mime_type: meta.mime_type }
    }
}
