//! Application errors. The HTTP edge maps each variant to a status and a contract error code;
//! nothing here knows about HTTP.

use chrono::{DateTime, Utc};

use crate::ports::{CloudApiError, RepoError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input, naming the field as the client sent it.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    /// The 24-hour window is closed and no template was given.
    #[error("Cannot send free message. Conversation window expired.")]
    WindowClosed { expired_at: Option<DateTime<Utc>> },
    /// `from` is not a business number connected to this shop.
    #[error("{0}")]
    InvalidPhoneNumber(String),
    #[error("template '{name}' ({language}) does not exist or is not approved")]
    TemplateNotFound { name: String, language: String, meta_code: Option<i64> },
    #[error("the account is not active: {0}")]
    AccountNotActive(String),
    /// Meta refused or failed the call. The message (if one was recorded) is stored as failed.
    #[error("WhatsApp Cloud API error: {error}")]
    WhatsApp { error: CloudApiError, message_id: Option<domain::MessageId> },
    #[error("storage error")]
    Storage(#[from] RepoError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation { field: field.into(), message: message.into() }
    }
}

impl From<domain::content::ContentError> for AppError {
    fn from(e: domain::content::ContentError) -> Self {
        Self::Validation { field: e.field, message: e.message }
    }
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let (field, message) = errors
            .field_errors()
            .into_iter()
            .next()
            .map(|(field, errs)| {
                let msg = errs
                    .first()
                    .and_then(|e| e.message.as_ref().map(|m| m.to_string()))
                    .unwrap_or_else(|| errs.first().map(|e| e.code.to_string()).unwrap_or_else(|| "is invalid".into()));
                (field.to_string(), msg)
            })
            .unwrap_or_else(|| ("request".into(), "is invalid".into()));
        Self::Validation { field, message }
    }
}
