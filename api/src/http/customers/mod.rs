//! The customers API (the CRM's read side so far): list and search, and one customer with their
//! conversations.

pub mod consent;
pub mod dto;
pub mod export;
pub mod fields;
pub mod import;
pub mod routes;
pub mod segments;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api =
    (routes::CustomersApi, consent::ConsentApi, fields::CustomFieldsApi, segments::SegmentsApi, import::ImportApi, export::ExportApi);

pub fn api() -> Api {
    (routes::CustomersApi, consent::ConsentApi, fields::CustomFieldsApi, segments::SegmentsApi, import::ImportApi, export::ExportApi)
}

use std::sync::Arc;

use application::Pipeline;
use application::customers::create_customer::{CreateCustomerError, CreateCustomerHandler};
use application::customers::create_segment::{CreateSegmentError, CreateSegmentHandler};
use application::customers::define_custom_field::{DefineCustomFieldError, DefineCustomFieldHandler};
use application::customers::delete_segment::{DeleteSegmentError, DeleteSegmentHandler};
use application::customers::get_consent::{GetConsentError, GetConsentHandler};
use application::customers::get_consent_settings::{GetConsentSettingsError, GetConsentSettingsHandler};
use application::customers::get_customer::{GetCustomerError, GetCustomerHandler};
use application::customers::get_segments::{GetSegmentsError, GetSegmentsHandler};
use application::customers::import_customers::{ImportCustomersError, ImportCustomersHandler, SettleAfterImport};
use application::customers::list_custom_fields::{ListCustomFieldsError, ListCustomFieldsHandler};
use application::customers::list_customers::{ListCustomersError, ListCustomersHandler};
use application::customers::record_consent::{RecordConsentError, RecordConsentHandler};
use application::customers::segment_customers::{SegmentCustomersError, SegmentCustomersHandler};
use application::customers::start_export::{StartCustomersExportError, StartCustomersExportHandler};
use application::customers::tag_customer::{TagCustomerError, TagCustomerHandler};
use application::customers::update_consent_settings::{UpdateConsentSettingsError, UpdateConsentSettingsHandler};
use application::customers::update_customer::{UpdateCustomerError, UpdateCustomerHandler};
use application::shared::ports::Clock;

use super::error::ApiError;

/// What the customers routes use, wired once at start-up.
pub struct CustomersHttp {
    pub pipeline: Pipeline,
    pub clock: Arc<dyn Clock>,
    /// The customers themselves (`/customers`, `/customers/{id}`, tags).
    pub profiles: ProfilesHttp,
    /// Consent and the shop's consent settings.
    pub consent: ConsentHttp,
    /// Custom field definitions.
    pub fields: FieldsHttp,
    pub segments: SegmentsHttp,
    /// Imports and exports.
    pub transfers: TransfersHttp,
}

pub struct ProfilesHttp {
    pub list: ListCustomersHandler,
    pub get: GetCustomerHandler,
    pub tag: TagCustomerHandler,
    pub create: CreateCustomerHandler,
    pub update: UpdateCustomerHandler,
}

pub struct ConsentHttp {
    pub get: GetConsentHandler,
    pub record: RecordConsentHandler,
    pub settings: GetConsentSettingsHandler,
    pub update_settings: UpdateConsentSettingsHandler,
}

pub struct FieldsHttp {
    pub list: ListCustomFieldsHandler,
    pub define: DefineCustomFieldHandler,
}

pub struct SegmentsHttp {
    pub list: GetSegmentsHandler,
    pub create: CreateSegmentHandler,
    pub delete: DeleteSegmentHandler,
    pub members: SegmentCustomersHandler,
}

pub struct TransfersHttp {
    pub import: ImportCustomersHandler,
    pub settle_import: SettleAfterImport,
    pub start_export: StartCustomersExportHandler,
    /// The largest CSV an import reads.
    pub import_max_bytes: usize,
}

impl From<StartCustomersExportError> for ApiError {
    fn from(e: StartCustomersExportError) -> Self {
        match e {
            StartCustomersExportError::Invalid(i) => i.into(),
            StartCustomersExportError::Storage(s) => s.into(),
        }
    }
}

impl From<ImportCustomersError> for ApiError {
    fn from(e: ImportCustomersError) -> Self {
        match e {
            ImportCustomersError::Invalid(i) => i.into(),
            ImportCustomersError::Storage(s) => s.into(),
        }
    }
}

impl From<CreateSegmentError> for ApiError {
    fn from(e: CreateSegmentError) -> Self {
        match e {
            CreateSegmentError::Invalid(i) => i.into(),
            CreateSegmentError::Duplicate => ApiError::Conflict(super::error::body(
                "CONFLICT",
                "The shop already has a segment with this name.",
                serde_json::json!({ "field": "name" }),
            )),
            CreateSegmentError::Storage(s) => s.into(),
        }
    }
}

impl From<DeleteSegmentError> for ApiError {
    fn from(e: DeleteSegmentError) -> Self {
        match e {
            DeleteSegmentError::Invalid(i) => i.into(),
            DeleteSegmentError::NotFound => ApiError::not_found("segment"),
            DeleteSegmentError::Storage(s) => s.into(),
        }
    }
}

impl From<GetSegmentsError> for ApiError {
    fn from(e: GetSegmentsError) -> Self {
        match e {
            GetSegmentsError::Invalid(i) => i.into(),
            GetSegmentsError::NotFound => ApiError::not_found("segment"),
            GetSegmentsError::Storage(s) => s.into(),
        }
    }
}

impl From<SegmentCustomersError> for ApiError {
    fn from(e: SegmentCustomersError) -> Self {
        match e {
            SegmentCustomersError::Invalid(i) => i.into(),
            SegmentCustomersError::NotFound => ApiError::not_found("segment"),
            SegmentCustomersError::Storage(s) => s.into(),
        }
    }
}

impl From<CreateCustomerError> for ApiError {
    fn from(e: CreateCustomerError) -> Self {
        match e {
            CreateCustomerError::Invalid(i) => i.into(),
            CreateCustomerError::Duplicate { existing } => ApiError::Conflict(super::error::body(
                "CONFLICT",
                "The shop already has a customer with this waId.",
                serde_json::json!({ "field": "waId", "customerId": existing.as_uuid() }),
            )),
            CreateCustomerError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateCustomerError> for ApiError {
    fn from(e: UpdateCustomerError) -> Self {
        match e {
            UpdateCustomerError::Invalid(i) => i.into(),
            UpdateCustomerError::NotFound => ApiError::not_found("customer"),
            UpdateCustomerError::Erased => ApiError::customer_erased(),
            UpdateCustomerError::Storage(s) => s.into(),
        }
    }
}

impl From<ListCustomFieldsError> for ApiError {
    fn from(e: ListCustomFieldsError) -> Self {
        match e {
            ListCustomFieldsError::Invalid(i) => i.into(),
            ListCustomFieldsError::Storage(s) => s.into(),
        }
    }
}

impl From<DefineCustomFieldError> for ApiError {
    fn from(e: DefineCustomFieldError) -> Self {
        match e {
            DefineCustomFieldError::Invalid(i) => i.into(),
            DefineCustomFieldError::Duplicate => ApiError::Conflict(super::error::body(
                "CONFLICT",
                "The shop already has a custom field with this key.",
                serde_json::json!({ "field": "key" }),
            )),
            DefineCustomFieldError::Storage(s) => s.into(),
        }
    }
}

impl From<GetConsentError> for ApiError {
    fn from(e: GetConsentError) -> Self {
        match e {
            GetConsentError::Invalid(i) => i.into(),
            GetConsentError::NotFound => ApiError::not_found("customer"),
            GetConsentError::Storage(s) => s.into(),
        }
    }
}

impl From<RecordConsentError> for ApiError {
    fn from(e: RecordConsentError) -> Self {
        match e {
            RecordConsentError::Invalid(i) => i.into(),
            RecordConsentError::NotFound => ApiError::not_found("customer"),
            RecordConsentError::Erased => ApiError::customer_erased(),
            RecordConsentError::Storage(s) => s.into(),
        }
    }
}

impl From<GetConsentSettingsError> for ApiError {
    fn from(e: GetConsentSettingsError) -> Self {
        match e {
            GetConsentSettingsError::Invalid(i) => i.into(),
            GetConsentSettingsError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateConsentSettingsError> for ApiError {
    fn from(e: UpdateConsentSettingsError) -> Self {
        match e {
            UpdateConsentSettingsError::Invalid(i) => i.into(),
            UpdateConsentSettingsError::Storage(s) => s.into(),
        }
    }
}

impl From<ListCustomersError> for ApiError {
    fn from(e: ListCustomersError) -> Self {
        match e {
            ListCustomersError::Invalid(i) => i.into(),
            ListCustomersError::Storage(s) => s.into(),
        }
    }
}

impl From<TagCustomerError> for ApiError {
    fn from(e: TagCustomerError) -> Self {
        match e {
            TagCustomerError::Invalid(i) => i.into(),
            TagCustomerError::NotFound => ApiError::not_found("customer"),
            TagCustomerError::Erased => ApiError::customer_erased(),
            TagCustomerError::Storage(s) => s.into(),
        }
    }
}

impl From<GetCustomerError> for ApiError {
    fn from(e: GetCustomerError) -> Self {
        match e {
            GetCustomerError::Invalid(i) => i.into(),
            GetCustomerError::NotFound => ApiError::not_found("customer"),
            GetCustomerError::Storage(s) => s.into(),
        }
    }
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<CustomersHttp> {
    Arc::new(CustomersHttp {
        pipeline: a.pipeline.clone(),
        clock: a.clock.clone(),
        profiles: ProfilesHttp {
            list: ListCustomersHandler { reads: a.customer_reads.clone(), clock: a.clock.clone() },
            get: GetCustomerHandler { reads: a.customer_reads.clone() },
            tag: TagCustomerHandler { clock: a.clock.clone() },
            create: CreateCustomerHandler { clock: a.clock.clone() },
            update: UpdateCustomerHandler { clock: a.clock.clone() },
        },
        consent: ConsentHttp {
            get: GetConsentHandler { reads: a.customer_reads.clone() },
            record: RecordConsentHandler { clock: a.clock.clone() },
            settings: GetConsentSettingsHandler { reads: a.customer_reads.clone() },
            update_settings: UpdateConsentSettingsHandler { clock: a.clock.clone() },
        },
        fields: FieldsHttp {
            list: ListCustomFieldsHandler { reads: a.customer_reads.clone() },
            define: DefineCustomFieldHandler { clock: a.clock.clone() },
        },
        segments: SegmentsHttp {
            list: GetSegmentsHandler { reads: a.customer_reads.clone(), clock: a.clock.clone() },
            create: CreateSegmentHandler { clock: a.clock.clone() },
            delete: DeleteSegmentHandler,
            members: SegmentCustomersHandler { reads: a.customer_reads.clone(), clock: a.clock.clone() },
        },
        transfers: TransfersHttp {
            import: ImportCustomersHandler { clock: a.clock.clone() },
            settle_import: SettleAfterImport { reads: a.customer_reads.clone() },
            start_export: StartCustomersExportHandler,
            import_max_bytes: a.config.import_max_body_bytes,
        },
    })
}
