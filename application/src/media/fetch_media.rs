//! FetchMedia: the background job that keeps customers' files. Meta's webhook names a file by
//! id; its download link lives 5 minutes, so the job starts as soon as a message with a file is
//! stored (and polls for retries). For each claimed file: `GET /{media-id}` for a fresh link,
//! the download with the number's token, the SHA-256 checked against Meta's, the bytes put in
//! the media store; then the pass is recorded in one transaction (`RecordFetches`: `media.stored`,
//! or a retry later, or `media.failed` once every retry is spent). Never on the webhook's path.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::ports::{MediaApi, MediaFetchQueue, MediaStore};
use crate::accounts::ports::{CredentialsError, NumberCredentials};
use crate::media::ports::MediaUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::meta::{CloudApiError, CloudApiErrorKind};
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::{Clock, Secret};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::media::{MediaFile, rules::LARGEST};
use domain::{AccountId, Events, MediaId, ShopId};

/// How one fetch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The bytes are in the store: their hex SHA-256, size and Meta's type.
    Stored { sha256: String, size: u64, mime_type: Option<String> },
    /// Try again later, or (`permanent`) never.
    Failed { reason: String, permanent: bool },
}

/// Record a pass's fetches, in one transaction.
#[derive(Debug, validator::Validate)]
pub struct RecordFetches {
    /// `(shop, file, how its fetch ended)`.
    pub fetches: Vec<(ShopId, MediaId, Fetched)>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchMediaError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not record the fetch")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(FetchMediaError);

impl Command for RecordFetches {
    /// The files' states afterwards (a file erased meanwhile is not among them).
    type Output = Vec<MediaFile>;
    type Error = FetchMediaError;
    const NAME: &'static str = "RecordFetches";
}

pub struct RecordFetchHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordFetches> for RecordFetchHandler {
    async fn handle(&self, cmd: &RecordFetches, uow: &mut dyn UnitOfWork) -> Result<Vec<MediaFile>, FetchMediaError> {
        let now = self.clock.now();
        let mut by_shop: BTreeMap<ShopId, Vec<MediaId>> = BTreeMap::new();
        for (shop, id, _) in &cmd.fetches {
            by_shop.entry(*shop).or_default().push(*id);
        }
        let mut files: HashMap<MediaId, MediaFile> = HashMap::new();
        for (shop, mut ids) in by_shop {
            ids.sort();
            files.extend(uow.media().lock_many(shop, &ids).await?.into_iter().map(|f| (f.id(), f)));
        }
        let mut events = Events::new();
        let mut changed = Vec::with_capacity(files.len());
        for (_, id, outcome) in &cmd.fetches {
            // Gone (its customer was erased) or already settled by another holder: nothing to do.
            let Some(mut file) = files.remove(id) else { continue };
            if file.state() != domain::media::MediaState::Pending {
                continue;
            }
            let event = match outcome {
                Fetched::Stored { sha256, size, mime_type } => match file.fetched(sha256, *size, mime_type.clone(), now) {
                    Ok(e) => Some(e),
                    Err(mismatch) => file.fetch_failed(&mismatch.to_string(), false, now),
                },
                Fetched::Failed { reason, permanent } => file.fetch_failed(reason, *permanent, now),
            };
            if let Some(e) = event {
                events.push(e);
            }
            changed.push(file);
        }
        uow.media().save_many(&changed).await?;
        uow.outbox().append(&events, now).await?;
        Ok(changed)
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

impl FetchPass {
    /// Claimed files whose outcome was not recorded: settled meanwhile by another holder (this
    /// pass outlived its claim) or erased.
    pub fn superseded(&self) -> usize {
        self.claimed.saturating_sub(self.stored + self.retrying + self.failed)
    }
}

pub struct FetchMediaService {
    pub pipeline: Pipeline,
    pub queue: Arc<dyn MediaFetchQueue>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub api: Arc<dyn MediaApi>,
    pub store: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
    pub record: RecordFetchHandler,
    /// Files fetched at once.
    pub concurrency: usize,
    /// Bytes of files in memory at once (shared with uploads); a fetch waits for room.
    pub memory: super::memory::FileMemory,
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
    /// Claim the due files (up to `limit`), fetch them (`concurrency` at once; each number's
    /// token read once), and record the pass in one transaction.
    pub async fn run_once(&self, holder: &str, limit: u64) -> Result<FetchPass, RepoError> {
        let now = self.clock.now();
        let claimed = self.queue.claim(holder, now, now + self.claim_for, limit).await?;
        let mut pass = FetchPass { claimed: claimed.len(), ..FetchPass::default() };
        if claimed.is_empty() {
            return Ok(pass);
        }
        let accounts: std::collections::BTreeSet<AccountId> = claimed.iter().filter_map(|f| f.account_id()).collect();
        let mut tokens: HashMap<AccountId, Result<Secret, (String, bool)>> = HashMap::new();
        for account in accounts {
            tokens.insert(account, self.token(account).await);
        }
        let tokens = &tokens;
        let fetches: Vec<(ShopId, MediaId, Fetched)> = futures_util::stream::iter(claimed)
            .map(|file| async move {
                let outcome = self.fetch(&file, tokens).await;
                if let Fetched::Failed { reason, .. } = &outcome {
                    tracing::warn!(media_id = %file.id(), attempts = file.attempts() + 1, %reason, "a customer's file could not be fetched");
                }
                (file.shop_id(), file.id(), outcome)
            })
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        let ctx = crate::RequestContext::system("media-fetch");
        let recorded = self.pipeline.execute(&ctx, &self.record, RecordFetches { fetches }).await.map_err(|e| match e {
            FetchMediaError::Storage(s) => s,
            other => RepoError::Other(crate::Cause::caused_by("recording the fetches failed", other)),
        })?;
        for f in recorded {
            match f.state() {
                domain::media::MediaState::Stored => pass.stored += 1,
                domain::media::MediaState::Failed => pass.failed += 1,
                _ => pass.retrying += 1,
            }
        }
        Ok(pass)
    }

    /// The number's token, or why there is none (and whether that is for good).
    async fn token(&self, account: AccountId) -> Result<Secret, (String, bool)> {
        match self.credentials.token(account).await {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(("the number is no longer connected".into(), true)),
            Err(e @ CredentialsError::Cipher(_)) => Err((e.to_string(), false)),
            Err(CredentialsError::Storage(e)) => Err((format!("the number could not be read: {e}"), false)),
        }
    }

    async fn fetch(&self, file: &MediaFile, tokens: &HashMap<AccountId, Result<Secret, (String, bool)>>) -> Fetched {
        let failed = |reason: String, permanent: bool| Fetched::Failed { reason, permanent };
        let (Some(account), Some(meta_id)) = (file.account_id(), file.meta_media_id()) else {
            return failed("the file has no Meta id".into(), true);
        };
        let token = match tokens.get(&account) {
            Some(Ok(t)) => t,
            Some(Err((reason, permanent))) => return failed(reason.clone(), *permanent),
            None => return failed("the number's token was not read".into(), false),
        };
        let meta = match self.api.media(meta_id, token).await {
            Ok(m) => m,
            Err(e) => return failed(format!("GET /{meta_id}: {}", explained(&e)), is_permanent(&e)),
        };
        // Room for the file Meta described (or the largest it allows), held until it is stored;
        // a download longer than Meta said is not that file, and is never kept.
        let declared = meta.file_size.map_or(LARGEST, |s| s.min(LARGEST));
        let _held = self.memory.hold(declared).await;
        let bytes = match self.api.download(&meta.url, token, declared).await {
            Ok(b) => b,
            Err(e) => return failed(format!("download: {}", explained(&e)), false),
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        if let Some(expected) = file.expected_sha256().filter(|e| !e.eq_ignore_ascii_case(&sha256)) {
            // A truncated or altered download: never kept; a fresh link is asked for next time.
            return failed(format!("the file's SHA-256 is {sha256}, Meta said {expected}"), false);
        }
        if let Err(e) = self.store.put(&file.storage_key(), bytes).await {
            return failed(e.to_string(), false);
        }
        Fetched::Stored { sha256, size, mime_type: meta.mime_type }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::routed::Routed;
    use crate::messaging::receive_messages::{ReceiveMessages, ReceiveMessagesHandler};
    use crate::testing::{BUSINESS, PNID, Scenario};
    use domain::media::MediaState;
    use domain::messaging::{InboundMessage, Media, MessageContent};

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    /// Given: a customer sent `n` photos (their files are announced, pending).
    async fn given_photos(s: &Scenario, n: usize) -> Vec<MediaFile> {
        let account = Arc::new(s.given_account(BUSINESS, PNID).await);
        let messages = (0..n)
            .map(|i| Routed {
                account: account.clone(),
                item: InboundMessage {
                    wamid: format!("wamid.P{i}"),
                    from: domain::WaId::parse("5511987654321").unwrap(),
                    profile_name: None,
                    timestamp: s.now(),
                    content: MessageContent::Image(Media { id: Some(format!("77{i}")), sha256: Some(SHA.into()), ..Media::default() }),
                    context: None,
                    referral: None,
                },
            })
            .collect();
        let out = s.when(&ReceiveMessagesHandler { clock: s.clock() }, ReceiveMessages { messages }).await.unwrap();
        assert_eq!(out.media, n as u32, "each photo is announced once");
        s.then_events();
        let mut files: Vec<MediaFile> = s.memory.read(|st| st.media.values().cloned().collect());
        files.sort_by_key(|f| f.meta_media_id().map(str::to_owned));
        files
    }

    #[tokio::test]
    async fn given_a_pass_when_recorded_then_each_file_settles_in_one_transaction_with_its_event() {
        let s = Scenario::new();
        let files = given_photos(&s, 3).await;
        assert!(files.iter().all(|f| f.state() == MediaState::Pending));
        let stored = Fetched::Stored { sha256: SHA.into(), size: 4, mime_type: Some("image/jpeg".into()) };
        let cut_short = Fetched::Stored { sha256: "0".repeat(64), size: 2, mime_type: None };
        let gone = Fetched::Failed { reason: "Meta: no such media".into(), permanent: true };
        let fetches = vec![(s.shop, files[0].id(), stored), (s.shop, files[1].id(), cut_short), (s.shop, files[2].id(), gone)];
        let out = s.when(&RecordFetchHandler { clock: s.clock() }, RecordFetches { fetches }).await.unwrap();
        let state = |i: usize| s.memory.read(|st| st.media[&files[i].id()].clone());
        assert_eq!(out.len(), 3);
        assert_eq!(state(0).state(), MediaState::Stored);
        assert_eq!((state(1).state(), state(1).attempts()), (MediaState::Pending, 1), "a mismatched download is retried");
        assert!(state(1).last_error().unwrap().contains("SHA-256"));
        assert_eq!(state(2).state(), MediaState::Failed);
        assert_eq!(s.then_events(), ["media.stored", "media.failed"]);
    }

    #[tokio::test]
    async fn given_a_file_settled_elsewhere_or_of_another_shop_when_recorded_then_nothing_changes() {
        let s = Scenario::new();
        let files = given_photos(&s, 1).await;
        let stored = || Fetched::Stored { sha256: SHA.into(), size: 4, mime_type: None };
        let h = RecordFetchHandler { clock: s.clock() };
        s.when(&h, RecordFetches { fetches: vec![(s.shop, files[0].id(), stored())] }).await.unwrap();
        s.then_events();
        // Another holder's late record of the same file, and the id under another shop.
        let late = vec![
            (s.shop, files[0].id(), Fetched::Failed { reason: "timeout".into(), permanent: true }),
            (ShopId::new(), files[0].id(), stored()),
        ];
        let out = s.when(&h, RecordFetches { fetches: late }).await.unwrap();
        assert!(out.is_empty());
        assert_eq!(s.memory.read(|st| st.media[&files[0].id()].state()), MediaState::Stored);
        assert!(s.then_events().is_empty());
    }
}
