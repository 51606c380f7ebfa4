//! Ports every context may need: the clock, secrets and their encryption.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// A secret string: never printed by `Debug` or `Display`, serialised as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}
impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}
impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Why a secret could not be encrypted or decrypted (never contains the secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cipher: {0}")]
pub struct CipherError(pub String);

/// Encrypts secrets (access tokens) for storage at rest.
pub trait SecretCipher: Send + Sync {
    fn encrypt(&self, plaintext: &Secret) -> Result<String, CipherError>;
    fn decrypt(&self, ciphertext: &str) -> Result<Secret, CipherError>;
}

/// Shared rate limits (GCRA): in-process, or in Redis so every replica shares them.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync {
    /// Take up to `want` tokens from `key` at `per_second` with `burst`; returns how many were
    /// taken and, when fewer than wanted, how long until the next one is free.
    async fn take(&self, key: &str, per_second: f64, burst: f64, want: u32) -> Result<(u32, std::time::Duration), String>;

    /// How long until `key` has a token at `per_second` with `burst`, if it has none now; takes
    /// nothing (a throttle that only counts failures looks before it lets a caller try).
    async fn peek(&self, key: &str, per_second: f64, burst: f64) -> Result<Option<std::time::Duration>, String>;

    /// One token from each key (same rate and burst), in one round trip where the store allows.
    async fn take_each(&self, keys: &[String], per_second: f64, burst: f64) -> Result<Vec<(bool, std::time::Duration)>, String> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let (n, wait) = self.take(k, per_second, burst, 1).await?;
            out.push((n == 1, wait));
        }
        Ok(out)
    }
}
