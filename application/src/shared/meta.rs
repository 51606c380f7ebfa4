//! The Meta kernel: what every context that talks to Meta's Cloud API shares — a number's
//! credentials, and Meta's error (its kind, the code, whether the outcome is known). Each
//! context owns its own port to Meta (`messaging::ports::CloudApi`, `templates::ports::TemplateApi`,
//! `media::ports::MediaApi`, `accounts::ports::NumberDirectory`); they all speak this.

use std::fmt;

use serde::Serialize;

use crate::shared::ports::Secret;
use domain::PhoneNumberId;

/// What a call on a number's behalf needs: the number, and its token (decrypted, never logged).
#[derive(Debug, Clone)]
pub struct SenderCredentials {
    pub phone_number_id: PhoneNumberId,
    pub access_token: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloudApiErrorKind {
    /// Meta answered with an error.
    Meta,
    /// Timed out or the connection broke after the request may have reached Meta: the outcome
    /// is unknown, so it is never retried blindly.
    OutcomeUnknown,
    /// Could not connect: Meta never saw the request.
    Unreachable,
    /// The circuit breaker is open for this number.
    CircuitOpen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudApiError {
    pub kind: CloudApiErrorKind,
    pub http_status: Option<u16>,
    /// Meta's error code (e.g. 131047).
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub title: String,
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
    pub attempts: u32,
}

impl CloudApiError {
    fn new(kind: CloudApiErrorKind, title: impl Into<String>) -> Self {
        Self { kind, http_status: None, code: None, subcode: None, title: title.into(), details: None, fbtrace_id: None, attempts: 1 }
    }

    /// Meta answered `http_status`, with its code when it gave one.
    pub fn meta(http_status: u16, code: Option<i64>, title: impl Into<String>) -> Self {
        Self { http_status: Some(http_status), code, ..Self::new(CloudApiErrorKind::Meta, title) }
    }

    /// Could not connect: Meta never saw the request.
    pub fn unreachable(title: impl Into<String>, details: impl Into<String>) -> Self {
        Self::new(CloudApiErrorKind::Unreachable, title).with_details(Some(details.into()))
    }

    /// The request may have reached Meta (a timeout, a broken connection, an unreadable answer):
    /// its outcome is unknown.
    pub fn outcome_unknown(title: impl Into<String>, details: Option<String>) -> Self {
        Self::new(CloudApiErrorKind::OutcomeUnknown, title).with_details(details)
    }

    /// A failure Meta reported afterwards (a status webhook), not in an HTTP answer.
    pub fn reported(code: Option<i64>, title: impl Into<String>, details: Option<String>) -> Self {
        Self { code, ..Self::new(CloudApiErrorKind::Meta, title) }.with_details(details)
    }

    /// The number's circuit is open: nothing was sent.
    pub fn circuit_open(attempts: u32) -> Self {
        Self::new(CloudApiErrorKind::CircuitOpen, "circuit breaker open: the Cloud API has been failing for this number")
            .with_attempts(attempts)
    }

    pub fn with_http_status(mut self, http_status: Option<u16>) -> Self {
        self.http_status = http_status;
        self
    }

    pub fn with_subcode(mut self, subcode: Option<i64>) -> Self {
        self.subcode = subcode;
        self
    }

    pub fn with_details(mut self, details: Option<String>) -> Self {
        self.details = details;
        self
    }

    pub fn with_trace(mut self, fbtrace_id: Option<String>) -> Self {
        self.fbtrace_id = fbtrace_id;
        self
    }

    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }
}

impl fmt::Display for CloudApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(c) => write!(f, "({c}) {}", self.title),
            None => f.write_str(&self.title),
        }
    }
}

impl std::error::Error for CloudApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_say_what_happened() {
        let e = CloudApiError::meta(400, Some(131047), "Re-engagement message").with_attempts(2);
        assert_eq!((e.kind, e.http_status, e.code, e.attempts), (CloudApiErrorKind::Meta, Some(400), Some(131047), 2));
        assert_eq!(e.to_string(), "(131047) Re-engagement message");
        let e = CloudApiError::unreachable("could not connect", "refused");
        assert_eq!((e.kind, e.http_status, e.details.as_deref(), e.attempts), (CloudApiErrorKind::Unreachable, None, Some("refused"), 1));
        assert_eq!(CloudApiError::outcome_unknown("timed out", None).kind, CloudApiErrorKind::OutcomeUnknown);
        assert_eq!(CloudApiError::circuit_open(0).attempts, 0);
    }
}
