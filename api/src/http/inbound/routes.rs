//! Meta's webhook: the verification handshake and signed event deliveries.
//!
//! `POST` checks `X-Hub-Signature-256` over the raw bytes in constant time before anything
//! else (401 otherwise), stores the raw body durably, and only then answers 200. Processing
//! happens afterwards in the webhook worker; a body that can never be processed becomes a dead
//! letter there, still acknowledged so Meta stops redelivering.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Body, IntoResponse, Request, Response, handler};
use tokio::sync::Semaphore;

use application::inbound::raw_body::RawBody;
use infrastructure::crypto::{parse_signature_header, verify_signature};

use super::WebhooksHttp;
use crate::http::auth::constant_time_eq;
use crate::http::error::plain as error;

#[handler]
pub async fn verify(Query(q): Query<HashMap<String, String>>, h: Data<&Arc<WebhooksHttp>>) -> Response {
    let mode = q.get("hub.mode").map(String::as_str);
    let token = q.get("hub.verify_token").map(String::as_str).unwrap_or("");
    match (mode, q.get("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if constant_time_eq(token, h.verify_token.expose()) => {
            // The challenge is echoed as sent: plain text that no browser may sniff as HTML.
            challenge
                .clone()
                .with_content_type("text/plain; charset=utf-8")
                .with_header("x-content-type-options", "nosniff")
                .into_response()
        }
        _ => error(StatusCode::FORBIDDEN, "FORBIDDEN", "Webhook verification failed: wrong mode or verify token."),
    }
}

#[handler]
pub async fn receive(req: &Request, body: Body, h: Data<&Arc<WebhooksHttp>>) -> Response {
    let started = Instant::now();
    let m = &h.metrics;
    // No well-formed signature: refused before a byte of the body is read.
    let Some(signature) = parse_signature_header(req.header("x-hub-signature-256")) else {
        m.webhook_requests.with_label_values(&["bad_signature"]).inc();
        tracing::warn!(present = req.header("x-hub-signature-256").is_some(), "webhook rejected: missing or malformed signature");
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Missing or invalid X-Hub-Signature-256.");
    };
    let read = tokio::time::timeout(h.body_timeout, read_limited(req, body, h.max_body_bytes, &h.body_budget));
    let body = match read.await.unwrap_or(Err(Refusal::Slow)) {
        Ok(b) => b,
        Err(refusal) => {
            m.webhook_requests.with_label_values(&[refusal.label()]).inc();
            return refusal.response(h.max_body_bytes);
        }
    };
    if !verify_signature(h.app_secret.expose().as_bytes(), &body.bytes, &signature) {
        m.webhook_requests.with_label_values(&["bad_signature"]).inc();
        tracing::warn!(bytes = body.bytes.len(), "webhook rejected: bad signature");
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Missing or invalid X-Hub-Signature-256.");
    }
    let body = body.bytes;
    // Every signed body is kept: one that is not UTF-8 or holds NUL keeps its exact bytes
    // beside a readable copy (U+FFFD), which is processed.
    match h.inbox.store(RawBody::from_bytes(body), h.clock.now()).await {
        Ok(_) => {
            h.stored.notify_one();
            m.webhook_requests.with_label_values(&["stored"]).inc();
            m.webhook_ack_seconds.with_label_values(&["200"]).observe(started.elapsed().as_secs_f64());
            "EVENT_RECEIVED".with_content_type("text/plain").into_response()
        }
        Err(e) => {
            // Not stored: make Meta retry later rather than lose the event.
            m.webhook_requests.with_label_values(&["store_failed"]).inc();
            tracing::error!(error = %e, "webhook not stored; answering 503 so Meta redelivers");
            error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Could not store the event; retry.")
        }
    }
}

/// A body read within its limits, holding its share of the in-flight budget until dropped.
struct LimitedBody {
    bytes: Vec<u8>,
    _budget: Vec<tokio::sync::OwnedSemaphorePermit>,
}

enum Refusal {
    TooLarge,
    Busy,
    Broken,
    Slow,
}

impl Refusal {
    fn label(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Busy => "busy",
            Self::Broken => "broken_body",
            Self::Slow => "slow_body",
        }
    }

    fn response(&self, max: usize) -> Response {
        match self {
            Self::TooLarge => {
                error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &format!("Webhook bodies are limited to {max} bytes."))
            }
            // Meta redelivers: nothing is lost, and strangers cannot hold more than the budget.
            Self::Busy => error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Too many webhook bodies in flight; retry."),
            Self::Broken => error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "The body could not be read."),
            Self::Slow => error(StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", "The body did not arrive in time."),
        }
    }
}

/// Read a body of at most `max` bytes, chunk by chunk, each chunk taken from a process-wide
/// budget (in KiB) of bytes held by requests in flight.
async fn read_limited(req: &Request, body: Body, max: usize, budget: &Arc<Semaphore>) -> Result<LimitedBody, Refusal> {
    use futures_util::StreamExt;
    let declared = req.header("content-length").and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(Refusal::TooLarge);
    }
    let mut out = LimitedBody { bytes: Vec::with_capacity(declared.unwrap_or(0).min(64 * 1024)), _budget: Vec::new() };
    let mut stream = body.into_bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| Refusal::Broken)?;
        if out.bytes.len() + chunk.len() > max {
            return Err(Refusal::TooLarge);
        }
        let kib = u32::try_from(chunk.len().div_ceil(1024)).map_err(|_| Refusal::TooLarge)?;
        if kib > 0 {
            out._budget.push(budget.clone().try_acquire_many_owned(kib).map_err(|_| Refusal::Busy)?);
        }
        out.bytes.extend_from_slice(&chunk);
    }
    Ok(out)
}
