//! Any signed body, however broken: storing it must keep its bytes or a readable copy, and
//! parsing it must either refuse it (a dead letter) or give what it holds, never panic. Whatever
//! it yields holds no NUL (Postgres cannot store one).
#![no_main]

use application::inbound::parser::parse_delivery;
use application::inbound::raw_body::RawBody;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let body = RawBody::from_bytes(data.to_vec());
    assert!(!body.text.contains('\0'));
    match &body.bytes {
        None => assert_eq!(body.text.as_bytes(), data),
        Some(b) => assert_eq!(b.as_slice(), data),
    }
    let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    if let Ok(parsed) = parse_delivery(&body.text, now) {
        for (_, m) in &parsed.messages {
            let json = serde_json::to_string(&m.content).unwrap_or_default();
            assert!(!json.contains("\\u0000"), "{json}");
        }
    }
});
