//! Cross-cutting HTTP behaviour: request ids, access logs, HTTP metrics.

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response, http::HeaderValue};
use tracing::Instrument;

use super::error::REQUEST_ID;
use crate::metrics::{Metrics, route_label};

/// The id of this request: the caller's `X-Request-Id` if it is sane, else a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn incoming_id(req: &Request) -> Option<String> {
    let v = req.header("x-request-id")?;
    (v.len() <= 128 && !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))).then(|| v.to_owned())
}

pub async fn request_middleware<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let rid = incoming_id(&req).unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
    req.set_data(RequestId(rid.clone()));
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let metrics = req.data::<Metrics>().cloned();
    let span = tracing::info_span!("http", request_id = %rid, %method, path = %path);
    let result = REQUEST_ID.scope(rid.clone(), next.call(req).instrument(span.clone())).await;
    let mut resp = match result {
        Ok(r) => r.into_response(),
        Err(e) => super::error::catch_all(e).await,
    };
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let status = resp.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    if let Some(metrics) = metrics {
        let route = route_label(&path);
        metrics.http_requests.with_label_values(&[&method, &route, &status.to_string()]).inc();
        metrics.http_duration.with_label_values(&[&method, &route]).observe(secs);
    }
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_ms = secs * 1e3, "request failed");
        } else {
            tracing::info!(status, elapsed_ms = secs * 1e3, "request");
        }
    });
    Ok(resp)
}
