//! A media file the service keeps for a shop: a customer's photo, clip, voice note, document or
//! sticker (fetched from Meta before Meta's link dies), or a file the shop uploaded to send.
//!
//! Inbound: `pending` → `stored` (its SHA-256 matched Meta's) or, after the retries, `failed`.
//! Either way: `stored` → `expired` (the shop's retention removed the file) or `erased` (GDPR).
//! Meta's id of an uploaded file lives 30 days; [`MediaFile::meta_id_for`] says when to upload again.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::events::{MediaEvent, MediaFailed, MediaStored};
use super::rules::MediaKind;
use crate::{AccountId, MediaId, MessageId, ShopId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaState {
    /// Waiting to be fetched from Meta.
    Pending,
    Stored,
    /// Could not be fetched, after every retry or for good.
    Failed,
    /// Removed by the shop's retention policy.
    Expired,
    /// Removed with its customer's personal data.
    Erased,
}

impl MediaState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Stored => "stored",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Erased => "erased",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Stored, Self::Failed, Self::Expired, Self::Erased].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// From a customer's message.
    Inbound,
    /// Uploaded by the shop.
    Upload,
}

/// Waits before each retry of a fetch: quick at first (Meta's link lives 5 minutes, a fresh one
/// is asked for on each attempt), then spread over two days (Meta keeps a webhook's media id 7).
pub const FETCH_BACKOFF_SECS: [i64; 9] = [2, 10, 30, 120, 600, 1_800, 7_200, 21_600, 86_400];
/// Meta's id of an uploaded file lives 30 days; one older than this is uploaded again.
pub const META_ID_LIFETIME: Duration = Duration::days(29);

/// A file's state, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFileSnapshot {
    pub id: MediaId,
    pub shop_id: ShopId,
    /// The number it came through, or was last uploaded to Meta with.
    pub account_id: Option<AccountId>,
    pub origin: Origin,
    pub kind: MediaKind,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    pub size: Option<u64>,
    /// Hex SHA-256 of the stored bytes.
    pub sha256: Option<String>,
    /// What Meta said the file's SHA-256 is (inbound).
    pub expected_sha256: Option<String>,
    /// Meta's media id: the webhook's (inbound), or the last upload's.
    pub meta_media_id: Option<String>,
    pub meta_uploaded_at: Option<DateTime<Utc>>,
    /// The customer's message it came with (inbound).
    pub message_id: Option<MessageId>,
    pub state: MediaState,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub stored_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
}

/// What the service keeps about one file (the bytes are in the media store, under
/// [`MediaFile::storage_key`]). Its state is private: persistence reads `snapshot()` and
/// rebuilds with `restore`; every change is a method.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaFile {
    s: MediaFileSnapshot,
}

/// Why fetched bytes were not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the file's SHA-256 is {actual}, Meta said {expected}")]
pub struct ChecksumMismatch {
    pub expected: String,
    pub actual: String,
}

/// Meta's SHA-256 of a file, as hex, whichever way Meta wrote it (hex or base64).
fn normalise_sha256(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(s.to_ascii_lowercase());
    }
    base64_decode(s).filter(|b| b.len() == 32).map(|b| b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Standard or URL-safe base64, padded or not (the only decoding the domain needs).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut n = 0;
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

impl MediaFile {
    pub fn restore(snapshot: MediaFileSnapshot) -> Self {
        Self { s: snapshot }
    }

    pub fn snapshot(&self) -> &MediaFileSnapshot {
        &self.s
    }

    pub fn into_snapshot(self) -> MediaFileSnapshot {
        self.s
    }

    pub fn id(&self) -> MediaId {
        self.s.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.s.shop_id
    }
    pub fn account_id(&self) -> Option<AccountId> {
        self.s.account_id
    }
    pub fn origin(&self) -> Origin {
        self.s.origin
    }
    pub fn kind(&self) -> MediaKind {
        self.s.kind
    }
    pub fn mime_type(&self) -> Option<&str> {
        self.s.mime_type.as_deref()
    }
    pub fn filename(&self) -> Option<&str> {
        self.s.filename.as_deref()
    }
    pub fn size(&self) -> Option<u64> {
        self.s.size
    }
    pub fn sha256(&self) -> Option<&str> {
        self.s.sha256.as_deref()
    }
    pub fn message_id(&self) -> Option<MessageId> {
        self.s.message_id
    }
    pub fn state(&self) -> MediaState {
        self.s.state
    }
    pub fn attempts(&self) -> u32 {
        self.s.attempts
    }
    pub fn removed_at(&self) -> Option<DateTime<Utc>> {
        self.s.removed_at
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.s.created_at
    }
    /// Meta's media id: the webhook's (inbound), or the last upload's.
    pub fn meta_media_id(&self) -> Option<&str> {
        self.s.meta_media_id.as_deref()
    }
    /// Why the last fetch failed.
    pub fn last_error(&self) -> Option<&str> {
        self.s.last_error.as_deref()
    }
    /// What Meta said the file's SHA-256 is (inbound).
    pub fn expected_sha256(&self) -> Option<&str> {
        self.s.expected_sha256.as_deref()
    }
    /// A customer's file, announced by a message: to be fetched at once.
    #[allow(clippy::too_many_arguments)]
    pub fn announced(
        id: MediaId,
        shop_id: ShopId,
        account_id: AccountId,
        message_id: MessageId,
        kind: MediaKind,
        meta_media_id: &str,
        mime_type: Option<String>,
        sha256: Option<&str>,
        filename: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self::restore(MediaFileSnapshot {
            id,
            shop_id,
            account_id: Some(account_id),
            origin: Origin::Inbound,
            kind,
            mime_type,
            filename,
            size: None,
            sha256: None,
            expected_sha256: sha256.and_then(normalise_sha256),
            meta_media_id: Some(meta_media_id.to_owned()),
            meta_uploaded_at: None,
            message_id: Some(message_id),
            state: MediaState::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            stored_at: None,
            removed_at: None,
        })
    }

    /// A file the shop uploaded, stored here and accepted by Meta as `meta_media_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn uploaded(
        shop_id: ShopId,
        account_id: AccountId,
        kind: MediaKind,
        mime_type: &str,
        filename: Option<String>,
        size: u64,
        sha256: &str,
        meta_media_id: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self::restore(MediaFileSnapshot {
            id: MediaId::new(),
            shop_id,
            account_id: Some(account_id),
            origin: Origin::Upload,
            kind,
            mime_type: Some(mime_type.to_owned()),
            filename,
            size: Some(size),
            sha256: Some(sha256.to_owned()),
            expected_sha256: None,
            meta_media_id: Some(meta_media_id.to_owned()),
            meta_uploaded_at: Some(now),
            message_id: None,
            state: MediaState::Stored,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            stored_at: Some(now),
            removed_at: None,
        })
    }

    /// Where its bytes are in the media store: under the shop, so a shop's files can be listed
    /// and removed together.
    pub fn storage_key(&self) -> String {
        format!("{}/{}", self.s.shop_id, self.s.id)
    }

    /// The fetched bytes' SHA-256 (hex) and size: kept if they are what Meta announced.
    pub fn fetched(
        &mut self,
        sha256: &str,
        size: u64,
        mime_type: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<MediaEvent, ChecksumMismatch> {
        if let Some(expected) = &self.s.expected_sha256
            && !expected.eq_ignore_ascii_case(sha256)
        {
            return Err(ChecksumMismatch { expected: expected.clone(), actual: sha256.to_owned() });
        }
        self.s.sha256 = Some(sha256.to_ascii_lowercase());
        self.s.size = Some(size);
        if self.s.mime_type.is_none() {
            self.s.mime_type = mime_type;
        }
        self.s.state = MediaState::Stored;
        self.s.stored_at = Some(now);
        self.s.last_error = None;
        Ok(MediaStored {
            shop_id: self.s.shop_id,
            media_id: self.s.id,
            message_id: self.s.message_id,
            kind: self.s.kind.as_str().into(),
            mime_type: self.s.mime_type.clone(),
            size,
        }
        .into())
    }

    /// A fetch did not work: try again after the next wait, or give up (`permanent`: Meta says
    /// the file is gone; or every retry is spent). Returns `media.failed` when it gives up.
    pub fn fetch_failed(&mut self, reason: &str, permanent: bool, now: DateTime<Utc>) -> Option<MediaEvent> {
        self.s.attempts += 1;
        self.s.last_error = Some(reason.chars().take(500).collect());
        match FETCH_BACKOFF_SECS.get(self.s.attempts as usize - 1) {
            Some(wait) if !permanent => {
                self.s.next_attempt_at = now + Duration::seconds(*wait);
                None
            }
            _ => {
                self.s.state = MediaState::Failed;
                Some(
                    MediaFailed {
                        shop_id: self.s.shop_id,
                        media_id: self.s.id,
                        message_id: self.s.message_id,
                        attempts: self.s.attempts,
                        reason: self.s.last_error.clone().unwrap_or_default(),
                    }
                    .into(),
                )
            }
        }
    }

    /// Meta's id to send this file from `account` now, if it has a fresh one; `None` means
    /// upload it again first.
    pub fn meta_id_for(&self, account: AccountId, now: DateTime<Utc>) -> Option<&str> {
        match (self.s.origin, self.s.account_id, self.s.meta_uploaded_at) {
            (Origin::Upload, Some(a), Some(at)) if a == account && now - at < META_ID_LIFETIME => self.s.meta_media_id.as_deref(),
            _ => None,
        }
    }

    /// Uploaded to Meta again (for `account`), as `meta_media_id`.
    pub fn reuploaded(&mut self, account: AccountId, meta_media_id: &str, now: DateTime<Utc>) {
        // An inbound file forwarded by the shop becomes one the shop sends.
        self.s.origin = Origin::Upload;
        self.s.account_id = Some(account);
        self.s.meta_media_id = Some(meta_media_id.to_owned());
        self.s.meta_uploaded_at = Some(now);
    }

    /// May its bytes be served or sent?
    pub fn is_available(&self) -> bool {
        self.s.state == MediaState::Stored
    }

    /// The shop's retention removed its file.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        self.s.state = MediaState::Expired;
        self.s.removed_at = Some(now);
    }

    /// Removed with its customer's personal data: the name goes too.
    pub fn erase(&mut self, now: DateTime<Utc>) {
        self.s.state = MediaState::Erased;
        self.s.filename = None;
        self.s.removed_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announced(sha: Option<&str>) -> MediaFile {
        let t = Utc::now();
        MediaFile::announced(MediaId::new(), ShopId::new(), AccountId::new(), MessageId::new(), MediaKind::Image, "123", None, sha, None, t)
    }

    #[test]
    fn given_meta_sha256_in_hex_or_base64_when_fetched_bytes_match_then_stored_with_event() {
        let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let b64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
        for announced_as in [hex, b64, &hex.to_ascii_uppercase()] {
            let mut m = announced(Some(announced_as));
            let e = m.fetched(hex, 4, Some("image/jpeg".into()), Utc::now()).unwrap();
            assert_eq!(m.s.state, MediaState::Stored);
            assert_eq!(domain_event_type(&e), "media.stored");
        }
    }

    #[test]
    fn given_other_bytes_when_fetched_then_refused_and_nothing_changes() {
        let mut m = announced(Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
        let before = m.clone();
        let e = m.fetched(&"0".repeat(64), 4, None, Utc::now()).unwrap_err();
        assert_eq!(e.actual, "0".repeat(64));
        assert_eq!(m, before);
    }

    #[test]
    fn failed_fetches_back_off_then_give_up_once_with_an_event() {
        let mut m = announced(None);
        let t = Utc::now();
        for (i, wait) in FETCH_BACKOFF_SECS.iter().enumerate() {
            assert_eq!(m.fetch_failed("timeout", false, t), None, "attempt {i}");
            assert_eq!(m.s.next_attempt_at, t + Duration::seconds(*wait));
            assert_eq!(m.s.state, MediaState::Pending);
        }
        let e = m.fetch_failed("timeout", false, t).expect("gives up");
        assert_eq!(m.s.state, MediaState::Failed);
        assert_eq!(domain_event_type(&e), "media.failed");
        let mut gone = announced(None);
        assert!(gone.fetch_failed("Meta: no such media", true, t).is_some(), "a permanent failure gives up at once");
        assert_eq!(gone.s.attempts, 1);
    }

    #[test]
    fn meta_ids_are_reused_for_the_same_number_for_29_days() {
        let t = Utc::now();
        let (shop, a, b) = (ShopId::new(), AccountId::new(), AccountId::new());
        let mut m = MediaFile::uploaded(shop, a, MediaKind::Image, "image/jpeg", None, 10, "ab", "m1", t);
        assert_eq!(m.meta_id_for(a, t + Duration::days(28)), Some("m1"));
        assert_eq!(m.meta_id_for(a, t + Duration::days(29)), None, "about to expire at Meta");
        assert_eq!(m.meta_id_for(b, t), None, "another number uploads its own");
        m.reuploaded(b, "m2", t + Duration::days(29));
        assert_eq!(m.meta_id_for(b, t + Duration::days(29)), Some("m2"));
        assert_eq!(announced(None).meta_id_for(a, t), None, "a customer's file is uploaded before it is sent");
    }

    fn domain_event_type(e: &MediaEvent) -> &'static str {
        crate::shared::events::IntegrationEvent::event_type(e)
    }
}
