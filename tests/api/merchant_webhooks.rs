//! Merchant webhooks end to end: a subscription to the sandbox's receiver gets the shop's events
//! as signed CloudEvents, verified here with the Standard Webhooks project's own library; an
//! outage is retried until it passes; a rotated secret signs beside the old one; bad URLs are
//! refused; 50 failures in a row disable it with an event; a ping shows in the log.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511987654321";

async fn received(app: &TestApp) -> Vec<Value> {
    json(app.http.get(app.url("/sandbox/webhook-receiver")).send().await.unwrap()).await.as_array().unwrap().clone()
}

/// Verify a received delivery with the Standard Webhooks library and this secret.
fn verifies(r: &Value, secret: &str) -> bool {
    let mut headers = poem::http::HeaderMap::new();
    for (k, v) in [("webhook-id", "webhookId"), ("webhook-timestamp", "webhookTimestamp"), ("webhook-signature", "webhookSignature")] {
        headers.insert(k, r[v].as_str().unwrap().parse().unwrap());
    }
    standardwebhooks::Webhook::new(secret).unwrap().verify(r["raw"].as_str().unwrap().as_bytes(), &headers).is_ok()
}

async fn a_receiver_gets_every_event_signed_despite_an_outage(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    app.connect(k, PNID, NUMBER).await;
    let receiver = app.url("/sandbox/webhook-receiver");
    let r = app
        .post(k, "/api/v1/webhook-subscriptions", json!({"url": receiver, "eventTypes": ["message.received", "conversation.started"]}))
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let sub = json(r).await;
    let secret = sub["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = sub["id"].as_str().unwrap().to_owned();
    assert!(json(app.get(k, &format!("/api/v1/webhook-subscriptions/{id}")).await).await["secret"].is_null(), "shown once");
    let stored = app.text(&format!("SELECT secret FROM webhook_subscriptions WHERE id = {}", app.uuid_sql(&id))).await.unwrap();
    assert!(!stored.contains(&secret[6..]), "encrypted at rest");

    app.customer_says(PNID, WA, "oi").await;
    wait_for("two deliveries", || async { received(&app).await.len() == 2 }).await;
    let got = received(&app).await;
    // Deliveries go concurrently: no order is promised (a receiver orders by the envelope's time).
    let mut types: Vec<&str> = got.iter().map(|r| r["body"]["type"].as_str().unwrap()).collect();
    types.sort();
    assert_eq!(types, ["whatsapp.conversation.started", "whatsapp.message.received"]);
    assert!(got.iter().all(|r| verifies(r, &secret)), "{got:?}");
    assert!(!verifies(&got[0], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "another secret does not verify");

    // An outage: the receiver answers 503; the delivery is retried (5 s later) and passes once
    // the receiver is back.
    let down = format!("{receiver}?status=503");
    assert!(app.patch(k, &format!("/api/v1/webhook-subscriptions/{id}"), json!({"url": down})).await.status().is_success());
    app.customer_says(PNID, WA, "still there?").await;
    wait_for("a failed attempt", || async { received(&app).await.iter().any(|r| r["status"] == 503) }).await;
    assert!(app.patch(k, &format!("/api/v1/webhook-subscriptions/{id}"), json!({"url": receiver})).await.status().is_success());
    wait_for("the retry", || async { received(&app).await.iter().filter(|r| r["status"] == 200).count() == 3 }).await;
    // The receiver has it before the service records the attempt (after the post returns).
    let deliveries = format!("/api/v1/webhook-subscriptions/{id}/deliveries");
    wait_for("the retry recorded", || async { json(app.get(k, &deliveries).await).await["items"][0]["state"] == "delivered" }).await;
    let log = json(app.get(k, &deliveries).await).await;
    assert_eq!(log["total"], 3);
    let retried = &log["items"][0];
    assert_eq!(
        (retried["state"].as_str(), retried["attempts"].as_u64(), retried["lastStatus"].as_u64()),
        (Some("delivered"), Some(2), Some(200))
    );
    let all = received(&app).await;
    let ok: Vec<&Value> = all.iter().filter(|r| r["status"] == 200).collect();
    let ids: std::collections::HashSet<&str> = ok.iter().map(|r| r["webhookId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "each event delivered once");
    let failed = all.iter().find(|r| r["status"] == 503).unwrap();
    assert!(ok.iter().any(|r| r["webhookId"] == failed["webhookId"]), "the retry carries the same webhook-id");
    assert!(ok.iter().all(|r| verifies(r, &secret)));

    // Rotation: both secrets sign for a day.
    let rotated = json(app.patch(k, &format!("/api/v1/webhook-subscriptions/{id}"), json!({"rotateSecret": true})).await).await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previousSecretUntil"].is_string());
    let ping = json(app.post(k, &format!("/api/v1/webhook-subscriptions/{id}/ping"), json!({})).await).await;
    assert_eq!((ping["state"].as_str(), ping["lastStatus"].as_u64()), (Some("delivered"), Some(200)));
    let last = received(&app).await.pop().unwrap();
    assert_eq!(last["body"]["type"], "whatsapp.webhook_subscription.ping");
    assert_eq!(last["webhookSignature"].as_str().unwrap().split(' ').count(), 2);
    assert!(verifies(&last, &new_secret) && verifies(&last, &secret));
}

async fn bad_urls_are_refused_and_fifty_failures_disable_a_subscription(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    app.connect(k, PNID, NUMBER).await;
    let agent = app.create_key(k, &shop.id, "agent").await;
    let receiver = app.url("/sandbox/webhook-receiver");
    expect_error(app.post(&agent, "/api/v1/webhook-subscriptions", json!({"url": receiver, "eventTypes": ["*"]})).await, 403, "FORBIDDEN")
        .await;
    for (url, field) in [
        ("https://169.254.169.254/latest/meta-data", "url"),
        (&*app.url("/api/v1/messages/send"), "url"),
        ("http://hooks.example.com/x", "url"),
        ("https://10.1.2.3/x", "url"),
    ] {
        let e = expect_error(
            app.post(k, "/api/v1/webhook-subscriptions", json!({"url": url, "eventTypes": ["*"]})).await,
            422,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(e["error"]["details"]["field"], field, "{url}: {e}");
    }
    let e = expect_error(
        app.post(k, "/api/v1/webhook-subscriptions", json!({"url": receiver, "eventTypes": ["message.received", "nope"]})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "eventTypes[1]");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_subscriptions").await, 0, "nothing partly saved");

    let down = format!("{receiver}?status=500");
    let sub = json(app.post(k, "/api/v1/webhook-subscriptions", json!({"url": down, "eventTypes": ["*"]})).await).await;
    let id = sub["id"].as_str().unwrap().to_owned();
    // Played: 49 failures in a row already.
    app.exec(&format!("UPDATE webhook_subscriptions SET consecutive_failures = 49 WHERE id = {}", app.uuid_sql(&id))).await;
    app.customer_says(PNID, WA, "oi").await;
    wait_for("disabled", || async { json(app.get(k, &format!("/api/v1/webhook-subscriptions/{id}")).await).await["status"] == "disabled" })
        .await;
    let s = json(app.get(k, &format!("/api/v1/webhook-subscriptions/{id}")).await).await;
    assert_eq!(s["disabledReason"], "failures");
    wait_for("the event", || async {
        app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'webhook_subscription.disabled'").await == 1
    })
    .await;
    // Disabled: nothing more is sent; enabled again, it starts over.
    let before = received(&app).await.len();
    app.customer_says(PNID, WA, "hello?").await;
    app.drained().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(received(&app).await.len(), before);
    let enabled = json(app.patch(k, &format!("/api/v1/webhook-subscriptions/{id}"), json!({"active": true, "url": receiver})).await).await;
    assert_eq!((enabled["status"].as_str(), enabled["consecutiveFailures"].as_u64()), (Some("active"), Some(0)));
    assert_eq!(app.delete(k, &format!("/api/v1/webhook-subscriptions/{id}")).await.status().as_u16(), 204);
    expect_error(app.get(k, &format!("/api/v1/webhook-subscriptions/{id}/deliveries")).await, 404, "NOT_FOUND").await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM webhook_deliveries").await, 0, "its log went with it");
}

both_backends!(a_receiver_gets_every_event_signed_despite_an_outage, bad_urls_are_refused_and_fifty_failures_disable_a_subscription);
