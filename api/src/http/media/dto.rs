//! Bodies of the media routes.

use chrono::{DateTime, Utc};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{Multipart, Object};
use uuid::Uuid;

use domain::media::{MediaFile, Origin};

/// A file to send later by its `id` (`content.mediaId`).
#[derive(Multipart, Debug)]
pub struct UploadMediaForm {
    /// The file, with its type (`Content-Type` of the part; from the file name when
    /// `application/octet-stream`). Meta's limits: image jpeg/png 5 MB; video mp4/3gpp 16 MB;
    /// audio aac/amr/mpeg/mp4/ogg 16 MB; document (pdf, txt, Office) 100 MB; sticker webp
    /// 100 KB (animated 500 KB).
    pub file: Upload,
    /// `image`, `video`, `audio`, `document` or `sticker`; from the file's type when absent.
    #[oai(rename = "type", validator(pattern = "^(image|video|audio|document|sticker)$"))]
    pub kind: Option<String>,
    /// The number that will send it; required when the shop has several.
    #[oai(rename = "accountId")]
    pub account_id: Option<Uuid>,
}

/// What the service keeps about a file (its bytes: `GET /api/v1/media/{id}`).
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MediaDto {
    pub id: Uuid,
    /// `inbound` (a customer's, fetched from Meta) or `upload` (the shop's).
    pub origin: String,
    /// `image`, `video`, `audio`, `document` or `sticker`.
    pub kind: String,
    /// `pending` (being fetched), `stored`, `failed`, `expired` (retention) or `erased` (GDPR).
    pub state: String,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    pub size: Option<u64>,
    /// Hex SHA-256 of the bytes.
    pub sha256: Option<String>,
    /// The customer's message it came with.
    pub message_id: Option<Uuid>,
    /// The number it came through, or was last uploaded to Meta with.
    pub account_id: Option<Uuid>,
    /// Fetch attempts so far (inbound).
    pub attempts: u32,
    /// Why the last fetch failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub stored_at: Option<DateTime<Utc>>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl From<&MediaFile> for MediaDto {
    fn from(f: &MediaFile) -> Self {
        let f = f.snapshot();
        Self {
            id: f.id.as_uuid(),
            origin: match f.origin {
                Origin::Inbound => "inbound".into(),
                Origin::Upload => "upload".into(),
            },
            kind: f.kind.as_str().into(),
            state: f.state.as_str().into(),
            mime_type: f.mime_type.clone(),
            filename: f.filename.clone(),
            size: f.size,
            sha256: f.sha256.clone(),
            message_id: f.message_id.map(|m| m.as_uuid()),
            account_id: f.account_id.map(|a| a.as_uuid()),
            attempts: f.attempts,
            last_error: f.last_error.clone(),
            created_at: f.created_at,
            stored_at: f.stored_at,
            removed_at: f.removed_at,
        }
    }
}

/// How long the shop keeps files.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct MediaSettingsDto {
    /// Days a file is kept; `null`: for ever.
    pub retention_days: Option<u32>,
}

/// How long the shop is to keep files.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MediaSettingsRequest {
    /// Days a file is kept (1 to 3650); `null` keeps files for ever. Older files are removed
    /// by a job; their messages keep the `mediaId`, which then answers 410.
    #[oai(validator(minimum(value = "1"), maximum(value = "3650")))]
    pub retention_days: Option<u32>,
}
