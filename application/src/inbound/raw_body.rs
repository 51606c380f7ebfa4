//! A signed body as the inbox keeps it. Meta signs bytes; the databases keep text, and Postgres
//! text cannot hold U+0000 nor bytes that are not UTF-8. Such a body is kept twice: its exact
//! bytes, and a readable copy in which every byte sequence that is not UTF-8 and every NUL is
//! U+FFFD, which the worker processes like any other.

/// What `WebhookInbox::store` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBody {
    /// The body as text, processed by the worker.
    pub text: String,
    /// The exact bytes, only when `text` had to differ from them.
    pub bytes: Option<Vec<u8>>,
}

impl RawBody {
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) if !text.contains('\0') => Self { text, bytes: None },
            Ok(text) => Self { text: text.replace('\0', "\u{FFFD}"), bytes: Some(text.into_bytes()) },
            Err(e) => {
                let text = String::from_utf8_lossy(e.as_bytes()).replace('\0', "\u{FFFD}");
                Self { text, bytes: Some(e.into_bytes()) }
            }
        }
    }
}

/// Replace U+0000 in every string and key of a JSON value (JSON may say `\u0000`; Postgres
/// cannot store it in text or jsonb). Returns whether anything changed.
pub fn scrub_nul(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => {
            *s = s.replace('\0', "\u{FFFD}");
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, i| scrub_nul(i) | changed),
        Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|k| k.contains('\0')) {
                let old = std::mem::take(map);
                for (k, val) in old {
                    map.insert(k.replace('\0', "\u{FFFD}"), val);
                }
                changed = true;
            }
            map.values_mut().fold(changed, |changed, i| scrub_nul(i) | changed)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_without_nul_is_kept_as_text_only() {
        let b = RawBody::from_bytes(b"{\"a\":\"\\u0000\"}".to_vec());
        assert_eq!(b, RawBody { text: "{\"a\":\"\\u0000\"}".into(), bytes: None });
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_keep_their_bytes_and_a_readable_copy() {
        let raw = b"caf\xE9\x00!".to_vec();
        let b = RawBody::from_bytes(raw.clone());
        assert_eq!(b.text, "caf\u{FFFD}\u{FFFD}!");
        assert_eq!(b.bytes, Some(raw));
        let b = RawBody::from_bytes(b"a\x00b".to_vec());
        assert_eq!(b.text, "a\u{FFFD}b");
        assert_eq!(b.bytes.as_deref(), Some(&b"a\x00b"[..]));
    }

    #[test]
    fn nul_is_scrubbed_from_strings_and_keys_at_any_depth() {
        let mut v = serde_json::json!({"k\u{0}": ["x\u{0}y", {"n": 1, "t": "\u{0}"}], "ok": "fine"});
        assert!(scrub_nul(&mut v));
        assert_eq!(v, serde_json::json!({"k\u{FFFD}": ["x\u{FFFD}y", {"n": 1, "t": "\u{FFFD}"}], "ok": "fine"}));
        assert!(!scrub_nul(&mut v), "nothing left to change");
    }
}
