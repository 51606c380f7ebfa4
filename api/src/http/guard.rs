//! The front door of `/api/v1`, before any route reads a byte of the body:
//! 1. NUL, which Postgres cannot store, becomes U+FFFD in the query (`%00`) and in JSON bodies
//!    (`\u0000`), the same on both databases, as in webhooks; in a path it is refused (422).
//! 2. The bearer key is resolved once; the route's role check reuses it. Unknown keys count
//!    against the caller's address (the connection's, or `X-Forwarded-For` from a trusted
//!    proxy); once an address is over `AUTH_FAILURES_PER_MINUTE`, its unknown keys get 429
//!    instead of 401, while a key that resolves always passes. Viewer keys cannot change
//!    anything, so their writes are refused here (403).
//! 3. (`rate_limit::limit`, its own middleware, comes next.)
//! 4. The body is read at most `API_MAX_BODY_BYTES` (413) within `HTTP_BODY_TIMEOUT_MS` (408).

use std::sync::Arc;
use std::time::Duration;

use poem::http::{Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use domain::tenancy::Role;

use super::auth::{AUTHENTICATED, Authenticator, Principal};
use super::body::{BodyRefusal, read_capped};
use super::error::{ApiError, plain};
use super::media::MediaHttp;
use super::rate_limit::ApiRateLimits;
use crate::metrics::Metrics;

pub struct BodyLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

/// Routes that read their own body as a stream, with their own cap (a CSV import, a file).
pub const STREAMED_BODY_PATHS: [&str; 2] = ["/api/v1/customers/import", MEDIA_UPLOAD_PATH];

pub const MEDIA_UPLOAD_PATH: &str = "/api/v1/media";
/// The largest upload body: Meta's largest file (a 100 MB document) and the form around it.
pub const MEDIA_UPLOAD_MAX_BYTES: usize = domain::media::rules::LARGEST as usize + 64 * 1024;

/// An upload's body, cut off past `max` bytes (the multipart parser then fails on it), so a
/// body without `Content-Length` cannot fill the disk the parser spools to.
fn capped(body: Body, max: usize) -> Body {
    use futures_util::StreamExt;
    let mut seen = 0usize;
    Body::from_bytes_stream(body.into_bytes_stream().map(move |chunk| {
        let chunk = chunk?;
        seen += chunk.len();
        if seen > max { Err(std::io::Error::other(format!("the body is larger than {max} bytes"))) } else { Ok(chunk) }
    }))
}

/// `%00` in a percent-encoded path or query.
fn has_encoded_nul(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// Every `\u0000` escape (not itself escaped) in JSON text becomes `\ufffd`, in place (both
/// are six bytes). Returns whether one did.
pub fn replace_json_nul(bytes: &mut [u8]) -> bool {
    let mut changed = false;
    let mut i = 0;
    while let Some(pos) = bytes[i..].windows(6).position(|w| w[0] == b'\\' && w[1] == b'u' && &w[2..] == b"0000") {
        let at = i + pos;
        let backslashes = bytes[..at].iter().rev().take_while(|b| **b == b'\\').count();
        if backslashes % 2 == 0 {
            bytes[at + 2..at + 6].copy_from_slice(b"fffd");
            changed = true;
        }
        i = at + 1;
    }
    changed
}

/// `%00` in a query becomes `%EF%BF%BD` (U+FFFD).
fn replace_query_nul(query: &str) -> String {
    query.replace("%00", "%EF%BF%BD")
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
    let mut req = req;
    if let Some(q) = req.uri().query().filter(|q| has_encoded_nul(q)) {
        let path_and_query = format!("{}?{}", req.uri().path(), replace_query_nul(q));
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = path_and_query.parse().ok();
        if let Ok(uri) = poem::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
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
    let ip = req.remote_addr().as_socket_addr().map(std::net::SocketAddr::ip).map(|peer| {
        let forwarded: Vec<&str> = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        limits.as_ref().map_or(peer, |l| super::rate_limit::client_ip(peer, &forwarded, &l.trusted_proxies))
    });
    // A key that resolves is never throttled: failures from an address (behind a NAT or an
    // ingress, many shops share one) must not lock good keys out. Only an unknown key is
    // answered 429 once its address has used up its failures.
    let principal = match auth.resolve(&token).await {
        Ok(p) => p,
        Err(e) => {
            if let (ApiError::Unauthorized(_), Some(limits), Some(ip)) = (&e, &limits, ip) {
                if let Some(wait) = limits.failures_exhausted(&ip).await {
                    count("throttled");
                    let mut r = plain(
                        StatusCode::TOO_MANY_REQUESTS,
                        "RATE_LIMIT_EXCEEDED",
                        "Too many failed authentications from this address; wait.",
                    );
                    r.headers_mut().insert("retry-after", wait.into());
                    return Ok(r);
                }
                limits.count_failure(&ip).await;
            }
            if let ApiError::Unauthorized(_) = e {
                count("failed");
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
    req.set_data(principal);
    AUTHENTICATED.scope(principal, next.call(req)).await.map(IntoResponse::into_response)
}

pub async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let Some(limits) = req.data::<Arc<BodyLimits>>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    if *req.method() == Method::POST && req.uri().path() == MEDIA_UPLOAD_PATH {
        let declared = req.header("content-length").and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MEDIA_UPLOAD_MAX_BYTES) {
            return Ok(ApiError::too_large(MEDIA_UPLOAD_MAX_BYTES).into_response());
        }
        // Admitted before a byte is read: room in the file memory for the declared length, and a
        // place among the shop's uploads in flight. (An unauthenticated request is answered 401
        // by the route.)
        if let (Some(Principal::Shop { shop_id, .. }), Some(media)) = (req.data::<Principal>().copied(), req.data::<Arc<MediaHttp>>()) {
            let Some(declared) = declared else {
                return Ok(plain(StatusCode::LENGTH_REQUIRED, "VALIDATION_FAILED", "An upload needs its Content-Length."));
            };
            match media.gate.admit(shop_id, declared as u64) {
                Ok(pass) => req.set_data(Arc::new(pass)),
                Err(refused) => return Ok(refused.into_response()),
            }
        }
        let body = req.take_body();
        req.set_body(capped(body, MEDIA_UPLOAD_MAX_BYTES));
        return next.call(req).await.map(IntoResponse::into_response);
    }
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || STREAMED_BODY_PATHS.contains(&req.uri().path()) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let body = req.take_body();
    let mut bytes = match read_capped(&req, body, limits.max_bytes, limits.timeout, |_| Ok(())).await {
        Ok(b) => b,
        Err(BodyRefusal::TooLarge | BodyRefusal::Busy) => return Ok(ApiError::too_large(limits.max_bytes).into_response()),
        Err(BodyRefusal::Broken) => return Ok(plain(StatusCode::BAD_REQUEST, "VALIDATION_FAILED", "The body could not be read.")),
        Err(BodyRefusal::Slow) => return Ok(plain(StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", "The body did not arrive in time.")),
    };
    replace_json_nul(&mut bytes);
    req.set_body(Body::from_vec(bytes));
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_become_the_replacement_character() {
        let fix = |s: &[u8]| {
            let mut v = s.to_vec();
            let changed = replace_json_nul(&mut v);
            (String::from_utf8(v).unwrap(), changed)
        };
        assert_eq!(fix(br#"{"a":"x\u0000"}"#), (r#"{"a":"x\ufffd"}"#.to_owned(), true));
        assert_eq!(fix(br#"{"a":"x\\\u0000"}"#), (r#"{"a":"x\\\ufffd"}"#.to_owned(), true), "an escaped backslash, then the escape");
        assert_eq!(fix(br#"{"a":"x\\u0000"}"#), (r#"{"a":"x\\u0000"}"#.to_owned(), false), "the text \\u0000, not a NUL");
        assert!(has_encoded_nul("/api/v1/messages?waId=1%00"));
        assert!(!has_encoded_nul("/api/v1/messages?waId=100"));
        assert_eq!(replace_query_nul("userId=a%00b"), "userId=a%EF%BF%BDb");
    }
}
