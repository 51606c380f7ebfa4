//! The per-shop API rate limit: a token bucket per shop, in this process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use domain::ShopId;

pub struct ShopRateLimiter {
    per_minute: f64,
    buckets: Mutex<HashMap<ShopId, (f64, Instant)>>,
}

impl ShopRateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute: per_minute as f64, buckets: Mutex::new(HashMap::new()) }
    }

    /// `Ok` to go ahead, or the seconds to wait.
    pub fn check(&self, shop: ShopId) -> Result<(), u64> {
        let rate = self.per_minute / 60.0;
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = map.entry(shop).or_insert((self.per_minute, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(self.per_minute);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}
