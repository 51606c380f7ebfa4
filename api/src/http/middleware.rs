//! Cross-cutting HTTP behaviour: request ids, access logs, HTTP metrics.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures_util::FutureExt;

use poem::{Endpoint, IntoResponse, Request, Response, http::HeaderValue};
use tracing::Instrument;

use super::error::REQUEST_ID;
use poem_openapi::OperationId;

use crate::metrics::{Metrics, method_label, route_label};

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
    let method = method_label(req.method());
    let path = req.uri().path().to_owned();
    let metrics = req.data::<Metrics>().cloned();
    let span = tracing::info_span!("http", request_id = %rid, method = %req.method(), path = %path);
    // A panic below answers 500 with the contract body and the request id, never a dropped
    // connection.
    let call = AssertUnwindSafe(next.call(req)).catch_unwind().instrument(span.clone());
    let result = REQUEST_ID.scope(rid.clone(), call).await;
    let mut resp = match result {
        Ok(Ok(r)) => r.into_response(),
        Ok(Err(e)) => {
            let op = e.data::<OperationId>().copied();
            let mut r = REQUEST_ID.scope(rid.clone(), super::error::catch_all(e)).await;
            if let Some(op) = op {
                r.set_data(op);
            }
            r
        }
        Err(panic) => {
            let what = panic.downcast_ref::<&str>().map(|s| (*s).to_owned()).or_else(|| panic.downcast_ref::<String>().cloned());
            span.in_scope(|| tracing::error!(panic = what.as_deref().unwrap_or("?"), "handler panicked"));
            super::error::ApiError::internal(&rid).into_response()
        }
    };
    if let Ok(v) = HeaderValue::from_str(&rid) {
        resp.headers_mut().insert("x-request-id", v);
    }
    if resp.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = super::allowed_methods(&path).and_then(|a| HeaderValue::from_str(&a).ok())
    {
        resp.headers_mut().insert("allow", allow);
    }
    let status = resp.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    if let Some(metrics) = metrics {
        // Labels from closed sets only: strangers cannot mint series.
        let route = resp.data::<OperationId>().map(|o| o.0).unwrap_or_else(|| route_label(&path));
        metrics.http_requests.with_label_values(&[method, route, &status.to_string()]).inc();
        metrics.http_duration.with_label_values(&[method, route]).observe(secs);
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

#[cfg(test)]
mod tests {
    use poem::{Endpoint, EndpointExt, Request, Route, get, handler, http::Uri};

    #[handler]
    fn boom() -> &'static str {
        panic!("a bug")
    }

    #[tokio::test]
    async fn a_panic_is_a_500_with_the_contract_body_and_the_request_id() {
        let ep = Route::new().at("/boom", get(boom)).around(super::request_middleware);
        let req = Request::builder().uri(Uri::from_static("/boom")).header("x-request-id", "rid-1").finish();
        let resp = ep.call(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 500);
        assert_eq!(resp.headers().get("x-request-id").unwrap(), "rid-1");
        let body: serde_json::Value = serde_json::from_slice(&resp.into_body().into_vec().await.unwrap()).unwrap();
        assert_eq!(body["error"]["code"], "INTERNAL_ERROR");
        assert_eq!(body["error"]["details"]["requestId"], "rid-1");
    }
}
