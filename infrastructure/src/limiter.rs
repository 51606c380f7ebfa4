//! GCRA rate limiting: in-process, or in Redis (one Lua script, Redis's own clock) so several
//! replicas share a number's throughput and each recipient's pair rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use application::shared::ports::RateLimiter;

/// The arithmetic, shared by both: a theoretical arrival time `tat` (ms) may run ahead of now
/// by at most `burst` intervals. Returns (taken, new tat, wait ms).
pub fn gcra(tat: f64, now: f64, per_second: f64, burst: f64, want: u32) -> (u32, f64, f64) {
    let interval = 1000.0 / per_second;
    let tat = tat.max(now);
    let room = ((now + burst * interval - tat) / interval).floor().max(0.0) as u32;
    let taken = want.min(room);
    let tat = tat + taken as f64 * interval;
    let wait = if taken < want { (tat + interval - burst * interval - now).max(1.0) } else { 0.0 };
    (taken, tat, wait)
}

/// The wait (ms) before `tat` allows one more token, if it allows none now.
pub fn gcra_peek(tat: f64, now: f64, per_second: f64, burst: f64) -> Option<f64> {
    let (taken, _, wait) = gcra(tat, now, per_second, burst, 1);
    (taken == 0).then_some(wait)
}

pub struct LocalLimiter {
    start: Instant,
    tats: Mutex<HashMap<String, f64>>,
}

impl LocalLimiter {
    pub fn new() -> Self {
        Self { start: Instant::now(), tats: Mutex::new(HashMap::new()) }
    }
}

impl Default for LocalLimiter {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl RateLimiter for LocalLimiter {
    async fn take(&self, key: &str, per_second: f64, burst: f64, want: u32) -> Result<(u32, Duration), String> {
        let now = self.start.elapsed().as_secs_f64() * 1000.0;
        let mut map = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        let tat = map.get(key).copied().unwrap_or(now);
        let (taken, tat, wait) = gcra(tat, now, per_second, burst, want);
        map.insert(key.to_owned(), tat);
        if map.len() > 100_000 {
            map.retain(|_, t| *t > now);
        }
        Ok((taken, Duration::from_secs_f64(wait / 1000.0)))
    }

    async fn peek(&self, key: &str, per_second: f64, burst: f64) -> Result<Option<Duration>, String> {
        let now = self.start.elapsed().as_secs_f64() * 1000.0;
        let map = self.tats.lock().unwrap_or_else(|p| p.into_inner());
        Ok(map.get(key).and_then(|tat| gcra_peek(*tat, now, per_second, burst)).map(|ms| Duration::from_secs_f64(ms / 1000.0)))
    }
}

const SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local per_second = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local interval = 1000 / per_second
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local room = math.floor((now + burst * interval - tat) / interval)
if room < 0 then room = 0 end
local taken = math.min(want, room)
tat = tat + taken * interval
if taken > 0 then
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
end
local wait = 0
if taken < want then wait = math.max(1, tat + interval - burst * interval - now) end
return {taken, math.ceil(wait)}
"#;

/// The wait before KEYS[1] has a token (0: one is free now); takes nothing.
const SCRIPT_PEEK: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = 1000 / tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if now + burst * interval - tat >= interval then return 0 end
return math.max(1, math.ceil(tat + interval - burst * interval - now))
"#;

/// One token from each of KEYS, in one call (the dispatcher's pair checks for a whole tick).
const SCRIPT_EACH: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local per_second = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local interval = 1000 / per_second
local out = {}
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  if now + burst * interval - tat >= interval then
    tat = tat + interval
    redis.call('SET', key, string.format('%.3f', tat), 'PX', math.ceil(tat - now) + 1000)
    out[i] = 0
  else
    out[i] = math.max(1, math.ceil(tat + interval - burst * interval - now))
  end
end
return out
"#;

/// Redis reachability for readiness: a real `PING` through the redis client (so `rediss://`
/// and passwords in the URL work as they do for the limiter).
#[derive(Clone)]
pub struct RedisPing {
    client: redis::Client,
}

impl RedisPing {
    pub fn new(url: &str) -> Result<Self, String> {
        Ok(Self { client: redis::Client::open(url).map_err(|e| e.to_string())? })
    }

    pub async fn ping(&self) -> Result<(), String> {
        let mut conn = self.client.get_multiplexed_async_connection().await.map_err(|e| e.to_string())?;
        let pong: String = redis::cmd("PING").query_async(&mut conn).await.map_err(|e| e.to_string())?;
        if pong == "PONG" { Ok(()) } else { Err(format!("unexpected answer to PING: {pong}")) }
    }
}

pub struct RedisLimiter {
    conn: redis::aio::ConnectionManager,
    script: redis::Script,
    script_each: redis::Script,
    script_peek: redis::Script,
    prefix: String,
}

impl RedisLimiter {
    pub async fn connect(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let conn = redis::aio::ConnectionManager::new(client).await.map_err(|e| e.to_string())?;
        Ok(Self {
            conn,
            script: redis::Script::new(SCRIPT),
            script_each: redis::Script::new(SCRIPT_EACH),
            script_peek: redis::Script::new(SCRIPT_PEEK),
            prefix: "whatsapp:rl:".into(),
        })
    }

    pub fn with_prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn take(&self, key: &str, per_second: f64, burst: f64, want: u32) -> Result<(u32, Duration), String> {
        let mut conn = self.conn.clone();
        let (taken, wait_ms): (u32, u64) = self
            .script
            .key(format!("{}{key}", self.prefix))
            .arg(per_second)
            .arg(burst)
            .arg(want)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        Ok((taken, Duration::from_millis(wait_ms)))
    }

    async fn peek(&self, key: &str, per_second: f64, burst: f64) -> Result<Option<Duration>, String> {
        let mut conn = self.conn.clone();
        let wait_ms: u64 = self
            .script_peek
            .key(format!("{}{key}", self.prefix))
            .arg(per_second)
            .arg(burst)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms)))
    }

    async fn take_each(&self, keys: &[String], per_second: f64, burst: f64) -> Result<Vec<(bool, Duration)>, String> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn.clone();
        let mut inv = self.script_each.prepare_invoke();
        for k in keys {
            inv.key(format!("{}{k}", self.prefix));
        }
        inv.arg(per_second).arg(burst);
        let waits: Vec<u64> = inv.invoke_async(&mut conn).await.map_err(|e| e.to_string())?;
        Ok(waits.into_iter().map(|w| (w == 0, Duration::from_millis(w))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{LocalLimiter, gcra};
    use application::shared::ports::RateLimiter;

    #[tokio::test]
    async fn peek_takes_nothing_and_sees_an_empty_bucket() {
        let l = LocalLimiter::new();
        assert_eq!(l.peek("k", 3.0 / 60.0, 3.0).await.unwrap(), None, "an unknown key has tokens");
        for _ in 0..3 {
            assert_eq!(l.peek("k", 3.0 / 60.0, 3.0).await.unwrap(), None);
            assert_eq!(l.take("k", 3.0 / 60.0, 3.0, 1).await.unwrap().0, 1);
        }
        let wait = l.peek("k", 3.0 / 60.0, 3.0).await.unwrap().expect("empty");
        assert!(wait.as_secs() >= 19 && wait.as_secs() <= 20, "{wait:?}");
        assert_eq!(l.take("k", 3.0 / 60.0, 3.0, 1).await.unwrap().0, 0, "peeking gave nothing back");
        assert_eq!(l.peek("other", 3.0 / 60.0, 3.0).await.unwrap(), None, "keys are independent");
    }

    /// The same on Redis, when `TEST_REDIS_URL` is set (CI sets it).
    #[tokio::test]
    async fn redis_peek_takes_nothing() {
        let Ok(url) = std::env::var("TEST_REDIS_URL") else { return };
        let prefix = format!("test:{}:", uuid::Uuid::new_v4());
        let l = super::RedisLimiter::connect(&url).await.unwrap().with_prefix(&prefix);
        assert_eq!(l.peek("k", 2.0 / 60.0, 2.0).await.unwrap(), None);
        assert_eq!(l.take("k", 2.0 / 60.0, 2.0, 2).await.unwrap().0, 2);
        let wait = l.peek("k", 2.0 / 60.0, 2.0).await.unwrap().expect("empty");
        assert!((29..=30).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(l.take("k", 2.0 / 60.0, 2.0, 1).await.unwrap().0, 0);
    }

    #[test]
    fn gcra_allows_the_burst_then_the_rate() {
        // 10 per second, burst 5: 5 at once, then one per 100 ms.
        let (taken, tat, _) = gcra(0.0, 0.0, 10.0, 5.0, 8);
        assert_eq!(taken, 5);
        let (taken, _, wait) = gcra(tat, 0.0, 10.0, 5.0, 1);
        assert_eq!(taken, 0);
        assert!((wait - 100.0).abs() < 1e-6, "{wait}");
        let (taken, _, _) = gcra(tat, 100.0, 10.0, 5.0, 3);
        assert_eq!(taken, 1);
        let (taken, _, _) = gcra(tat, 1000.0, 10.0, 5.0, 20);
        assert_eq!(taken, 5, "idle time refills only up to the burst");
    }

    #[test]
    fn gcra_rate_over_a_second_is_exact() {
        let (mut tat, mut sent) = (0.0, 0u32);
        let mut t = 0.0;
        while t < 10_000.0 {
            let (n, nt, _) = gcra(tat, t, 80.0, 8.0, 100);
            tat = nt;
            sent += n;
            t += 10.0;
        }
        assert!((799..=808).contains(&sent), "80/s for 10 s with a burst of 8: {sent}");
    }
}
