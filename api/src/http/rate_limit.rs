//! Rate limits at the front door, each its own middleware:
//! - per key, `RATE_LIMIT_PER_KEY_PER_MINUTE` (seed 002: 60), so one teammate or dashboard
//!   cannot use up the others' share, under
//! - per shop, `RATE_LIMIT_PER_MINUTE` (600), all its keys together; both shared by every
//!   replica through Redis when `REDIS_URL` is set, else per process;
//! - per instance, `RATE_LIMIT_PER_INSTANCE_PER_MINUTE` (seed 002: 1,000), all shops together;
//! - failed authentications per client address, `AUTH_FAILURES_PER_MINUTE`, per process.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::{Endpoint, IntoResponse, Request, Response};

use application::shared::ports::RateLimiter;

use super::auth::Principal;
use super::error::ApiError;
use crate::metrics::Metrics;

pub struct ApiRateLimits {
    /// Shared (Redis) or local, as configured.
    pub shops: Arc<dyn RateLimiter>,
    pub per_shop_per_minute: u32,
    /// Each key's own bucket, under the shop's (shared the same way).
    pub per_key_per_minute: u32,
    /// This process's own buckets (the instance's, and failed authentications per address).
    pub local: Arc<dyn RateLimiter>,
    pub per_instance_per_minute: u32,
    pub auth_failures_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// The client's address: the connection's, unless it comes from a trusted proxy; then the
/// nearest address in `X-Forwarded-For` (read from the right) that is not a trusted proxy
/// itself. A header from anyone else is ignored, so a caller cannot pick an address to hide
/// behind or to lock out.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded_for.iter().flat_map(|h| h.split(',')).filter_map(|a| a.trim().parse::<IpAddr>().ok()).collect();
    hops.iter().rev().find(|ip| !is_trusted(ip)).or(hops.first()).copied().unwrap_or(peer)
}

/// A limit of `per_minute` with a burst of as many: GCRA's rate and burst.
fn per_minute(n: u32) -> (f64, f64) {
    (f64::from(n) / 60.0, f64::from(n))
}

fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

impl ApiRateLimits {
    /// Seconds until this address may fail again, if it has used up its failures.
    pub async fn failures_exhausted(&self, ip: &IpAddr) -> Option<u64> {
        let (rate, burst) = per_minute(self.auth_failures_per_minute);
        self.local.peek(&format!("auth-failures:{ip}"), rate, burst).await.ok().flatten().map(whole_seconds)
    }

    /// Count one failed authentication from this address.
    pub async fn count_failure(&self, ip: &IpAddr) {
        let (rate, burst) = per_minute(self.auth_failures_per_minute);
        let _ = self.local.take(&format!("auth-failures:{ip}"), rate, burst, 1).await;
    }

    /// A token of this instance's budget, or the seconds to wait.
    async fn take_instance(&self) -> Result<(), u64> {
        let (rate, burst) = per_minute(self.per_instance_per_minute);
        match self.local.take("instance", rate, burst, 1).await {
            Ok((1, _)) => Ok(()),
            Ok((_, wait)) => Err(whole_seconds(wait)),
            Err(_) => Ok(()),
        }
    }
}

/// The per-shop and per-instance limits, for requests the authentication middleware let in.
pub async fn limit<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let limits = req.data::<Arc<ApiRateLimits>>().cloned();
    let principal = req.data::<Principal>().copied();
    if let (Some(limits), Some(Principal::Shop { shop_id, key_id, .. })) = (limits, principal) {
        let metrics = req.data::<Metrics>().cloned();
        let refuse = |scope: &str, wait: u64| {
            if let Some(m) = &metrics {
                m.rate_limited.with_label_values(&[scope]).inc();
            }
            ApiError::rate_limited(wait).into_response()
        };
        if let Err(wait) = limits.take_instance().await {
            return Ok(refuse("instance", wait));
        }
        // The key's own bucket first, so a key over its share does not spend the shop's.
        let buckets = [
            ("key", format!("api:key:{key_id}"), limits.per_key_per_minute),
            ("shop", format!("api:shop:{shop_id}"), limits.per_shop_per_minute),
        ];
        for (scope, bucket, n) in buckets {
            let (rate, burst) = per_minute(n);
            match limits.shops.take(&bucket, rate, burst, 1).await {
                Ok((1, _)) => {}
                Ok((_, wait)) => return Ok(refuse(scope, whole_seconds(wait))),
                // The shared store is down: this process's own view is better than refusing all.
                Err(e) => tracing::warn!(error = %e, "shared rate limit unavailable; request let through"),
            }
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use std::net::IpAddr;

    #[test]
    fn the_forwarded_address_counts_only_from_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // (peer, X-Forwarded-For headers, trusted proxies) → the client.
        let cases: Vec<(&str, Vec<&str>, &[ipnet::IpNet], &str)> = vec![
            ("203.0.113.9", vec!["1.2.3.4"], &[], "203.0.113.9"),
            ("203.0.113.9", vec!["1.2.3.4"], &trusted, "203.0.113.9"),
            ("10.0.0.2", vec!["1.2.3.4"], &trusted, "1.2.3.4"),
            ("10.0.0.2", vec!["6.6.6.6, 1.2.3.4, 10.0.0.7"], &trusted, "1.2.3.4"),
            ("10.0.0.2", vec!["6.6.6.6", "1.2.3.4"], &trusted, "1.2.3.4"),
            ("10.0.0.2", vec!["10.1.1.1"], &trusted, "10.1.1.1"),
            ("10.0.0.2", vec!["junk"], &trusted, "10.0.0.2"),
            ("10.0.0.2", vec![], &trusted, "10.0.0.2"),
        ];
        for (peer, xff, trusted, want) in cases {
            assert_eq!(client_ip(ip(peer), &xff, trusted), ip(want), "{peer} {xff:?}");
        }
    }
}
