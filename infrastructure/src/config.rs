//! Configuration from the environment (names fixed by the contract). Bad configuration stops
//! start-up with one line naming the variable. `Debug` never prints secrets.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use application::shared::ports::Secret;
use domain::{PhoneNumber, PhoneNumberId};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/whatsapp.db?mode=rwc";
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.facebook.com";
pub const DEFAULT_GRAPH_VERSION: &str = "v24.0";

/// Well-known development values used only with `SANDBOX=1`. They are public: never use them
/// for a real deployment (the start-up banner says so).
pub const SANDBOX_APP_SECRET: &str = "sandbox-app-secret";
pub const SANDBOX_VERIFY_TOKEN: &str = "sandbox-verify-token";
pub const SANDBOX_ADMIN_KEY: &str = "sandbox-admin-key";
const SANDBOX_ENCRYPTION_KEY: &[u8; 32] = b"sandbox-only-encryption-key-32b!";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub access_token: Secret,
    pub numbers: Vec<(PhoneNumberId, PhoneNumber)>,
}

#[derive(Clone)]
pub struct Config {
    pub bind_addr: SocketAddr,
    pub database_url: String,
    pub amqp_url: Option<String>,
    pub redis_url: Option<String>,
    pub meta_app_secret: Secret,
    pub webhook_verify_token: Secret,
    /// `None`: Meta's Graph API, or the built-in simulator when `sandbox`.
    pub whatsapp_api_base_url: Option<String>,
    pub whatsapp_api_version: String,
    pub bootstrap: Option<Bootstrap>,
    pub encryption_key: [u8; 32],
    pub admin_api_key: Secret,
    pub openai_api_key: Option<Secret>,
    pub openai_base_url: Option<String>,
    pub sandbox: bool,
    pub log_format: LogFormat,
    // Extensions (documented in README): tuning with safe defaults.
    /// `RATE_LIMIT_PER_MINUTE`: API requests per shop per minute, all its keys together: the
    /// shop-wide ceiling (seed 002 says 60 for one caller; a team shares a shop, so 600).
    pub rate_limit_per_minute: u32,
    /// `RATE_LIMIT_PER_KEY_PER_MINUTE`: API requests per key per minute, under the shop's
    /// ceiling (seed 002: 60).
    pub rate_limit_per_key_per_minute: u32,
    /// `WHATSAPP_API_TIMEOUT_MS`: per request (seed 002: 10 s).
    pub cloud_api_timeout: Duration,
    /// `WHATSAPP_RETRY_BASE_MS`: backoff base; delays are base×1, ×3, ×9 (seed 002: 500 ms).
    pub cloud_api_retry_base: Duration,
    /// `SANDBOX_STATUS_DELAY_MS`: the simulator's delay between sent, delivered and read.
    pub sandbox_status_delay: Duration,
    /// `OUTBOUND_HEADROOM_PERCENT`: throughput kept free below each number's limit (Meta counts
    /// inbound messages too).
    pub outbound_headroom_percent: u32,
    /// `PAIR_BURST`: messages to one recipient allowed in a burst before the 1-per-6-s pace.
    pub pair_burst: u32,
    /// `SEND_WAIT_MS`: how long `POST /messages/send` waits for Meta's answer before answering
    /// 202 with the message `queued`.
    pub send_wait: Duration,
    /// Largest webhook body accepted (Meta documents payloads up to 3 MB).
    pub webhook_max_body_bytes: usize,
    /// Bytes of webhook bodies that requests in flight may hold together.
    pub webhook_body_budget_bytes: usize,
    /// Largest `/api/v1` request body.
    pub api_max_body_bytes: usize,
    /// Largest CSV a customer import reads (streamed, not held).
    pub import_max_body_bytes: usize,
    /// A request's head (line and headers) must arrive within this.
    pub http_header_timeout: Duration,
    /// A request's body must arrive within this.
    pub http_body_timeout: Duration,
    /// A connection with no traffic for this long is closed.
    pub http_idle_timeout: Duration,
    /// Connections served at once; more are closed on accept.
    pub http_max_connections: usize,
    /// API requests per minute for this instance, all shops together.
    pub rate_limit_per_instance_per_minute: u32,
    /// Failed API key checks per minute per client address before 429.
    pub auth_failures_per_minute: u32,
    /// `TRUSTED_PROXIES`: the proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names
    /// the client; empty = the connection's own address is the client's.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where `/metrics` is served: its own listener, or (`None`) the main one.
    pub metrics_bind_addr: Option<SocketAddr>,
    /// `MEDIA_STORE_URL`: where files' bytes live: a folder, or `s3://bucket/prefix` (with the
    /// standard `AWS_*` variables).
    pub media_store_url: String,
    /// `MEDIA_FETCH_CONCURRENCY`: customers' files fetched from Meta at once per replica.
    pub media_fetch_concurrency: usize,
    /// `WEBHOOK_DELIVERY_TIMEOUT_MS`: how long a merchant's receiver has to answer one delivery
    /// (default 10 s); a slower answer counts as a failed attempt.
    pub webhook_delivery_timeout: Duration,
    /// `MEDIA_MEMORY_BYTES`: bytes of files one process holds in memory at once (uploads,
    /// re-uploads, fetches); past it a request gets 503 and a fetch waits.
    pub media_memory_bytes: u64,
    /// `RAW_RETENTION_HOURS`: how long processed webhook bodies and published event envelopes
    /// (raw copies with personal data no erasure reaches) are kept.
    pub raw_retention: Duration,
    /// `MEDIA_UPLOADS_PER_SHOP`: uploads one shop may have in flight on one process; more get 429.
    pub media_uploads_per_shop: usize,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind_addr", &self.bind_addr)
            .field("database", &redact_url(&self.database_url))
            .field("amqp", &self.amqp_url.as_deref().map(redact_url))
            .field("redis", &self.redis_url.as_deref().map(redact_url))
            .field("whatsapp_api_base_url", &self.whatsapp_api_base_url)
            .field("whatsapp_api_version", &self.whatsapp_api_version)
            .field("sandbox", &self.sandbox)
            .field("openai", &self.openai_api_key.is_some())
            .field("media_store", &self.media_store_url)
            .finish_non_exhaustive()
    }
}

/// `scheme://user:***@host/...`: drop passwords before anything is logged.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let sandbox = match get("SANDBOX").as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => return Err(err("SANDBOX", format!("must be 0 or 1, got '{other}'"))),
        };
        let required = |var: &'static str, dev: &str| -> Result<Secret, ConfigError> {
            match get(var) {
                Some(v) => Ok(Secret::new(v)),
                None if sandbox => Ok(Secret::new(dev)),
                None => Err(err(var, "is required (or set SANDBOX=1 for a development run)")),
            }
        };
        let bind_addr = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|_| err("BIND_ADDR", "must be host:port, e.g. 127.0.0.1:8080"))?;
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") || database_url.starts_with("sqlite:")) {
            return Err(err("DATABASE_URL", "must start with postgres:// or sqlite:"));
        }
        // `/metrics` is not for the public: on its own address by default in production
        // (`main` serves it on BIND_ADDR, as the sandbox does by default).
        let metrics_bind_addr = match get("METRICS_BIND_ADDR").as_deref() {
            Some("main") => None,
            None if sandbox => None,
            None => Some(SocketAddr::from(([127, 0, 0, 1], 9090))),
            Some(a) => Some(a.parse().map_err(|_| err("METRICS_BIND_ADDR", "must be host:port (e.g. 0.0.0.0:9090) or main"))?),
        };
        let trusted_proxies = get("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<ipnet::IpNet>().or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| err("TRUSTED_PROXIES", "must be addresses or CIDR ranges, separated by commas (e.g. 10.0.0.0/8,127.0.0.1)"))?;
        let amqp_url = get("AMQP_URL");
        if let Some(u) = &amqp_url
            && !(u.starts_with("amqp://") || u.starts_with("amqps://"))
        {
            return Err(err("AMQP_URL", "must start with amqp:// or amqps://"));
        }
        let redis_url = get("REDIS_URL");
        if let Some(u) = &redis_url
            && !(u.starts_with("redis://") || u.starts_with("rediss://"))
        {
            return Err(err("REDIS_URL", "must start with redis:// or rediss://"));
        }
        let encryption_key = match get("ENCRYPTION_KEY") {
            Some(v) => {
                let bytes = B64.decode(&v).map_err(|_| err("ENCRYPTION_KEY", "must be base64 (e.g. `openssl rand -base64 32`)"))?;
                <[u8; 32]>::try_from(bytes.as_slice())
                    .map_err(|_| err("ENCRYPTION_KEY", format!("must decode to 32 bytes, got {}", bytes.len())))?
            }
            None if sandbox => *SANDBOX_ENCRYPTION_KEY,
            None => return Err(err("ENCRYPTION_KEY", "is required (32 bytes, base64)")),
        };
        let admin_api_key = required("ADMIN_API_KEY", SANDBOX_ADMIN_KEY)?;
        if !sandbox && admin_api_key.expose().len() < 16 {
            return Err(err("ADMIN_API_KEY", "must be at least 16 characters"));
        }
        let whatsapp_api_base_url = get("WHATSAPP_API_BASE_URL").map(|u| u.trim_end_matches('/').to_owned());
        if let Some(u) = &whatsapp_api_base_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(err("WHATSAPP_API_BASE_URL", "must be an http(s) URL"));
        }
        let whatsapp_api_version = get("WHATSAPP_API_VERSION").unwrap_or_else(|| DEFAULT_GRAPH_VERSION.into());
        let version_ok = whatsapp_api_version.strip_prefix('v').is_some_and(|r| {
            let mut parts = r.split('.');
            parts.next().is_some_and(|p| p.parse::<u32>().is_ok()) && parts.all(|p| p.parse::<u32>().is_ok())
        });
        if !version_ok {
            return Err(err("WHATSAPP_API_VERSION", "must look like v24.0"));
        }
        let bootstrap = match (get("WHATSAPP_ACCESS_TOKEN"), get("WHATSAPP_PHONE_NUMBERS")) {
            (None, None) => None,
            (Some(_), None) => return Err(err("WHATSAPP_PHONE_NUMBERS", "is required with WHATSAPP_ACCESS_TOKEN")),
            (None, Some(_)) => return Err(err("WHATSAPP_ACCESS_TOKEN", "is required with WHATSAPP_PHONE_NUMBERS")),
            (Some(token), Some(list)) => {
                let mut numbers = Vec::new();
                for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let (id, phone) =
                        item.split_once(':').ok_or_else(|| err("WHATSAPP_PHONE_NUMBERS", format!("'{item}' is not id:+E164")))?;
                    let id = PhoneNumberId::parse(id).map_err(|e| err("WHATSAPP_PHONE_NUMBERS", format!("'{item}': {e}")))?;
                    let phone = PhoneNumber::parse(phone).map_err(|e| err("WHATSAPP_PHONE_NUMBERS", format!("'{item}': {e}")))?;
                    numbers.push((id, phone));
                }
                if numbers.is_empty() {
                    return Err(err("WHATSAPP_PHONE_NUMBERS", "lists no number"));
                }
                Some(Bootstrap { access_token: Secret::new(token), numbers })
            }
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(err("LOG_FORMAT", "must be json or pretty")),
        };
        let number = |var: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
            match get(var) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| err(var, format!("must be a whole number from {min} to {max}"))),
            }
        };
        Ok(Self {
            bind_addr,
            database_url,
            amqp_url,
            redis_url,
            meta_app_secret: required("META_APP_SECRET", SANDBOX_APP_SECRET)?,
            webhook_verify_token: required("WEBHOOK_VERIFY_TOKEN", SANDBOX_VERIFY_TOKEN)?,
            whatsapp_api_base_url,
            whatsapp_api_version,
            bootstrap,
            encryption_key,
            admin_api_key,
            openai_api_key: get("OPENAI_API_KEY").map(Secret::new),
            openai_base_url: get("OPENAI_BASE_URL"),
            sandbox,
            log_format,
            rate_limit_per_minute: number("RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000)? as u32,
            rate_limit_per_key_per_minute: number("RATE_LIMIT_PER_KEY_PER_MINUTE", 60, 1, 1_000_000)? as u32,
            cloud_api_timeout: Duration::from_millis(number("WHATSAPP_API_TIMEOUT_MS", 10_000, 100, 120_000)?),
            cloud_api_retry_base: Duration::from_millis(number("WHATSAPP_RETRY_BASE_MS", 500, 0, 60_000)?),
            sandbox_status_delay: Duration::from_millis(number("SANDBOX_STATUS_DELAY_MS", 1_000, 0, 60_000)?),
            outbound_headroom_percent: number("OUTBOUND_HEADROOM_PERCENT", 10, 0, 90)? as u32,
            pair_burst: number("PAIR_BURST", 10, 1, 100)? as u32,
            send_wait: Duration::from_millis(number("SEND_WAIT_MS", 5_000, 0, 60_000)?),
            webhook_max_body_bytes: number("WEBHOOK_MAX_BODY_BYTES", 3 * 1024 * 1024, 1024, 64 * 1024 * 1024)? as usize,
            webhook_body_budget_bytes: number("WEBHOOK_BODY_BUDGET_BYTES", 64 * 1024 * 1024, 1024 * 1024, 4 * 1024 * 1024 * 1024)? as usize,
            api_max_body_bytes: number("API_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024)? as usize,
            import_max_body_bytes: number("IMPORT_MAX_BODY_BYTES", 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024)? as usize,
            http_header_timeout: Duration::from_millis(number("HTTP_HEADER_TIMEOUT_MS", 10_000, 100, 600_000)?),
            http_body_timeout: Duration::from_millis(number("HTTP_BODY_TIMEOUT_MS", 30_000, 100, 600_000)?),
            http_idle_timeout: Duration::from_millis(number("HTTP_IDLE_TIMEOUT_MS", 60_000, 100, 3_600_000)?),
            http_max_connections: number("HTTP_MAX_CONNECTIONS", 4096, 1, 1_000_000)? as usize,
            rate_limit_per_instance_per_minute: number("RATE_LIMIT_PER_INSTANCE_PER_MINUTE", 1_000, 1, 100_000_000)? as u32,
            auth_failures_per_minute: number("AUTH_FAILURES_PER_MINUTE", 30, 1, 1_000_000)? as u32,
            trusted_proxies,
            metrics_bind_addr,
            media_store_url: get("MEDIA_STORE_URL").unwrap_or_else(|| "data/media".into()),
            media_fetch_concurrency: number("MEDIA_FETCH_CONCURRENCY", 4, 1, 256)? as usize,
            webhook_delivery_timeout: Duration::from_millis(number("WEBHOOK_DELIVERY_TIMEOUT_MS", 10_000, 100, 60_000)?),
            media_memory_bytes: number("MEDIA_MEMORY_BYTES", 200 * 1024 * 1024, 1024 * 1024, 64 * 1024 * 1024 * 1024)?,
            media_uploads_per_shop: number("MEDIA_UPLOADS_PER_SHOP", 4, 1, 1000)? as usize,
            raw_retention: Duration::from_secs(3600 * number("RAW_RETENTION_HOURS", 24, 0, 24 * 365)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn sandbox_needs_nothing() {
        let c = cfg(&[("SANDBOX", "1")]).unwrap();
        assert!(c.sandbox);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.whatsapp_api_version, "v24.0");
    }

    #[test]
    fn production_names_the_missing_variable() {
        assert_eq!(cfg(&[]).unwrap_err().var, "ENCRYPTION_KEY");
        let key = B64.encode([1u8; 32]);
        let e = cfg(&[("ENCRYPTION_KEY", &key)]).unwrap_err();
        assert_eq!(e.var, "ADMIN_API_KEY");
        let e = cfg(&[("ENCRYPTION_KEY", &key), ("ADMIN_API_KEY", "0123456789abcdef")]).unwrap_err();
        assert_eq!(e.var, "META_APP_SECRET");
        let e = cfg(&[("ENCRYPTION_KEY", "c2hvcnQ="), ("SANDBOX", "1")]).unwrap_err();
        assert_eq!(e.var, "ENCRYPTION_KEY");
        assert!(e.to_string().contains("32 bytes"));
    }

    #[test]
    fn bootstrap_numbers_parse() {
        let c = cfg(&[
            ("SANDBOX", "1"),
            ("WHATSAPP_ACCESS_TOKEN", "tok"),
            ("WHATSAPP_PHONE_NUMBERS", "111:+5511900000001, 222:+5511900000002"),
        ])
        .unwrap();
        let b = c.bootstrap.unwrap();
        assert_eq!(b.numbers.len(), 2);
        assert_eq!(b.numbers[1].1.as_str(), "+5511900000002");
        let e = cfg(&[("SANDBOX", "1"), ("WHATSAPP_ACCESS_TOKEN", "tok"), ("WHATSAPP_PHONE_NUMBERS", "111-5511")]).unwrap_err();
        assert_eq!(e.var, "WHATSAPP_PHONE_NUMBERS");
    }

    #[test]
    fn the_file_memory_budget_defaults_to_200_mib_and_is_bounded() {
        assert_eq!(cfg(&[("SANDBOX", "1")]).unwrap().media_memory_bytes, 200 * 1024 * 1024);
        assert_eq!(cfg(&[("SANDBOX", "1"), ("MEDIA_MEMORY_BYTES", "1048576")]).unwrap().media_memory_bytes, 1024 * 1024);
        assert_eq!(cfg(&[("SANDBOX", "1"), ("MEDIA_MEMORY_BYTES", "1000")]).unwrap_err().var, "MEDIA_MEMORY_BYTES");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        assert!(cfg(&[("SANDBOX", "1")]).unwrap().trusted_proxies.is_empty());
        let c = cfg(&[("SANDBOX", "1"), ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1")]).unwrap();
        let got: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(got, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        assert_eq!(cfg(&[("SANDBOX", "1"), ("TRUSTED_PROXIES", "10.0.0.0/99")]).unwrap_err().var, "TRUSTED_PROXIES");
    }

    #[test]
    fn urls_are_redacted_and_checked() {
        assert_eq!(redact_url("postgres://u:pw@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(cfg(&[("SANDBOX", "1"), ("DATABASE_URL", "mysql://x")]).unwrap_err().var, "DATABASE_URL");
        assert_eq!(cfg(&[("SANDBOX", "1"), ("WHATSAPP_API_VERSION", "24")]).unwrap_err().var, "WHATSAPP_API_VERSION");
        let dbg = format!("{:?}", cfg(&[("SANDBOX", "1"), ("DATABASE_URL", "postgres://u:hunter2@h/db")]).unwrap());
        assert!(!dbg.contains("hunter2"));
    }
}
