//! The media operations.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::param::Path;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::json;
use uuid::Uuid;

use application::media::get_media_info::GetMediaInfo;
use application::media::get_media_settings::GetMediaSettings;
use application::media::open_media::{OpenMedia, OpenMediaError};
use application::media::update_media_settings::UpdateMediaSettings;
use application::media::upload_media::UploadMedia;
use domain::MediaId;
use domain::tenancy::Role;

use super::MediaHttp;
use super::dto::{MediaDto, MediaSettingsDto, MediaSettingsRequest, UploadMediaForm};
use super::gate::UploadPass;
use super::range::Wanted;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::{ApiError, ErrorBody, body};
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct MediaApi;

#[derive(ApiResponse)]
enum Uploaded {
    /// Stored and uploaded to Meta: send it with `content.mediaId`.
    #[oai(status = 201)]
    Created(Json<MediaDto>),
}

/// A file's bytes, with the file's own type (so the spec says `*/*`).
pub struct FileBytes(Body);

impl Payload for FileBytes {
    const CONTENT_TYPE: &'static str = "*/*";

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema { format: Some("binary"), ..MetaSchema::new("string") }))
    }
}

/// A stored file is somebody's upload, served from the API's own origin: a browser must neither
/// guess another type than the one given (`nosniff`) nor run it as a page (a sandbox with no
/// source allowed), so an HTML or SVG file cannot script the dashboard's origin.
pub const FILE_CSP: &str = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";

impl poem::IntoResponse for FileBytes {
    fn into_response(self) -> poem::Response {
        poem::Response::builder().header("X-Content-Type-Options", "nosniff").header("Content-Security-Policy", FILE_CSP).body(self.0)
    }
}

#[derive(ApiResponse)]
enum MediaBytes {
    /// The whole file, with its own `Content-Type`.
    #[oai(status = 200)]
    Whole(
        FileBytes,
        #[oai(header = "Content-Type")] String,
        #[oai(header = "Content-Length")] u64,
        #[oai(header = "Accept-Ranges")] String,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
    ),
    /// The bytes of `Range`.
    #[oai(status = 206)]
    Partial(
        FileBytes,
        #[oai(header = "Content-Type")] String,
        #[oai(header = "Content-Length")] u64,
        #[oai(header = "Content-Range")] String,
        #[oai(header = "Accept-Ranges")] String,
        #[oai(header = "ETag")] String,
        #[oai(header = "Cache-Control")] String,
    ),
    /// Removed by the shop's retention policy or with its customer's data (`MEDIA_REMOVED`).
    #[oai(status = 410)]
    Gone(Json<ErrorBody>),
    /// `Range` lies outside the file (`RANGE_NOT_SATISFIABLE`; `Content-Range: bytes */size`).
    #[oai(status = 416)]
    RangeNotSatisfiable(Json<ErrorBody>, #[oai(header = "Content-Range")] String),
}

/// `inline; filename="…"`, with anything that could break the header replaced.
fn disposition(name: Option<&str>, fallback: &str) -> String {
    let safe: String =
        name.unwrap_or(fallback).chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' }).take(200).collect();
    format!("inline; filename=\"{safe}\"")
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Media")]
impl MediaApi {
    /// Upload a file to send (agent): `multipart/form-data` with `file` (and optionally `type`
    /// and `accountId`). It is checked against Meta's type and size limits, recognised by its
    /// content (a renamed file is refused), uploaded to Meta with the sending number, and stored.
    /// Send it with `{"type": "image", "mediaId": "<id>"}`; Meta's id is renewed when it nears
    /// its 30 days.
    #[oai(path = "/media", method = "post", operation_id = "uploadMedia")]
    async fn upload(
        &self,
        h: Data<&Arc<MediaHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        req: &Request,
        auth: ApiKeyAuth,
        form: UploadMediaForm,
    ) -> Result<Uploaded, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let filename = form.file.file_name().map(str::to_owned);
        let mime_type = form.file.content_type().map(str::to_owned);
        // The front door admitted the upload before reading its body, holding room for its
        // declared length (`gate.rs`); it comes into memory within that room.
        let pass = req.data::<Arc<UploadPass>>().cloned().ok_or_else(ApiError::files_busy)?;
        if (form.file.size() as u64) > pass.bytes() {
            return Err(ApiError::files_busy());
        }
        let bytes = form.file.into_vec().await.map_err(|_| ApiError::validation("file", "the file could not be read"))?;
        let cmd = UploadMedia {
            shop_id: shop,
            account_id: form.account_id.map(Into::into),
            kind: form.kind,
            mime_type,
            filename,
            bytes: Bytes::from(bytes),
        };
        let file = h.upload.run(&ctx(&rid, Some(shop)), cmd).await?;
        Ok(Uploaded::Created(Json(MediaDto::from(&file))))
    }

    /// A file's bytes (viewer): an upload, or a customer's file once fetched. One `Range`
    /// (`bytes=0-1023`, `bytes=1024-`, `bytes=-500`) gets 206. A file still being fetched is 409
    /// `MEDIA_NOT_READY` (`details.state`); a removed one is 410.
    #[oai(path = "/media/:id", method = "get", operation_id = "getMedia")]
    async fn get(
        &self,
        h: Data<&Arc<MediaHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        req: &Request,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<MediaBytes, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (ctx, id) = (ctx(&rid, Some(shop)), MediaId::from(id.0));
        let file = h.pipeline.query(&ctx, &h.info, GetMediaInfo { shop_id: shop, id }).await?;
        let size = file.size().unwrap_or(0);
        let range = match super::range::resolve(req.header("range"), size) {
            Wanted::Whole => None,
            Wanted::Part(r) => Some(r),
            Wanted::Unsatisfiable => {
                return Ok(MediaBytes::RangeNotSatisfiable(
                    body("RANGE_NOT_SATISFIABLE", format!("The file has {size} bytes."), json!({"size": size})),
                    format!("bytes */{size}"),
                ));
            }
        };
        let stored = match h.pipeline.query(&ctx, &h.open, OpenMedia { shop_id: shop, id, range: range.clone() }).await {
            Ok(s) => s,
            Err(OpenMediaError::Removed(s)) => {
                return Ok(MediaBytes::Gone(body(
                    "MEDIA_REMOVED",
                    format!("The file was removed ({}).", s.as_str()),
                    json!({"state": s.as_str(), "removedAt": file.removed_at()}),
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let content_type = file.mime_type().unwrap_or("application/octet-stream").to_owned();
        let etag = format!("\"{}\"", file.sha256().unwrap_or_default());
        let cache = "private, max-age=86400".to_owned();
        let length = stored.range.end - stored.range.start;
        let body = Body::from_bytes_stream(stored.body.map_err(std::io::Error::other).boxed());
        Ok(match range {
            None => MediaBytes::Whole(
                FileBytes(body),
                content_type,
                length,
                "bytes".into(),
                disposition(
                    file.filename(),
                    &format!(
                        "{}.{}",
                        file.id(),
                        file.mime_type().and_then(domain::media::rules::extension_of).unwrap_or(file.kind().as_str())
                    ),
                ),
                etag,
                cache,
            ),
            Some(r) => MediaBytes::Partial(
                FileBytes(body),
                content_type,
                length,
                format!("bytes {}-{}/{size}", r.start, r.end - 1),
                "bytes".into(),
                etag,
                cache,
            ),
        })
    }

    /// What is known about a file (viewer): its state (`pending` while it is fetched, `stored`,
    /// `failed`, `expired`, `erased`), type, size, SHA-256, and the message it came with.
    #[oai(path = "/media/:id/info", method = "get", operation_id = "getMediaInfo")]
    async fn info(
        &self,
        h: Data<&Arc<MediaHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<MediaDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let file = h.pipeline.query(&ctx(&rid, Some(shop)), &h.info, GetMediaInfo { shop_id: shop, id: MediaId::from(id.0) }).await?;
        Ok(Json(MediaDto::from(&file)))
    }

    /// How long the shop keeps its files (viewer).
    #[oai(path = "/media-settings", method = "get", operation_id = "getMediaSettings")]
    async fn get_settings(
        &self,
        h: Data<&Arc<MediaHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<MediaSettingsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let days = h.pipeline.query(&ctx(&rid, Some(shop)), &h.settings, GetMediaSettings { shop_id: shop }).await?;
        Ok(Json(MediaSettingsDto { retention_days: days }))
    }

    /// Set how long the shop keeps its files (admin): `retentionDays` 1 to 3650, or `null` for
    /// ever. A job removes older files hourly; the change is audited.
    #[oai(path = "/media-settings", method = "put", operation_id = "updateMediaSettings")]
    async fn put_settings(
        &self,
        h: Data<&Arc<MediaHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<MediaSettingsRequest>,
    ) -> Result<Json<MediaSettingsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let cmd = UpdateMediaSettings { shop_id: shop, retention_days: body.0.retention_days };
        let days = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.update_settings, cmd).await?;
        Ok(Json(MediaSettingsDto { retention_days: days }))
    }
}
