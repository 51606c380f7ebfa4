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

use application::inbound::raw_body::RawBody;
use infrastructure::crypto::{parse_signature_header, verify_signature};

use super::WebhooksHttp;
use crate::http::auth::constant_time_eq;
use crate::http::body::{BodyRefusal, read_capped};
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
    // Every chunk is charged (in KiB) to the budget of bytes that requests in flight may hold;
    // the permits are returned when this request ends.
    let mut held: Vec<tokio::sync::OwnedSemaphorePermit> = Vec::new();
    let charge = |len: usize| {
        let kib = u32::try_from(len.div_ceil(1024)).map_err(|_| BodyRefusal::TooLarge)?;
        if kib > 0 {
            held.push(h.body_budget.clone().try_acquire_many_owned(kib).map_err(|_| BodyRefusal::Busy)?);
        }
        Ok(())
    };
    let body = match read_capped(req, body, h.max_body_bytes, h.body_timeout, charge).await {
        Ok(b) => b,
        Err(refusal) => {
            m.webhook_requests.with_label_values(&[refusal_label(refusal)]).inc();
            return refusal_response(refusal, h.max_body_bytes);
        }
    };
    if !verify_signature(h.app_secret.expose().as_bytes(), &body, &signature) {
        m.webhook_requests.with_label_values(&["bad_signature"]).inc();
        tracing::warn!(bytes = body.len(), "webhook rejected: bad signature");
        return error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Missing or invalid X-Hub-Signature-256.");
    }
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
            tracing::error!(error = %application::Chain(&e), "webhook not stored; answering 503 so Meta redelivers");
            error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Could not store the event; retry.")
        }
    }
}

fn refusal_label(r: BodyRefusal) -> &'static str {
    match r {
        BodyRefusal::TooLarge => "too_large",
        BodyRefusal::Busy => "busy",
        BodyRefusal::Broken => "broken_body",
        BodyRefusal::Slow => "slow_body",
    }
}

fn refusal_response(r: BodyRefusal, max: usize) -> Response {
    match r {
        BodyRefusal::TooLarge => {
            error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &format!("Webhook bodies are limited to {max} bytes."))
        }
        // Meta redelivers: nothing is lost, and strangers cannot hold more than the budget.
        BodyRefusal::Busy => error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Too many webhook bodies in flight; retry."),
        BodyRefusal::Broken => error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "The body could not be read."),
        BodyRefusal::Slow => error(StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", "The body did not arrive in time."),
    }
}
