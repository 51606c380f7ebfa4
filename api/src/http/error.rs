//! # Error policy
//!
//! Every error this service answers, its own or the framework's, has one body:
//! `{"error": {"code": "SCREAMING_SNAKE", "message": "human sentence", "details": {...}}}`.
//!
//! - Each use case returns its own error enum; each context's `http/<context>/mod.rs` maps its
//!   enums to HTTP, with the shared pieces here (bad input, storage, Meta's errors). Codes are
//!   part of the public contract: never rename one.
//! - Client mistakes (4xx) say exactly what to fix and name the field (`details.field`).
//! - Server faults (5xx) are opaque to the client ("internal error", with the request id);
//!   the cause chain is logged at `error` with the request id, never returned.
//! - Meta's errors are passed through as `WHATSAPP_API_ERROR` with Meta's code and title in
//!   `details`, so a caller can act on 131047, 131026, ...
//! - What is worth retrying says when: 429 and 503 carry `Retry-After` in seconds (the shop's
//!   rate limit; the database down, a number's circuit open, the instance's file memory spent).
//! - Secrets and message bodies never appear in an error message or a log line.
//! - Framework errors (unknown route, wrong method, unparsable JSON or parameters, missing
//!   bearer token) are rewritten by [`catch_all`] into the same body.

use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{ApiResponse, Object, payload::Json};
use serde_json::{Value, json};

use application::shared::meta::{CloudApiError, CloudApiErrorKind};
use application::{Invalid, RepoError};

#[derive(Object, Debug, Clone)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `CONVERSATION_WINDOW_CLOSED`.
    pub code: String,
    /// A sentence for humans.
    pub message: String,
    /// Structured context (the offending field, Meta's error, the window's expiry...).
    pub details: Value,
}

#[derive(Object, Debug, Clone)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(ApiResponse, Debug)]
pub enum ApiError {
    /// Malformed input.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Missing or unknown API key.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The key's role does not allow this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The body is larger than `API_MAX_BODY_BYTES`.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// A body without `Content-Type: application/json`.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Valid JSON that breaks a rule: a field, the 24-hour window, an unknown number.
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Per-shop limit reached; retry after the given seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] String),
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// Meta's Cloud API failed or could not be reached.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// A dependency is down, or this instance is busy; retry after the given seconds.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] String),
}

/// At most this many problems are listed in one 422.
pub const MAX_PROBLEMS: usize = 100;
/// A problem's field or reason is cut to this many characters.
pub const MAX_PROBLEM_CHARS: usize = 300;

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_PROBLEM_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

pub fn body(code: &str, message: impl Into<String>, details: Value) -> Json<ErrorBody> {
    Json(ErrorBody { error: ErrorDetail { code: code.to_owned(), message: message.into(), details } })
}

impl ApiError {
    pub fn unauthorized(message: &str) -> Self {
        Self::Unauthorized(body("UNAUTHORIZED", message, json!({})))
    }
    pub fn forbidden(message: &str) -> Self {
        Self::Forbidden(body("FORBIDDEN", message, json!({})))
    }
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(body("NOT_FOUND", format!("{what} not found"), json!({})))
    }
    pub fn validation(field: &str, message: &str) -> Self {
        Self::Unprocessable(body("VALIDATION_FAILED", format!("{field}: {message}"), json!({ "field": field })))
    }
    /// Several problems at once (a template draft, a send's template parameters): `field` names
    /// the first, `problems` lists the first `MAX_PROBLEMS` (each cut to `MAX_PROBLEM_CHARS`
    /// characters, since a reason may quote the request), `problemCount` says how many there were.
    pub fn problems(list: &[domain::shared::problem::Problem]) -> Self {
        let first = list.first().map_or_else(|| "request".to_owned(), |p| cut(&p.field));
        let message = match list {
            [one] => format!("{}: {}", cut(&one.field), cut(&one.reason)),
            _ => format!("{} problems; the first: {first}: {}", list.len(), list.first().map_or_else(String::new, |p| cut(&p.reason))),
        };
        let problems: Vec<Value> =
            list.iter().take(MAX_PROBLEMS).map(|p| json!({"field": cut(&p.field), "reason": cut(&p.reason)})).collect();
        let details = json!({ "field": first, "problems": problems, "problemCount": list.len(), "truncated": list.len() > MAX_PROBLEMS });
        Self::Unprocessable(body("VALIDATION_FAILED", message, details))
    }
    pub fn template_not_approved(e: &domain::templates::NotApproved) -> Self {
        Self::Unprocessable(body(
            "TEMPLATE_NOT_APPROVED",
            format!("Template '{}' ({}) is {}; only an APPROVED template can be sent.", e.name, e.language, e.status),
            json!({ "name": e.name, "language": e.language, "status": e.status }),
        ))
    }
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::TooManyRequests(
            body("RATE_LIMIT_EXCEEDED", "Too many requests for this shop; slow down.", json!({ "retryAfterSeconds": retry_after_secs })),
            retry_after_secs.to_string(),
        )
    }
    pub fn too_large(max_bytes: usize) -> Self {
        Self::PayloadTooLarge(body(
            "PAYLOAD_TOO_LARGE",
            format!("Request bodies are limited to {max_bytes} bytes."),
            json!({ "maxBytes": max_bytes }),
        ))
    }
    /// 503 `SERVICE_UNAVAILABLE`: retry after `retry_after_secs`.
    pub fn unavailable(message: &str, retry_after_secs: u64) -> Self {
        Self::Unavailable(
            body("SERVICE_UNAVAILABLE", message, json!({ "retryAfterSeconds": retry_after_secs })),
            retry_after_secs.to_string(),
        )
    }
    /// 503: other files hold this instance's file memory (`MEDIA_MEMORY_BYTES`).
    pub fn files_busy() -> Self {
        Self::unavailable("Too many files are being handled by this instance; retry shortly.", 5)
    }
    pub fn internal(request_id: &str) -> Self {
        Self::Internal(body(
            "INTERNAL_ERROR",
            "Internal error. Quote the request id when reporting it.",
            json!({ "requestId": request_id }),
        ))
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::validation(&camel_case(&e.field), &e.message)
    }
}

impl From<RepoError> for ApiError {
    /// Storage trouble: 503 while the database is unavailable, else an opaque 500 with the
    /// request id (the cause chain is logged, never returned).
    fn from(e: RepoError) -> Self {
        let cause = application::Chain(&e).to_string();
        match e {
            RepoError::Unavailable(_) => {
                tracing::error!(%cause, "storage unavailable");
                ApiError::unavailable("The database is unavailable; retry shortly.", 5)
            }
            RepoError::TimedOut(_) => {
                tracing::warn!(%cause, "a statement ran past its timeout");
                ApiError::unavailable("The request took longer than the database allows; narrow it (more words, more filters) or retry.", 1)
            }
            RepoError::Concurrency(_) => {
                tracing::warn!(%cause, "concurrent changes kept conflicting");
                ApiError::Conflict(body("CONFLICT", "The resource kept changing concurrently; retry.", json!({})))
            }
            _ => {
                tracing::error!(error = %cause, "storage error");
                ApiError::internal(&current_request_id())
            }
        }
    }
}

impl ApiError {
    /// A server fault: logged with its cause chain, answered opaquely.
    pub fn fault(error: &(dyn std::error::Error + 'static)) -> Self {
        let chain = application::Chain(error).to_string();
        tracing::error!(error = %chain, "internal error");
        ApiError::internal(&current_request_id())
    }

    /// A write to a customer whose personal data was erased (GDPR): 409, the record stays as
    /// the erasure left it.
    pub fn customer_erased() -> Self {
        Self::conflict("CONFLICT", "The customer's personal data was erased; the record can no longer be changed.")
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        ApiError::Conflict(body(code, message, json!({})))
    }

    /// Its HTTP status and body (to keep an answer for an `Idempotency-Key`).
    pub fn status_and_body(&self) -> (u16, &ErrorBody) {
        match self {
            Self::BadRequest(b) => (400, b),
            Self::Unauthorized(b) => (401, b),
            Self::Forbidden(b) => (403, b),
            Self::NotFound(b) => (404, b),
            Self::Conflict(b) => (409, b),
            Self::PayloadTooLarge(b) => (413, b),
            Self::UnsupportedMediaType(b) => (415, b),
            Self::Unprocessable(b) => (422, b),
            Self::TooManyRequests(b, _) => (429, b),
            Self::Internal(b) => (500, b),
            Self::BadGateway(b) => (502, b),
            Self::Unavailable(b, _) => (503, b),
        }
    }

    /// An answer kept for an `Idempotency-Key`, given again.
    pub fn replayed(status: u16, b: ErrorBody) -> Self {
        let b = Json(b);
        match status {
            400 => Self::BadRequest(b),
            401 => Self::Unauthorized(b),
            403 => Self::Forbidden(b),
            404 => Self::NotFound(b),
            409 => Self::Conflict(b),
            413 => Self::PayloadTooLarge(b),
            415 => Self::UnsupportedMediaType(b),
            422 => Self::Unprocessable(b),
            429 => Self::TooManyRequests(b, "1".into()),
            502 => Self::BadGateway(b),
            503 => Self::Unavailable(b, "1".into()),
            _ => Self::Internal(b),
        }
    }

    /// Meta refused or failed a call: `WHATSAPP_API_ERROR` with Meta's code and title.
    pub fn whatsapp(error: &CloudApiError, message_id: Option<domain::MessageId>) -> Self {
        let details = json!({
            "metaCode": error.code, "metaSubcode": error.subcode, "metaTitle": error.title,
            "metaDetails": error.details, "fbtraceId": error.fbtrace_id, "httpStatus": error.http_status,
            "kind": error.kind, "attempts": error.attempts, "messageId": message_id.map(|m| m.to_string()),
        });
        let message = format!("WhatsApp Cloud API error: {error}");
        match error.kind {
            CloudApiErrorKind::Meta if error.http_status.is_some_and(|s| s < 500) => {
                ApiError::Unprocessable(body("WHATSAPP_API_ERROR", message, details))
            }
            CloudApiErrorKind::CircuitOpen => ApiError::Unavailable(
                body("WHATSAPP_API_ERROR", message, details),
                infrastructure::meta::CIRCUIT_OPEN_FOR.as_secs().to_string(),
            ),
            _ => ApiError::BadGateway(body("WHATSAPP_API_ERROR", message, details)),
        }
    }

    pub fn invalid_phone_number(message: String) -> Self {
        ApiError::Unprocessable(body("INVALID_PHONE_NUMBER", message, json!({ "field": "from" })))
    }
}

tokio::task_local! {
    /// The request id of the request being served (set by the request middleware).
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

/// A contract error body with no details, for plain poem handlers.
pub fn plain(status: StatusCode, code: &str, message: &str) -> Response {
    response(status, code, message.to_owned(), json!({}))
}

fn response(status: StatusCode, code: &str, message: String, details: Value) -> Response {
    let mut r = body(code, message, details).into_response();
    r.set_status(status);
    r
}

/// Rewrites every framework error into the contract's body (see the policy above).
pub async fn catch_all(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let text = err.to_string();
    match status {
        StatusCode::NOT_FOUND => response(status, "NOT_FOUND", "No such resource or route.".into(), json!({})),
        StatusCode::METHOD_NOT_ALLOWED => {
            response(status, "METHOD_NOT_ALLOWED", "This method is not allowed on this path.".into(), json!({}))
        }
        StatusCode::UNAUTHORIZED => response(status, "UNAUTHORIZED", "Send `Authorization: Bearer <api key>`.".into(), json!({})),
        StatusCode::PAYLOAD_TOO_LARGE => response(status, "PAYLOAD_TOO_LARGE", "The body is too large.".into(), json!({})),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            response(status, "VALIDATION_FAILED", "Send JSON with `Content-Type: application/json`.".into(), json!({ "field": "body" }))
        }
        s if s.is_client_error() => {
            let field = field_in(&text);
            response(StatusCode::BAD_REQUEST, "VALIDATION_FAILED", text, json!({ "field": field }))
        }
        s => {
            tracing::error!(status = s.as_u16(), error = %text, "unhandled error");
            response(s, "INTERNAL_ERROR", "Internal error.".into(), json!({ "requestId": current_request_id() }))
        }
    }
}

/// poem-openapi names the parameter or property in backticks or quotes; surface it as `field`.
fn field_in(text: &str) -> Value {
    for (open, close) in [('`', '`'), ('"', '"')] {
        if let Some(start) = text.find(open)
            && let Some(len) = text[start + 1..].find(close)
        {
            return Value::String(camel_case(&text[start + 1..start + 1 + len]));
        }
    }
    Value::String("body".into())
}

/// The API's spelling of a field the code spells in snake case (`account_id` → `accountId`).
/// Paths into message content keep Meta's own snake-case names.
pub fn camel_case(field: &str) -> String {
    if field.contains(['.', '[']) {
        return field.to_owned();
    }
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod camel_tests {
    #[test]
    fn snake_case_fields_are_named_as_the_api_names_them() {
        assert_eq!(super::camel_case("throughput_mps"), "throughputMps");
        assert_eq!(super::camel_case("user_id"), "userId");
        assert_eq!(super::camel_case("waId"), "waId");
        assert_eq!(super::camel_case("content.button_reply.id"), "content.button_reply.id");
    }
}

#[cfg(test)]
mod storage_tests {
    use super::ApiError;
    use application::{Cause, RepoError};

    /// Storage errors as the API answers them: unavailable and timed out are 503 with
    /// `Retry-After`, concurrency 409, the rest an opaque 500.
    #[test]
    fn storage_errors_map_by_kind() {
        let status = |e: RepoError| match ApiError::from(e) {
            ApiError::Unavailable(b, retry) => (503, b.0.error.message.clone(), retry),
            ApiError::Conflict(b) => (409, b.0.error.message.clone(), String::new()),
            ApiError::Internal(b) => (500, b.0.error.message.clone(), String::new()),
            _ => (0, String::new(), String::new()),
        };
        assert_eq!(status(RepoError::Unavailable(Cause::new("down"))).0, 503);
        let (code, message, retry) = status(RepoError::TimedOut(Cause::new("statement timeout")));
        assert_eq!((code, retry.as_str()), (503, "1"));
        assert!(message.contains("narrow it"), "{message}");
        assert_eq!(status(RepoError::Concurrency(Cause::new("x"))).0, 409);
        assert_eq!(status(RepoError::Other(Cause::new("x"))).0, 500);
    }
}
