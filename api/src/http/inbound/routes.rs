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
use poem::{IntoResponse, Request, Response, handler};

use application::inbound::raw_body::RawBody;
use infrastructure::crypto::verify_webhook_signature;

use super::WebhooksHttp;
use crate::http::auth::constant_time_eq;
use crate::http::error::plain as error;

#[handler]
pub async fn verify(Query(q): Query<HashMap<String, String>>, h: Data<&Arc<WebhooksHttp>>) -> Response {
    let mode = q.get("hub.mode").map(String::as_str);
    let token = q.get("hub.verify_token").map(String::as_str).unwrap_or("");
    match (mode, q.get("hub.challenge")) {
        (Some("subscribe"), Some(challenge)) if constant_time_eq(token, h.verify_token.expose()) => {
            challenge.clone().with_content_type("text/plain").into_response()
        }
        _ => error(StatusCode::FORBIDDEN, "FORBIDDEN", "Webhook verification failed: wrong mode or verify token."),
    }
}

#[handler]
pub async fn receive(req: &Request, body: Vec<u8>, h: Data<&Arc<WebhooksHttp>>) -> Response {
    let started = Instant::now();
    let m = &h.metrics;
    let signature = req.header("x-hub-signature-256");
    if !verify_webhook_signature(h.app_secret.expose().as_bytes(), &body, signature) {
        m.webhook_requests.with_label_values(&["bad_signature"]).inc();
        tracing::warn!(present = signature.is_some(), bytes = body.len(), "webhook rejected: bad signature");
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
            tracing::error!(error = %e, "webhook not stored; answering 503 so Meta redelivers");
            error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Could not store the event; retry.")
        }
    }
}
