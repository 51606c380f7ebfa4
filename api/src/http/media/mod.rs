//! `/api/v1/media`: files a shop uploads to send (`POST`), and every file served back with its
//! type and byte ranges (`GET /media/{id}`): uploads, and customers' files once the fetch job
//! kept them. The shop's retention policy lives at `/media/settings`.

pub mod dto;
pub mod gate;
pub mod range;
pub mod routes;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::MediaApi;

pub fn api() -> Api {
    routes::MediaApi
}

use std::sync::Arc;

use serde_json::json;

use application::Pipeline;
use application::media::get_media_info::{GetMediaInfoError, GetMediaInfoHandler};
use application::media::get_media_settings::{GetMediaSettingsError, GetMediaSettingsHandler};
use application::media::open_media::{OpenMediaError, OpenMediaHandler};
use application::media::update_media_settings::{UpdateMediaSettingsError, UpdateMediaSettingsHandler};
use application::media::upload_media::{UploadMediaError, UploadMediaService};

use crate::http::error::{ApiError, body};
use crate::http::media::gate::UploadGate;

/// What the media routes need, wired once at start-up.
pub struct MediaHttp {
    pub pipeline: Pipeline,
    pub upload: UploadMediaService,
    pub info: GetMediaInfoHandler,
    pub open: OpenMediaHandler,
    pub settings: GetMediaSettingsHandler,
    pub update_settings: UpdateMediaSettingsHandler,
    /// Uploads admitted before their bodies are read (the file memory, uploads per shop).
    pub gate: gate::UploadGate,
}

impl From<UploadMediaError> for ApiError {
    fn from(e: UploadMediaError) -> Self {
        match e {
            UploadMediaError::Invalid(i) => i.into(),
            UploadMediaError::Refused(p) => ApiError::validation(p.field, &p.reason),
            UploadMediaError::AccountNotFound => ApiError::not_found("account"),
            // Meta refused what passed the local rules: its reason, as a 422 the merchant can act on.
            UploadMediaError::Meta(m) if m.http_status.is_some_and(|s| (400..500).contains(&s) && s != 401 && s != 429) => {
                ApiError::Unprocessable(body(
                    "WHATSAPP_API_ERROR",
                    format!("Meta refused the file: {m}"),
                    json!({"metaCode": m.code, "metaSubcode": m.subcode, "details": m.details}),
                ))
            }
            UploadMediaError::Meta(m) => ApiError::whatsapp(&m, None),
            e @ (UploadMediaError::Cipher(_) | UploadMediaError::Store(_)) => ApiError::fault(&e),
            UploadMediaError::Storage(s) => s.into(),
        }
    }
}

impl From<GetMediaInfoError> for ApiError {
    fn from(e: GetMediaInfoError) -> Self {
        match e {
            GetMediaInfoError::Invalid(i) => i.into(),
            GetMediaInfoError::NotFound => ApiError::not_found("media"),
            GetMediaInfoError::Storage(s) => s.into(),
        }
    }
}

impl From<OpenMediaError> for ApiError {
    fn from(e: OpenMediaError) -> Self {
        match e {
            OpenMediaError::Invalid(i) => i.into(),
            OpenMediaError::NotFound => ApiError::not_found("media"),
            OpenMediaError::NotReady(s) => ApiError::Conflict(body(
                "MEDIA_NOT_READY",
                format!("The file is not available yet: it is {}.", s.as_str()),
                json!({"state": s.as_str()}),
            )),
            // The route answers 410 itself; elsewhere a removed file is not found.
            OpenMediaError::Removed(_) => ApiError::not_found("media"),
            e @ OpenMediaError::Store(_) => ApiError::fault(&e),
            OpenMediaError::Storage(s) => s.into(),
        }
    }
}

impl From<GetMediaSettingsError> for ApiError {
    fn from(e: GetMediaSettingsError) -> Self {
        match e {
            GetMediaSettingsError::Invalid(i) => i.into(),
            GetMediaSettingsError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateMediaSettingsError> for ApiError {
    fn from(e: UpdateMediaSettingsError) -> Self {
        match e {
            UpdateMediaSettingsError::Invalid(i) => i.into(),
            UpdateMediaSettingsError::Storage(s) => s.into(),
        }
    }
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<MediaHttp> {
    Arc::new(MediaHttp {
        pipeline: a.pipeline.clone(),
        upload: UploadMediaService {
            pipeline: a.pipeline.clone(),
            accounts: a.account_reads.clone(),
            credentials: a.credentials.clone(),
            api: a.media_api.clone(),
            store: a.media_store.clone(),
            clock: a.clock.clone(),
        },
        info: GetMediaInfoHandler { reads: a.media_reads.clone() },
        open: OpenMediaHandler { reads: a.media_reads.clone(), store: a.media_store.clone() },
        settings: GetMediaSettingsHandler { reads: a.media_reads.clone() },
        update_settings: UpdateMediaSettingsHandler { clock: a.clock.clone() },
        gate: UploadGate::new(a.file_memory.clone(), a.config.media_uploads_per_shop),
    })
}
