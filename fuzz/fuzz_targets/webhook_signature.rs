//! `X-Hub-Signature-256` over raw bytes: the signature of a body verifies, any other header
//! does not, and no header or body makes the check panic.
#![no_main]

use infrastructure::crypto::{parse_signature_header, sign_webhook, verify_webhook_signature};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-app-secret";

fuzz_target!(|data: &[u8]| {
    // The first line is the header as sent, the rest the body.
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let header = String::from_utf8_lossy(header);
    let good = sign_webhook(SECRET, body);
    assert!(verify_webhook_signature(SECRET, body, Some(&good)));
    let verdict = verify_webhook_signature(SECRET, body, Some(&header));
    let parsed = parse_signature_header(Some(&header));
    if verdict {
        assert_eq!(parsed, parse_signature_header(Some(&good)), "only the body's own signature verifies");
    }
    assert!(!verify_webhook_signature(b"another-secret", body, Some(&good)));
});
