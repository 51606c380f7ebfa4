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
