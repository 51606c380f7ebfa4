//! Rows ⇄ media files.

use sea_orm::ActiveValue::Set;

use application::{RepoError, RepoResult};
use domain::media::{MediaFile, MediaFileSnapshot, MediaKind, MediaState, Origin};

use super::entities::media::{ActiveModel, Model};

fn origin_str(o: Origin) -> &'static str {
    match o {
        Origin::Inbound => "inbound",
        Origin::Upload => "upload",
    }
}

pub fn file(m: Model) -> RepoResult<MediaFile> {
    let bad = |what: &str, v: &str| RepoError::Corrupt(format!("media {}: unknown {what} {v:?}", m.id).into());
    Ok(MediaFile::restore(MediaFileSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        account_id: m.account_id.map(Into::into),
        origin: match m.origin.as_str() {
            "inbound" => Origin::Inbound,
            "upload" => Origin::Upload,
            o => return Err(bad("origin", o)),
        },
        kind: MediaKind::parse(&m.kind).ok_or_else(|| bad("kind", &m.kind))?,
        mime_type: m.mime_type.clone(),
        filename: m.filename.clone(),
        size: m.size.map(|s| s.max(0) as u64),
        sha256: m.sha256.clone(),
        expected_sha256: m.expected_sha256.clone(),
        meta_media_id: m.meta_media_id.clone(),
        meta_uploaded_at: m.meta_uploaded_at,
        message_id: m.message_id.map(Into::into),
        state: MediaState::parse(&m.state).ok_or_else(|| bad("state", &m.state))?,
        attempts: m.attempts.max(0) as u32,
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error.clone(),
        created_at: m.created_at,
        stored_at: m.stored_at,
        removed_at: m.removed_at,
    }))
}

/// Every column; the claim is released.
pub fn row(f: &MediaFile) -> ActiveModel {
    let f = f.snapshot();
    ActiveModel {
        id: Set(f.id.as_uuid()),
        shop_id: Set(f.shop_id.as_uuid()),
        account_id: Set(f.account_id.map(|a| a.as_uuid())),
        origin: Set(origin_str(f.origin).into()),
        kind: Set(f.kind.as_str().into()),
        mime_type: Set(f.mime_type.clone()),
        filename: Set(f.filename.clone()),
        size: Set(f.size.map(|s| s as i64)),
        sha256: Set(f.sha256.clone()),
        expected_sha256: Set(f.expected_sha256.clone()),
        meta_media_id: Set(f.meta_media_id.clone()),
        meta_uploaded_at: Set(f.meta_uploaded_at),
        message_id: Set(f.message_id.map(|m| m.as_uuid())),
        state: Set(f.state.as_str().into()),
        attempts: Set(f.attempts as i32),
        next_attempt_at: Set(f.next_attempt_at),
        claimed_by: Set(None),
        claimed_until: Set(None),
        last_error: Set(f.last_error.clone()),
        created_at: Set(f.created_at),
        stored_at: Set(f.stored_at),
        removed_at: Set(f.removed_at),
    }
}
