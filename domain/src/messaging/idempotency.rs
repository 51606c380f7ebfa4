//! Idempotent sends (Stripe's semantics): a caller names a send with a key; the same key with
//! the same request within 24 hours gets the first answer again and sends nothing more; the
//! same key with another request is refused.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::{MessageId, ShopId};

/// How long a key is remembered.
pub const IDEMPOTENCY_TTL: Duration = Duration::hours(24);
/// The longest key (Stripe's limit).
pub const MAX_KEY_LEN: usize = 255;

/// A caller's name for one request: 1 to 255 visible ASCII characters or spaces (an HTTP
/// header's safe alphabet; a UUID or `order-42/confirmation`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s.len() {
            0 => Err("must not be empty"),
            _ if !s.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) => Err("must be visible ASCII characters"),
            n if n > MAX_KEY_LEN => Err("must be at most 255 characters"),
            _ => Ok(Self(s.to_owned())),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the caller got the first time: the HTTP status and body, kept to answer a retry.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstAnswer {
    pub status: u16,
    pub body: Value,
}

/// A key as remembered: which request it named (a hash of the operation and its body), the
/// message it queued, and, once the caller was answered, that answer.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotencyRecord {
    pub shop_id: ShopId,
    pub key: IdempotencyKey,
    pub fingerprint: String,
    pub message_id: Option<MessageId>,
    pub answer: Option<FirstAnswer>,
    pub created_at: DateTime<Utc>,
}

/// What a request with a key that is already remembered gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Reuse {
    /// The same request: the first answer (or, while it is not recorded yet, the message it
    /// queued), and nothing is sent.
    Replay,
    /// Another request under the same key: refused.
    Mismatch,
    /// Remembered more than 24 hours ago: forgotten, the request runs as new.
    Expired,
}

impl IdempotencyRecord {
    pub fn new(shop_id: ShopId, key: IdempotencyKey, fingerprint: String, now: DateTime<Utc>) -> Self {
        Self { shop_id, key, fingerprint, message_id: None, answer: None, created_at: now }
    }

    pub fn reuse(&self, fingerprint: &str, now: DateTime<Utc>) -> Reuse {
        if now - self.created_at >= IDEMPOTENCY_TTL {
            Reuse::Expired
        } else if self.fingerprint == fingerprint {
            Reuse::Replay
        } else {
            Reuse::Mismatch
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_1_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("order-42/confirmation").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(IdempotencyKey::parse(&"k".repeat(256)), Err("must be at most 255 characters"));
        assert_eq!(IdempotencyKey::parse(""), Err("must not be empty"));
        assert_eq!(IdempotencyKey::parse("a\tb"), Err("must be visible ASCII characters"));
        assert_eq!(IdempotencyKey::parse("pedido-ã"), Err("must be visible ASCII characters"));
    }

    #[test]
    fn given_a_remembered_key_when_reused_then_replayed_refused_or_forgotten() {
        let t = Utc::now();
        let r = IdempotencyRecord::new(ShopId::new(), IdempotencyKey::parse("k").unwrap(), "abc".into(), t);
        assert_eq!(r.reuse("abc", t + Duration::hours(23)), Reuse::Replay);
        assert_eq!(r.reuse("other", t), Reuse::Mismatch);
        assert_eq!(r.reuse("abc", t + IDEMPOTENCY_TTL), Reuse::Expired);
        assert_eq!(r.reuse("other", t + IDEMPOTENCY_TTL), Reuse::Expired, "a forgotten key names nothing");
    }
}
