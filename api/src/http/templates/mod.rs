//! `/api/v1/templates`: the shop's Meta message templates — made (checked against Meta's rules,
//! then submitted), listed, read with their status history, previewed, synced and deleted.

pub mod dto;
pub mod routes;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::TemplatesApi;

pub fn api() -> Api {
    routes::TemplatesApi
}

use std::sync::Arc;

use serde_json::json;

use application::Pipeline;
use application::templates::create_template::{CreateTemplateError, CreateTemplateService};
use application::templates::delete_template::{DeleteTemplateError, DeleteTemplateService};
use application::templates::edit_template::{EditTemplateError, EditTemplateService};
use application::templates::get_template::{GetTemplateError, GetTemplateHandler};
use application::templates::list_templates::{ListTemplatesError, ListTemplatesHandler};
use application::templates::preview_template::{PreviewTemplateError, PreviewTemplateHandler};
use application::templates::sync_templates::{SyncTemplatesError, SyncTemplatesService};

use crate::http::error::{ApiError, body};
use application::templates::create_template::RecordCreatedTemplateHandler;
use application::templates::edit_template::RecordTemplateEditHandler;

/// What the templates routes need, wired once at start-up.
pub struct TemplatesHttp {
    pub pipeline: Pipeline,
    pub create: CreateTemplateService,
    pub list: ListTemplatesHandler,
    pub get: GetTemplateHandler,
    pub preview: PreviewTemplateHandler,
    pub sync: Arc<SyncTemplatesService>,
    pub delete: DeleteTemplateService,
    pub edit: EditTemplateService,
}

pub type TemplatesState = Arc<TemplatesHttp>;

impl From<CreateTemplateError> for ApiError {
    fn from(e: CreateTemplateError) -> Self {
        match e {
            CreateTemplateError::Invalid(i) => i.into(),
            CreateTemplateError::Rejected(p) => ApiError::problems(&p),
            CreateTemplateError::AccountNotFound => ApiError::not_found("account"),
            e @ CreateTemplateError::AlreadyExists(_) => ApiError::conflict("CONFLICT", e.to_string()),
            // Meta refused what passed the local rules: its reason, as a 422 the merchant can act on.
            CreateTemplateError::Meta(m) if m.http_status.is_some_and(|s| (400..500).contains(&s) && s != 401 && s != 429) => {
                ApiError::Unprocessable(body(
                    "WHATSAPP_API_ERROR",
                    format!("Meta refused the template: {m}"),
                    json!({"metaCode": m.code, "metaSubcode": m.subcode, "details": m.details}),
                ))
            }
            CreateTemplateError::Meta(m) => ApiError::whatsapp(&m, None),
            e @ CreateTemplateError::Cipher(_) => ApiError::fault(&e),
            CreateTemplateError::Storage(s) => s.into(),
        }
    }
}

impl From<ListTemplatesError> for ApiError {
    fn from(e: ListTemplatesError) -> Self {
        match e {
            ListTemplatesError::Invalid(i) => i.into(),
            ListTemplatesError::Storage(s) => s.into(),
        }
    }
}

impl From<GetTemplateError> for ApiError {
    fn from(e: GetTemplateError) -> Self {
        match e {
            GetTemplateError::Invalid(i) => i.into(),
            GetTemplateError::NotFound => ApiError::not_found("template"),
            GetTemplateError::Storage(s) => s.into(),
        }
    }
}

impl From<PreviewTemplateError> for ApiError {
    fn from(e: PreviewTemplateError) -> Self {
        match e {
            PreviewTemplateError::Invalid(i) => i.into(),
            PreviewTemplateError::NotFound => ApiError::not_found("template"),
            e @ PreviewTemplateError::ContentUnknown => ApiError::Unprocessable(body("TEMPLATE_CONTENT_UNKNOWN", e.to_string(), json!({}))),
            PreviewTemplateError::Parameters(p) => ApiError::problems(&p),
            PreviewTemplateError::Storage(s) => s.into(),
        }
    }
}

impl From<SyncTemplatesError> for ApiError {
    fn from(e: SyncTemplatesError) -> Self {
        match e {
            SyncTemplatesError::Invalid(i) => i.into(),
            SyncTemplatesError::Meta(m) => ApiError::whatsapp(&m, None),
            e @ SyncTemplatesError::Cipher(_) => ApiError::fault(&e),
            SyncTemplatesError::Storage(s) => s.into(),
        }
    }
}

impl From<DeleteTemplateError> for ApiError {
    fn from(e: DeleteTemplateError) -> Self {
        match e {
            DeleteTemplateError::Invalid(i) => i.into(),
            DeleteTemplateError::NotFound => ApiError::not_found("template"),
            DeleteTemplateError::Meta(m) => ApiError::whatsapp(&m, None),
            e @ DeleteTemplateError::Cipher(_) => ApiError::fault(&e),
            DeleteTemplateError::Storage(s) => s.into(),
        }
    }
}

impl From<EditTemplateError> for ApiError {
    fn from(e: EditTemplateError) -> Self {
        match e {
            EditTemplateError::Invalid(i) => i.into(),
            EditTemplateError::Rejected(p) => ApiError::problems(&p),
            EditTemplateError::NotFound => ApiError::not_found("template"),
            e @ EditTemplateError::NoAccount => ApiError::Unprocessable(body("VALIDATION_FAILED", e.to_string(), json!({"field": "id"}))),
            // Meta's own limits (one edit a day, ten a month for an approved template): its reason.
            EditTemplateError::Meta(m) if m.http_status.is_some_and(|s| (400..500).contains(&s) && s != 401 && s != 429) => {
                ApiError::Unprocessable(body(
                    "WHATSAPP_API_ERROR",
                    format!("Meta refused the edit: {m}"),
                    json!({"metaCode": m.code, "metaSubcode": m.subcode, "details": m.details}),
                ))
            }
            EditTemplateError::Meta(m) => ApiError::whatsapp(&m, None),
            e @ EditTemplateError::Cipher(_) => ApiError::fault(&e),
            EditTemplateError::Storage(s) => s.into(),
        }
    }
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<TemplatesHttp> {
    Arc::new(TemplatesHttp {
        pipeline: a.pipeline.clone(),
        create: CreateTemplateService {
            pipeline: a.pipeline.clone(),
            accounts: a.account_reads.clone(),
            credentials: a.credentials.clone(),
            api: a.template_api.clone(),
            record: RecordCreatedTemplateHandler { clock: a.clock.clone() },
        },
        list: ListTemplatesHandler { reads: a.template_reads.clone() },
        get: GetTemplateHandler { reads: a.template_reads.clone(), rate_cards: a.rate_card_reads.clone() },
        preview: PreviewTemplateHandler { reads: a.template_reads.clone() },
        sync: a.sync_templates.clone(),
        edit: EditTemplateService {
            pipeline: a.pipeline.clone(),
            reads: a.template_reads.clone(),
            accounts: a.account_reads.clone(),
            credentials: a.credentials.clone(),
            api: a.template_api.clone(),
            record: RecordTemplateEditHandler { clock: a.clock.clone() },
        },
        delete: DeleteTemplateService {
            pipeline: a.pipeline.clone(),
            reads: a.template_reads.clone(),
            accounts: a.account_reads.clone(),
            credentials: a.credentials.clone(),
            api: a.template_api.clone(),
        },
    })
}
