//! The front door of `/api/v1`, before any route reads a byte of the body:
//! 1. NUL (`%00`) in the path or query is refused (422): Postgres cannot store it, and the
//!    answer must be the same on both databases.
//! 2. The bearer key is resolved once; the route's role check reuses it. Unknown keys count
//!    against the caller's address; an address over `AUTH_FAILURES_PER_MINUTE` gets 429 without
//!    a lookup. Viewer keys cannot change anything, so their writes are refused here (403).
//! 3. (`rate_limit::limit`, its own middleware, comes next.)
//! 4. The body is read at most `API_MAX_BODY_BYTES` (413) within `HTTP_BODY_TIMEOUT_MS` (408),
//!    and a JSON body that holds U+0000 is refused (422).

use std::sync::Arc;
use std::time::Duration;

use poem::http::{Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use domain::tenancy::Role;

use super::auth::{Authenticator, Principal};
use super::error::{ApiError, plain};
use super::rate_limit::ApiRateLimits;
use crate::metrics::Metrics;

tokio::task_local! {
    /// The principal the front door resolved for this request.
    pub static AUTHENTICATED: Principal;
}

pub struct BodyLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

/// `%00` in a percent-encoded path or query.
fn has_encoded_nul(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// A raw NUL byte, or a `\u0000` escape (not itself escaped) in JSON text.
pub fn json_has_nul(bytes: &[u8]) -> bool {
    if bytes.contains(&0) {
        return true;
    }
    let mut i = 0;
    while let Some(pos) = bytes[i..].windows(6).position(|w| w[0] == b'\\' && (w[1] == b'u' || w[1] == b'U') && &w[2..] == b"0000") {
        let at = i + pos;
        let backslashes = bytes[..at].iter().rev().take_while(|b| **b == b'\\').count();
        if backslashes % 2 == 0 {
            return true;
        }
        i = at + 1;
    }
    false
}

fn bearer(req: &Request) -> Option<String> {
    let h = req.header("authorization")?;
    let (scheme, token) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

pub async fn authenticate<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if has_encoded_nul(req.uri().path()) {
        return Ok(ApiError::validation("path", "must not contain NUL (%00)").into_response());
    }
    if req.uri().query().is_some_and(has_encoded_nul) {
        return Ok(ApiError::validation("query", "must not contain NUL (%00)").into_response());
    }
    let (Some(auth), Some(token)) = (req.data::<Arc<Authenticator>>().cloned(), bearer(&req)) else {
        // No key: the route answers 401 itself (its security scheme).
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let limits = req.data::<Arc<ApiRateLimits>>().cloned();
    let metrics = req.data::<Metrics>().cloned();
    let count = |result: &str| {
        if let Some(m) = &metrics {
            m.auth_attempts.with_label_values(&[result]).inc();
        }
    };
    let ip = req.remote_addr().as_socket_addr().map(std::net::SocketAddr::ip);
    if let (Some(limits), Some(ip)) = (&limits, ip)
        && let Some(wait) = limits.failures.exhausted(&ip)
    {
        count("throttled");
        let mut r = plain(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT_EXCEEDED", "Too many failed authentications from this address; wait.");
        r.headers_mut().insert("retry-after", wait.into());
        return Ok(r);
    }
    let principal = match auth.resolve(&token).await {
        Ok(p) => p,
        Err(e) => {
            if let ApiError::Unauthorized(_) = e {
                count("failed");
                if let (Some(limits), Some(ip)) = (&limits, ip) {
                    let _ = limits.failures.take(&ip);
                }
            }
            return Ok(e.into_response());
        }
    };
    count("ok");
    if let Principal::Shop { role: Role::Viewer, .. } = principal
        && !matches!(*req.method(), Method::GET | Method::HEAD)
    {
        return Ok(ApiError::forbidden("A viewer key can only read.").into_response());
    }
    let mut req = req;
    req.set_data(principal);
    AUTHENTICATED.scope(principal, next.call(req)).await.map(IntoResponse::into_response)
}

pub async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let Some(limits) = req.data::<Arc<BodyLimits>>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let too_large = || ApiError::too_large(limits.max_bytes).into_response();
    if req.header("content-length").and_then(|v| v.parse::<usize>().ok()).is_some_and(|n| n > limits.max_bytes) {
        return Ok(too_large());
    }
    let body = req.take_body();
    let read = async {
        use futures_util::StreamExt;
        let mut out = Vec::new();
        let mut stream = body.into_bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| false)?;
            if out.len() + chunk.len() > limits.max_bytes {
                return Err(true);
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    };
    let bytes = match tokio::time::timeout(limits.timeout, read).await {
        Ok(Ok(b)) => b,
        Ok(Err(true)) => return Ok(too_large()),
        Ok(Err(false)) => return Ok(plain(StatusCode::BAD_REQUEST, "VALIDATION_FAILED", "The body could not be read.")),
        Err(_) => return Ok(plain(StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", "The body did not arrive in time.")),
    };
    if json_has_nul(&bytes) {
        return Ok(ApiError::validation("body", "text must not contain U+0000 (NUL)").into_response());
    }
    req.set_body(Body::from_vec(bytes));
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_as_a_byte_or_an_unescaped_escape() {
        assert!(json_has_nul(b"{\"a\":\"x\\u0000\"}"));
        assert!(json_has_nul(b"{\"a\":\"x\\\\\\u0000\"}"), "an escaped backslash, then the escape");
        assert!(!json_has_nul(b"{\"a\":\"x\\\\u0000\"}"), "the text \\u0000, not a NUL");
        assert!(json_has_nul(b"{\"a\":\"x\x00\"}"));
        assert!(has_encoded_nul("/api/v1/messages?waId=1%00"));
        assert!(!has_encoded_nul("/api/v1/messages?waId=100"));
    }
}
