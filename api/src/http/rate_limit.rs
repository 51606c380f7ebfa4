//! Rate limits at the front door, each its own middleware:
//! - per shop, `RATE_LIMIT_PER_MINUTE` (seed 002: 60), shared by every replica through Redis
//!   when `REDIS_URL` is set, else per process;
//! - per instance, `RATE_LIMIT_PER_INSTANCE_PER_MINUTE` (seed 002: 1,000), all shops together;
//! - failed authentications per client address, `AUTH_FAILURES_PER_MINUTE`, per process.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response};

use application::messaging::ports::RateLimiter;

use super::auth::Principal;
use super::error::ApiError;
use crate::metrics::Metrics;

pub struct ApiRateLimits {
    /// Shared (Redis) or local, as configured.
    pub shops: Arc<dyn RateLimiter>,
    pub per_shop_per_minute: u32,
    pub instance: LocalBuckets<()>,
    pub failures: LocalBuckets<IpAddr>,
}

/// Token buckets in this process, bounded in memory.
pub struct LocalBuckets<K> {
    per_minute: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: std::hash::Hash + Eq + Clone> LocalBuckets<K> {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute: f64::from(per_minute), buckets: Mutex::new(HashMap::new()) }
    }

    fn refill(&self, map: &mut HashMap<K, (f64, Instant)>, key: &K, now: Instant) -> f64 {
        let rate = self.per_minute / 60.0;
        let (tokens, last) = map.entry(key.clone()).or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(self.per_minute);
        *last = now;
        *tokens
    }

    /// Seconds until `key` has a token again, if it has none now (nothing is taken).
    pub fn exhausted(&self, key: &K) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if !map.contains_key(key) {
            return None;
        }
        let tokens = self.refill(&mut map, key, now);
        (tokens < 1.0).then(|| ((1.0 - tokens) * 60.0 / self.per_minute).ceil().max(1.0) as u64)
    }

    /// Take a token: `Ok`, or the seconds to wait.
    pub fn take(&self, key: &K) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Strangers cannot grow this without bound: full buckets are forgotten.
            let per_minute = self.per_minute;
            map.retain(|_, (t, last)| *t + now.duration_since(*last).as_secs_f64() * per_minute / 60.0 < per_minute);
        }
        let tokens = self.refill(&mut map, key, now);
        if tokens >= 1.0 {
            map.get_mut(key).expect("refilled").0 -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - tokens) * 60.0 / self.per_minute).ceil().max(1.0) as u64)
        }
    }
}

/// The per-shop and per-instance limits, for requests the authentication middleware let in.
pub async fn limit<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let limits = req.data::<Arc<ApiRateLimits>>().cloned();
    let principal = req.data::<Principal>().copied();
    if let (Some(limits), Some(Principal::Shop { shop_id, .. })) = (limits, principal) {
        let metrics = req.data::<Metrics>().cloned();
        let refuse = |scope: &str, wait: u64| {
            if let Some(m) = &metrics {
                m.rate_limited.with_label_values(&[scope]).inc();
            }
            ApiError::rate_limited(wait).into_response()
        };
        if let Err(wait) = limits.instance.take(&()) {
            return Ok(refuse("instance", wait));
        }
        let per_minute = f64::from(limits.per_shop_per_minute);
        match limits.shops.take(&format!("api:shop:{shop_id}"), per_minute / 60.0, per_minute, 1).await {
            Ok((1, _)) => {}
            Ok((_, wait)) => return Ok(refuse("shop", wait.as_secs_f64().ceil().max(1.0) as u64)),
            // The shared store is down: this process's own view is better than refusing all.
            Err(e) => tracing::warn!(error = %e, "shared rate limit unavailable; request let through"),
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_exhausted_does_not_take() {
        let b = LocalBuckets::<u8>::new(3);
        assert_eq!(b.exhausted(&1), None, "unknown keys are not exhausted");
        assert!(b.take(&1).is_ok() && b.take(&1).is_ok() && b.take(&1).is_ok());
        let wait = b.take(&1).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(b.exhausted(&1).is_some());
        assert!(b.take(&2).is_ok(), "keys are independent");
        assert_eq!(b.exhausted(&2), None);
    }
}
