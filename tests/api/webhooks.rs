use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const CUSTOMER: &str = "5511987654321";

/// Send `head` and `sent` bytes of a body on a raw connection, then wait for an answer (or
/// give up after `wait`). Returns the status line and the rest of what came back.
pub async fn raw_request(app: &TestApp, head: &str, sent: &[u8], wait: std::time::Duration) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(sent).await.unwrap();
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    }
}

#[tokio::test]
async fn an_unsigned_webhook_is_refused_before_its_body_arrives() {
    let app = spawn_app(Backend::Sqlite).await;
    // 1 MB declared, 10 bytes sent, no signature: the answer comes at once.
    let head = "POST /webhooks/whatsapp HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n";
    let answer = raw_request(&app, head, b"{\"object\":", std::time::Duration::from_secs(3)).await.expect("answered without the body");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("\"code\":\"UNAUTHORIZED\""), "{answer}");
    // A malformed signature is the same.
    let head = head.replace("\r\n\r\n", "\r\nx-hub-signature-256: sha256=nothex\r\n\r\n");
    let answer = raw_request(&app, &head, b"{", std::time::Duration::from_secs(3)).await.expect("answered without the body");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

#[tokio::test]
async fn webhook_bodies_are_capped_and_must_arrive_in_time() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env = vec![("WEBHOOK_MAX_BODY_BYTES", "2048".into()), ("HTTP_BODY_TIMEOUT_MS", "500".into())];
    let app = spawn_with(opts).await;
    let big = vec![b' '; 4096];
    let sig = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), &big);
    let r = app.webhook_raw(&big, Some(&sig)).await;
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(json(r).await["error"]["code"], "PAYLOAD_TOO_LARGE");
    // Signed, but half of the body never comes.
    let head = format!(
        "POST /webhooks/whatsapp HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\nx-hub-signature-256: sha256={}\r\n\r\n",
        "0".repeat(64)
    );
    let answer = raw_request(&app, &head, &[b' '; 500], std::time::Duration::from_secs(3)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events").await, 0);
}

#[tokio::test]
async fn handshake_echoes_the_challenge_only_with_the_right_token() {
    let app = spawn_app(Backend::Sqlite).await;
    let ok = app
        .http
        .get(app.url(&format!("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.headers().get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    for q in [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1",
        "hub.challenge=1",
    ] {
        let r = app.http.get(app.url(&format!("/webhooks/whatsapp?{q}"))).send().await.unwrap();
        expect_error(r, 403, "FORBIDDEN").await;
    }
}

#[tokio::test]
async fn a_missing_or_wrong_signature_is_rejected_before_anything_is_stored() {
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let payload = inbound(PNID, CUSTOMER, vec![text_message("wamid.SIG", CUSTOMER, now_ts(), "hi")]);
    let body = serde_json::to_vec(&payload).unwrap();
    expect_error(app.webhook_raw(&body, None).await, 401, "UNAUTHORIZED").await;
    let wrong = infrastructure::crypto::sign_webhook(b"not-the-secret", &body);
    expect_error(app.webhook_raw(&body, Some(&wrong)).await, 401, "UNAUTHORIZED").await;
    // Signed over other bytes (a re-serialised body) is not the same signature.
    let good = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), &body);
    let mut tampered = body.clone();
    tampered.push(b' ');
    expect_error(app.webhook_raw(&tampered, Some(&good)).await, 401, "UNAUTHORIZED").await;
    expect_error(app.webhook_raw(&body, Some("sha256=nothex")).await, 401, "UNAUTHORIZED").await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events").await, 0);
    assert_eq!(app.webhook_raw(&body, Some(&good)).await.status().as_u16(), 200);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events").await, 1);
}

async fn every_inbound_type_is_stored_as_typed_content(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let ts = now_ts();
    let m = |i: usize, ty: &str, body: serde_json::Value| {
        let mut v = json!({"from": CUSTOMER, "id": format!("wamid.T{i}"), "timestamp": (ts + i as i64).to_string(), "type": ty});
        if !body.is_null() {
            v[ty] = body;
        }
        v
    };
    let messages = vec![
        m(0, "text", json!({"body": "hello"})),
        m(1, "image", json!({"id": "img1", "mime_type": "image/jpeg", "sha256": "abc", "caption": "look"})),
        m(2, "audio", json!({"id": "aud1", "mime_type": "audio/ogg", "voice": true})),
        m(3, "video", json!({"id": "vid1", "mime_type": "video/mp4"})),
        m(4, "document", json!({"id": "doc1", "filename": "invoice.pdf", "mime_type": "application/pdf"})),
        m(5, "sticker", json!({"id": "stk1", "animated": false, "mime_type": "image/webp"})),
        m(6, "location", json!({"latitude": -23.5, "longitude": -46.6, "name": "Loja", "address": "Rua A"})),
        m(7, "contacts", json!([{"name": {"formatted_name": "Bia", "first_name": "Bia"}, "phones": [{"phone": "+5511900000000"}]}])),
        m(8, "interactive", json!({"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}})),
        m(9, "interactive", json!({"type": "list_reply", "list_reply": {"id": "r1", "title": "Pão", "description": "fresh"}})),
        m(
            10,
            "interactive",
            json!({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"size\":\"M\"}"}}),
        ),
        m(11, "button", json!({"text": "Stop promotions", "payload": "STOP"})),
        m(12, "reaction", json!({"message_id": "wamid.T0", "emoji": "👍"})),
        m(
            13,
            "order",
            json!({"catalog_id": "cat1", "text": "please", "product_items": [{"product_retailer_id": "sku1", "quantity": 2, "item_price": 9.9, "currency": "BRL"}]}),
        ),
        m(14, "system", json!({"body": "User changed number", "type": "user_changed_number", "wa_id": "5511900000001"})),
        {
            let mut u = m(15, "unsupported", serde_json::Value::Null);
            u["errors"] = json!([{"code": 131051, "title": "Message type unknown"}]);
            u
        },
        {
            let mut c = m(16, "text", json!({"body": "replying with context"}));
            c["context"] = json!({"from": "15550001111", "id": "wamid.PREV"});
            c["referral"] =
                json!({"source_url": "https://fb.me/ad", "source_type": "ad", "source_id": "123", "headline": "Promo", "ctwa_clid": "x"});
            c
        },
    ];
    assert_eq!(app.webhook(&inbound(PNID, CUSTOMER, messages)).await.status().as_u16(), 200);
    app.drained().await;
    let list = app.messages(&shop.admin, &format!("waId={CUSTOMER}&limit=50")).await;
    assert_eq!(list["total"], 17);
    let by_wamid = |w: &str| list["messages"].as_array().unwrap().iter().find(|m| m["messageId"] == w).cloned().unwrap();
    let expected = [
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "button_reply",
        "list_reply",
        "flow_reply",
        "button",
        "reaction",
        "order",
        "system",
        "unsupported",
        "text",
    ];
    for (i, ty) in expected.iter().enumerate() {
        let msg = by_wamid(&format!("wamid.T{i}"));
        assert_eq!(msg["content"]["type"], *ty, "message {i}: {msg}");
        assert_eq!(msg["direction"], "inbound");
        assert_eq!(msg["status"], "received");
    }
    assert_eq!(by_wamid("wamid.T1")["content"]["caption"], "look");
    assert_eq!(by_wamid("wamid.T2")["content"]["voice"], true);
    assert_eq!(by_wamid("wamid.T10")["content"]["responseJson"]["size"], "M");
    assert_eq!(by_wamid("wamid.T13")["content"]["productItems"][0]["quantity"], 2);
    assert_eq!(by_wamid("wamid.T15")["content"]["raw"]["errors"][0]["code"], 131051);
    let with_ctx = by_wamid("wamid.T16");
    assert_eq!(with_ctx["context"]["id"], "wamid.PREV");
    assert_eq!(with_ctx["referral"]["source_type"], "ad");
    // The referral opened the free-entry-point rules; the customer's profile name was kept.
    let status = json(app.get(&shop.admin, &format!("/api/v1/conversations/status?waId={CUSTOMER}")).await).await;
    assert_eq!(status["canSendFreeMessage"], true);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM customers WHERE name = 'Ana'").await, 1);
}

async fn a_webhook_delivered_three_times_is_stored_once_with_one_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let payload = inbound(PNID, CUSTOMER, vec![text_message("wamid.DUP", CUSTOMER, now_ts(), "once")]);
    for _ in 0..3 {
        assert_eq!(app.webhook(&payload).await.status().as_u16(), 200);
    }
    app.drained().await;
    assert_eq!(app.messages(&shop.admin, &format!("waId={CUSTOMER}")).await["total"], 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events").await, 3, "every delivery is kept");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'message.received'").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.created'").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.started'").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM conversations").await, 1);
}

async fn statuses_apply_monotonically_in_any_order(backend: Backend) {
    // Meta is a wiremock server here, so no status arrives except the ones the test sends.
    let meta = fake_meta().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.OUT1"}]})))
        .mount(&meta)
        .await;
    let mut opts = Opts::new(backend);
    opts.graph_base = Some(meta.uri());
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    app.webhook(&inbound(PNID, CUSTOMER, vec![text_message("wamid.IN1", CUSTOMER, now_ts(), "hi")])).await;
    app.drained().await;
    // A status that arrives before the send is recorded is kept and applied later.
    app.webhook(&status(PNID, "wamid.OUT1", "delivered", now_ts())).await;
    app.drained().await;
    let sent = app
        .post(
            &shop.admin,
            "/api/v1/messages/send",
            json!({"from": NUMBER, "to": format!("+{CUSTOMER}"), "content": {"type": "text", "text": "hello"}}),
        )
        .await;
    assert_eq!(sent.status().as_u16(), 200);
    let sent = json(sent).await;
    let id = sent["id"].as_str().unwrap().to_owned();
    let get_status =
        || async { json(app.get(&shop.admin, &format!("/api/v1/messages/{id}")).await).await["status"].as_str().unwrap().to_owned() };
    assert_eq!(get_status().await, "delivered", "the early 'delivered' was applied when the send was recorded");
    app.webhook(&status(PNID, "wamid.OUT1", "read", now_ts())).await;
    app.webhook(&status(PNID, "wamid.OUT1", "sent", now_ts())).await;
    app.webhook(&status(PNID, "wamid.OUT1", "delivered", now_ts())).await;
    app.drained().await;
    assert_eq!(get_status().await, "read", "a late sent/delivered never downgrades read");
    let failed = messages_change(
        PNID,
        "15550001111",
        json!({"statuses": [{"id": "wamid.OUT1", "status": "failed", "timestamp": now_ts().to_string(), "recipient_id": CUSTOMER,
            "errors": [{"code": 131026, "title": "Message undeliverable", "error_data": {"details": "not on WhatsApp"}}]}]}),
    );
    app.webhook(&failed).await;
    app.webhook(&status(PNID, "wamid.OUT1", "read", now_ts() + 5)).await;
    app.drained().await;
    let m = json(app.get(&shop.admin, &format!("/api/v1/messages/{id}")).await).await;
    assert_eq!(m["status"], "failed", "failed wins");
    assert_eq!(m["error"]["code"], 131026);
    // One event per real change: delivered, read, failed.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'message.status.updated'").await, 3);
}

async fn an_unknown_number_is_kept_and_flagged(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.webhook(&inbound("999999", CUSTOMER, vec![text_message("wamid.LOST", CUSTOMER, now_ts(), "hi")])).await;
    assert_eq!(r.status().as_u16(), 200);
    app.drained().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, 0);
    let note = app.text("SELECT note FROM webhook_events").await.unwrap();
    assert!(note.contains("unroutable phone_number_id: 999999"), "{note}");
    assert_eq!(app.text("SELECT state FROM webhook_events").await.as_deref(), Some("processed"));
    let metrics = app.metrics().await;
    assert!(metrics.contains("whatsapp_webhook_unroutable_total 1"), "{metrics}");
}

async fn an_unprocessable_body_becomes_a_dead_letter_and_other_fields_are_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let garbage = b"{not json";
    let sig = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), garbage);
    assert_eq!(app.webhook_raw(garbage, Some(&sig)).await.status().as_u16(), 200, "acknowledged so Meta stops redelivering");
    let template_update = json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "changes": [{"field": "message_template_status_update",
        "value": {"event": "APPROVED", "message_template_id": 123, "message_template_name": "hello", "message_template_language": "en_US"}}]}]});
    assert_eq!(app.webhook(&template_update).await.status().as_u16(), 200);
    app.drained().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events WHERE state = 'dead'").await, 1);
    assert_eq!(
        app.text("SELECT fields FROM webhook_events WHERE state = 'processed'").await.as_deref(),
        Some("message_template_status_update")
    );
    let metrics = app.metrics().await;
    assert!(metrics.contains(r#"whatsapp_webhook_dead_letters_total{reason="not_json"} 1"#), "{metrics}");
}

async fn nul_characters_and_bytes_that_are_not_utf8_are_stored_and_processed(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    // 1. `\u0000` is valid JSON; Postgres cannot keep U+0000 in text or jsonb.
    let mut payload = inbound(PNID, CUSTOMER, vec![text_message("wamid.NUL", CUSTOMER, now_ts(), "a\u{0}b")]);
    payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = json!("An\u{0}a");
    assert_eq!(app.webhook(&payload).await.status().as_u16(), 200);
    // 2. Signed bytes that are not UTF-8 (a Latin-1 "é"), and a raw NUL byte inside a string.
    let mut second = inbound(PNID, CUSTOMER, vec![text_message("wamid.LATIN", CUSTOMER, now_ts(), "caf#")]);
    second["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = json!("An\u{0}a");
    let mut raw = serde_json::to_vec(&second).unwrap();
    let at = raw.iter().position(|b| *b == b'#').unwrap();
    raw.splice(at..=at, [0xE9, 0x00]);
    let sig = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), &raw);
    assert_eq!(app.webhook_raw(&raw, Some(&sig)).await.status().as_u16(), 200, "every signed body is acknowledged");
    app.drained().await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events WHERE state = 'processed'").await, 2);
    let texts: Vec<String> = app.messages(&shop.admin, &format!("waId={CUSTOMER}")).await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(texts.contains(&"a\u{FFFD}b".to_owned()), "{texts:?}");
    assert!(texts.contains(&"caf\u{FFFD}\u{FFFD}".to_owned()), "{texts:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM customers WHERE name = 'An\u{FFFD}a'").await, 1);
    // The stored text of the first body is its JSON as sent (the escape is six characters); the
    // second body's exact bytes are kept beside its readable copy.
    let bodies = app.texts("SELECT body FROM webhook_events WHERE raw_body IS NULL").await;
    assert!(bodies.iter().any(|b| b.contains(r"\u0000")), "{bodies:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events WHERE raw_body IS NOT NULL").await, 1);
    assert_eq!(app.bytes("SELECT raw_body FROM webhook_events WHERE raw_body IS NOT NULL").await, raw);
}

both_backends!(
    nul_characters_and_bytes_that_are_not_utf8_are_stored_and_processed,
    every_inbound_type_is_stored_as_typed_content,
    a_webhook_delivered_three_times_is_stored_once_with_one_event,
    statuses_apply_monotonically_in_any_order,
    an_unknown_number_is_kept_and_flagged,
    an_unprocessable_body_becomes_a_dead_letter_and_other_fields_are_kept,
);

/// Two replicas on one database share the stored deliveries: every one processed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn competing_workers_process_each_delivery_once() {
    let Some(pg) = Backend::postgres() else { return };
    let a = spawn_app(pg.clone()).await;
    let mut b_opts = Opts::new(pg);
    b_opts.database_url = Some(a.db_url.clone());
    let b = spawn_with(b_opts).await;
    let shop = a.create_shop("s").await;
    a.connect(&shop.admin, PNID, NUMBER).await;
    let ts = now_ts();
    for i in 0..100 {
        let from = format!("55119876{i:05}");
        let target = if i % 2 == 0 { &a } else { &b };
        let r = target.webhook(&inbound(PNID, &from, vec![text_message(&format!("wamid.C{i}"), &from, ts, "hi")])).await;
        assert_eq!(r.status().as_u16(), 200);
    }
    a.drained().await;
    assert_eq!(a.scalar("SELECT COUNT(*) FROM messages").await, 100);
    assert_eq!(
        a.scalar("SELECT COUNT(*) FROM webhook_events WHERE state = 'processed' AND attempts = 1").await,
        100,
        "none processed twice"
    );
    assert_eq!(a.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'message.received'").await, 100);
}

async fn quality_and_template_updates_change_state_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await; // WABA 9001 (helpers)
    let change = |field: &str, value: serde_json::Value| json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "time": now_ts(), "changes": [{"field": field, "value": value}]}]});
    let flagged = change(
        "phone_number_quality_update",
        json!({"display_phone_number": "15550001111", "event": "FLAGGED", "current_limit": "TIER_10K"}),
    );
    let approved = change(
        "message_template_status_update",
        json!({"event": "APPROVED", "message_template_id": 806312974732579i64,
        "message_template_name": "order_update", "message_template_language": "en_US", "reason": "NONE"}),
    );
    let rejected = change(
        "message_template_status_update",
        json!({"event": "REJECTED", "message_template_id": 806312974732579i64,
        "message_template_name": "order_update", "message_template_language": "en_US", "reason": "INVALID_FORMAT"}),
    );
    // One after another: template statuses do not commute (approved → rejected ≠ rejected →
    // approved), and with several webhook loops two stored deliveries may be processed in either
    // order. Ordering them by Meta's time is left to the templates issue (see the stop note).
    for p in [&flagged, &flagged, &approved, &approved, &rejected] {
        assert_eq!(app.webhook(p).await.status().as_u16(), 200);
        app.drained().await;
    }
    let acc = json(app.get(&shop.admin, "/api/v1/accounts").await).await;
    assert_eq!(acc["accounts"][0]["qualityRating"], "red");
    assert_eq!(acc["accounts"][0]["messagingTier"], "tier_10k");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'account.quality.updated'").await,
        1,
        "a redelivery changes nothing"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'template.status.updated'").await, 2, "approved, then rejected");
    assert_eq!(app.text("SELECT status FROM templates").await.as_deref(), Some("rejected"));
}

both_backends!(quality_and_template_updates_change_state_once);

#[tokio::test]
async fn slow_heads_and_connections_over_the_cap_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env = vec![("HTTP_HEADER_TIMEOUT_MS", "300".into()), ("HTTP_MAX_CONNECTIONS", "8".into())];
    let app = spawn_with(opts).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // A head that trickles in: closed after the header timeout, not held.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"POST /webhooks/whatsapp HTTP/1.1\r\nhost").await.unwrap();
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(3), slow.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "the slow head's connection was closed: {closed:?}");
    // Eight idle connections take every slot; the ninth is closed at once.
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut ninth = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let _ = ninth.write_all(b"GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let r = tokio::time::timeout(std::time::Duration::from_secs(1), ninth.read(&mut buf)).await;
    assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "over the cap: closed without an answer: {r:?}");
    // The idle ones are closed by the header timeout too, and the slots come back.
    drop(idle);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let live = app.http.get(app.url("/health/live")).send().await.unwrap();
    assert_eq!(live.status().as_u16(), 200);
    let metrics = app.metrics().await;
    assert!(metrics.contains(r#"http_connections_refused_total{reason="header_timeout"}"#), "{metrics}");
    assert!(!metrics.contains(r#"http_connections_refused_total{reason="connection_limit"} 0"#), "{metrics}");
}

/// A send whose answer was lost is failed as "outcome unknown"; its status webhooks carry our id
/// (`biz_opaque_callback_data`), so it is recovered: wamid recorded, status moving on, an event.
async fn a_send_whose_answer_was_lost_is_recovered_from_its_statuses(backend: Backend) {
    let meta = fake_meta().await;
    // Meta accepted it, but the answer that reached us has no message id.
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp"})))
        .mount(&meta)
        .await;
    let mut opts = Opts::new(backend);
    opts.graph_base = Some(meta.uri());
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let r = app
        .post(
            &shop.admin,
            "/api/v1/messages/template",
            json!({"from": NUMBER, "to": format!("+{CUSTOMER}"), "template": {"name": "order_update", "language": "en_US"}}),
        )
        .await;
    // The call waited for Meta's answer and got none it could use: WHATSAPP_API_ERROR naming it.
    let body = json(r).await;
    assert_eq!(body["error"]["details"]["kind"], "outcome_unknown", "{body}");
    let id = body["error"]["details"]["messageId"].as_str().unwrap().to_owned();
    let get = || async { json(app.get(&shop.admin, &format!("/api/v1/messages/{id}")).await).await };
    wait_for("failed as outcome unknown", || async { get().await["status"] == "failed" }).await;
    let sent: serde_json::Value = serde_json::from_slice(&posts(&meta).await[0].body).unwrap();
    assert_eq!(sent["biz_opaque_callback_data"], id, "every send carries our id");
    let with_callback = |st: &str| {
        messages_change(
            PNID,
            "15550001111",
            json!({"statuses": [{"id": "wamid.LOST", "status": st, "timestamp": now_ts().to_string(), "recipient_id": CUSTOMER,
                "biz_opaque_callback_data": id}]}),
        )
    };
    app.webhook(&with_callback("delivered")).await;
    app.drained().await;
    let m = get().await;
    assert_eq!(m["status"], "delivered");
    assert_eq!(m["messageId"], "wamid.LOST");
    assert!(m["error"].is_null(), "{m}");
    app.webhook(&status(PNID, "wamid.LOST", "read", now_ts())).await;
    app.drained().await;
    assert_eq!(get().await["status"], "read", "later statuses find it by its wamid");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'message.recovered'").await, 1);
}

both_backends!(a_send_whose_answer_was_lost_is_recovered_from_its_statuses);

/// Concurrent webhooks are committed in groups; every one is stored once and answered after
/// its group's commit, and the metrics show the groups.
async fn concurrent_webhooks_are_committed_in_groups(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut calls = Vec::new();
    for i in 0..64 {
        let payload = inbound(PNID, CUSTOMER, vec![text_message(&format!("wamid.G{i}"), CUSTOMER, now_ts(), "x")]);
        let body = serde_json::to_vec(&payload).unwrap();
        let sig = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), &body);
        let (http, url) = (app.http.clone(), app.url("/webhooks/whatsapp"));
        calls.push(tokio::spawn(async move {
            http.post(url).header("x-hub-signature-256", sig).body(body).send().await.unwrap().status().as_u16()
        }));
    }
    for c in calls {
        assert_eq!(c.await.unwrap(), 200);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_events").await, 64);
    let metrics = app.metrics().await;
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
            .unwrap_or_else(|| panic!("{name}:\n{metrics}"))
    };
    assert_eq!(value("whatsapp_webhook_commit_group_size_sum"), 64.0, "every delivery in exactly one group");
    let groups = value("whatsapp_webhook_commit_group_size_count");
    assert!((1.0..=64.0).contains(&groups), "{groups} groups");
}

both_backends!(concurrent_webhooks_are_committed_in_groups);
