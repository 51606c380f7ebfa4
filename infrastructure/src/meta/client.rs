//! The Cloud API client itself: one HTTP client, the retry and circuit-breaker policy, the
//! Graph call helpers and Meta's error answer, shared by every resource's file.
//!
//! Resilience (seed 002): 10 s timeout per request; up to 3 retries with exponential backoff
//! (500 ms, 1.5 s, 4.5 s) for retryable Meta errors only; a circuit breaker per number (50 %
//! transient failures over 30 s, at least 10 calls, opens it for 30 s). A request whose outcome
//! is unknown (timeout, connection dropped after sending) is never retried: Meta has no
//! idempotency key, so a blind retry could deliver the message twice (docs/adr/0004).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use application::shared::meta::{CloudApiError, CloudApiErrorKind, SenderCredentials};
use application::shared::ports::Secret;

/// Meta error codes worth retrying: throttling, temporary and server-side failures.
pub fn is_retryable(code: i64) -> bool {
    matches!(code, 1 | 2 | 4 | 17 | 341 | 80007 | 130429 | 131000 | 131016 | 131056 | 133004 | 133005)
}

#[derive(Debug, Clone)]
pub struct BreakerConfig {
    pub window: Duration,
    pub failure_ratio: f64,
    pub min_calls: usize,
    pub open_for: Duration,
}

/// How long a number's circuit stays open before one call may try again.
pub const CIRCUIT_OPEN_FOR: Duration = Duration::from_secs(30);

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { window: Duration::from_secs(30), failure_ratio: 0.5, min_calls: 10, open_for: CIRCUIT_OPEN_FOR }
    }
}

/// A sliding-window circuit breaker. Pure: time is passed in.
#[derive(Debug, Default)]
pub struct Breaker {
    calls: Vec<(Instant, bool)>,
    open_until: Option<Instant>,
    half_open_trial: bool,
}

impl Breaker {
    /// May a call go out now?
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.open_until {
            Some(until) if now < until => false,
            Some(_) => {
                // Half-open: one trial call decides.
                if self.half_open_trial {
                    false
                } else {
                    self.half_open_trial = true;
                    true
                }
            }
            None => true,
        }
    }

    pub fn record(&mut self, cfg: &BreakerConfig, now: Instant, success: bool) {
        if self.open_until.is_some() && self.half_open_trial {
            self.half_open_trial = false;
            if success {
                self.open_until = None;
                self.calls.clear();
            } else {
                self.open_until = Some(now + cfg.open_for);
            }
            return;
        }
        self.calls.retain(|(t, _)| now.duration_since(*t) < cfg.window);
        self.calls.push((now, success));
        let failures = self.calls.iter().filter(|(_, ok)| !ok).count();
        if self.calls.len() >= cfg.min_calls && failures as f64 / self.calls.len() as f64 >= cfg.failure_ratio {
            self.open_until = Some(now + cfg.open_for);
            self.calls.clear();
        }
    }

    pub fn is_open(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|u| now < u)
    }
}

/// A file's whole transfer (a download of up to 100 MB, or an upload): longer than a call's
/// timeout, and shorter than a fetch's claim (5 minutes), so that a slow transfer fails before
/// another replica may take the same file.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(240);

pub struct CloudApiClient {
    pub(super) http: reqwest::Client,
    /// A call's timeout; during a transfer, the longest wait for the answer or the next chunk.
    pub(super) stall: Duration,
    pub(super) base_url: String,
    pub(super) version: String,
    pub(super) retry_delays: Vec<Duration>,
    pub(super) breaker_cfg: BreakerConfig,
    pub(super) breakers: Mutex<HashMap<String, Breaker>>,
}

impl CloudApiClient {
    pub fn new(base_url: &str, version: &str, timeout: Duration, retry_base: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .user_agent(concat!("whatsapp-service/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("HTTP client builds");
        Self {
            http,
            stall: timeout,
            base_url: base_url.trim_end_matches('/').to_owned(),
            version: version.to_owned(),
            retry_delays: vec![retry_base, retry_base * 3, retry_base * 9],
            breaker_cfg: BreakerConfig::default(),
            breakers: Mutex::new(HashMap::new()),
        }
    }

    /// No in-request retries: the delivery engine owns retry policy for queued sends.
    pub fn without_retries(mut self) -> Self {
        self.retry_delays.clear();
        self
    }

    pub fn with_breaker(mut self, cfg: BreakerConfig) -> Self {
        self.breaker_cfg = cfg;
        self
    }

    pub(super) fn url(&self, phone_number_id: &str) -> String {
        format!("{}/{}/{}/messages", self.base_url, self.version, phone_number_id)
    }

    fn breaker_allows(&self, key: &str) -> bool {
        let mut map = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned()).or_default().allow(Instant::now())
    }

    fn breaker_record(&self, key: &str, success: bool) {
        let mut map = self.breakers.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned()).or_default().record(&self.breaker_cfg, Instant::now(), success);
    }

    /// POST with retries. Returns the JSON body of a 2xx answer.
    pub(super) async fn post(&self, creds: &SenderCredentials, body: &Value) -> Result<Value, CloudApiError> {
        let key = creds.phone_number_id.as_str();
        let url = self.url(key);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if !self.breaker_allows(key) {
                return Err(CloudApiError::circuit_open(attempt - 1));
            }
            let result = self.http.post(&url).bearer_auth(creds.access_token.expose()).json(body).send().await;
            let err = match result {
                Ok(resp) if resp.status().is_success() => {
                    self.breaker_record(key, true);
                    return resp.json::<Value>().await.map_err(|e| {
                        CloudApiError::outcome_unknown(format!("unreadable success response: {e}"), None).with_attempts(attempt)
                    });
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body: Value = resp.json().await.unwrap_or(Value::Null);
                    meta_error(status, &body, attempt)
                }
                Err(e) if e.is_connect() => {
                    CloudApiError::unreachable("could not connect to the Cloud API", e.to_string()).with_attempts(attempt)
                }
                Err(e) => {
                    let title =
                        if e.is_timeout() { "the Cloud API did not answer in time" } else { "the connection to the Cloud API failed" };
                    CloudApiError::outcome_unknown(title, Some(e.to_string())).with_attempts(attempt)
                }
            };
            let transient = match err.kind {
                CloudApiErrorKind::Meta => err.code.is_some_and(is_retryable) || err.http_status.is_some_and(|s| s >= 500),
                CloudApiErrorKind::Unreachable | CloudApiErrorKind::OutcomeUnknown => true,
                CloudApiErrorKind::CircuitOpen => false,
            };
            self.breaker_record(key, !transient);
            let retry = match err.kind {
                CloudApiErrorKind::Meta => transient,
                CloudApiErrorKind::Unreachable => true,
                _ => false,
            };
            match self.retry_delays.get(attempt as usize - 1) {
                Some(delay) if retry => {
                    tracing::warn!(code = ?err.code, attempt, delay_ms = delay.as_millis() as u64, "Cloud API call failed; retrying");
                    tokio::time::sleep(*delay).await;
                }
                _ => return Err(err),
            }
        }
    }
}

pub(super) fn meta_error(http_status: u16, body: &Value, attempts: u32) -> CloudApiError {
    let e = body.get("error").unwrap_or(&Value::Null);
    let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
    let title = s("message").or_else(|| s("error_user_title")).unwrap_or_else(|| format!("HTTP {http_status} from the Cloud API"));
    CloudApiError::meta(http_status, e.get("code").and_then(Value::as_i64), title)
        .with_subcode(e.get("error_subcode").and_then(Value::as_i64))
        .with_details(e.pointer("/error_data/details").and_then(Value::as_str).map(str::to_owned))
        .with_trace(s("fbtrace_id"))
        .with_attempts(attempts)
}

/// Meta's template endpoints: one attempt each (a person is waiting, and a retried submission
/// could create the template twice); errors keep Meta's code for the caller's policy.
impl CloudApiClient {
    pub(super) async fn graph(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &Secret,
        body: Option<&Value>,
    ) -> Result<Value, CloudApiError> {
        let url = format!("{}/{}/{}", self.base_url, self.version, path);
        let mut req = self.http.request(method, &url).bearer_auth(token.expose());
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| transport_error(&e, "the Cloud API could not be reached"))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if (200..300).contains(&status) { Ok(body) } else { Err(meta_error(status, &body, 1)) }
    }
}

/// A transfer waited longer than `stall` for `what`.
pub(super) fn stall_error(stall: Duration, what: &str) -> CloudApiError {
    CloudApiError::outcome_unknown("the media could not be downloaded", Some(format!("no {what} within {} ms", stall.as_millis())))
}

/// A request that failed below HTTP: Meta never saw it (could not connect), or its outcome is
/// unknown (it broke or timed out after it was sent).
pub(super) fn transport_error(e: &reqwest::Error, title: &str) -> CloudApiError {
    if e.is_connect() {
        CloudApiError::unreachable(title, e.to_string())
    } else {
        CloudApiError::outcome_unknown(title, Some(e.to_string()))
    }
}

/// A query-string value, percent-encoded (RFC 3986 unreserved characters kept).
pub(super) fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_at_half_failures_and_half_opens_after_the_break() {
        let cfg = BreakerConfig { window: Duration::from_secs(30), failure_ratio: 0.5, min_calls: 4, open_for: Duration::from_secs(30) };
        let mut b = Breaker::default();
        let t0 = Instant::now();
        b.record(&cfg, t0, true);
        b.record(&cfg, t0, true);
        b.record(&cfg, t0, false);
        assert!(b.allow(t0));
        b.record(&cfg, t0, false);
        assert!(b.is_open(t0), "2 of 4 failed");
        assert!(!b.allow(t0 + Duration::from_secs(29)));
        let later = t0 + Duration::from_secs(30);
        assert!(b.allow(later), "one trial call");
        assert!(!b.allow(later), "only one");
        b.record(&cfg, later, true);
        assert!(b.allow(later));
    }

    #[test]
    fn old_failures_leave_the_window() {
        let cfg = BreakerConfig { window: Duration::from_secs(30), failure_ratio: 0.5, min_calls: 4, open_for: Duration::from_secs(30) };
        let mut b = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            b.record(&cfg, t0, false);
        }
        let t1 = t0 + Duration::from_secs(31);
        for _ in 0..3 {
            b.record(&cfg, t1, true);
        }
        b.record(&cfg, t1, false);
        assert!(!b.is_open(t1), "1 of 4 in the window");
    }

    #[test]
    fn retryable_codes() {
        for c in [130429, 131000, 1, 2, 4, 80007, 131056] {
            assert!(is_retryable(c), "{c}");
        }
        for c in [131047, 131026, 131050, 190, 132000, 132001, 100] {
            assert!(!is_retryable(c), "{c}");
        }
    }
}
