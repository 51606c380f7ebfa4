//! `Idempotency-Key` on sends (Stripe's semantics): the same key and body within 24 hours answer
//! what the first request answered and send nothing more, on one replica or two; another body
//! gets 409; a refused request is not remembered; keys go after a day and with an erasure.

use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const CUSTOMER: &str = "+5511987654321";

fn order_template(name: &str) -> Value {
    json!({"from": NUMBER, "to": CUSTOMER, "template": {"name": "hello_world", "language": "en_US",
        "components": [{"type": "body", "parameters": [{"type": "text", "text": name}]}]}})
}

async fn named(app: &TestApp, key: &str, path: &str, idempotency_key: &str, body: String) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency_key)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request")
}

async fn sandbox_sends(app: &TestApp) -> usize {
    json(app.http.get(app.url("/sandbox/outbox")).send().await.unwrap()).await.as_array().unwrap().len()
}

async fn a_named_send_goes_once_and_is_answered_the_same(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let path = "/api/v1/messages/template";

    let first = named(&app, &k, path, "order-42", order_template("Ana").to_string()).await;
    assert_eq!(first.status().as_u16(), 200);
    let first = first.text().await.unwrap();
    // The same request again, spaced and ordered differently: the first answer, nothing sent.
    let respaced = format!("{{ \"template\": {}, \"to\": \"{CUSTOMER}\",   \"from\": \"{NUMBER}\" }}", order_template("Ana")["template"]);
    for _ in 0..2 {
        let again = named(&app, &k, path, "order-42", respaced.clone()).await;
        assert_eq!(again.status().as_u16(), 200);
        assert_eq!(again.text().await.unwrap(), first, "the first answer, byte for byte");
    }
    assert_eq!(sandbox_sends(&app).await, 1, "Meta saw one send");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, 1);

    // The message says who sent it: the key, named as the audit log names it.
    let key_id = json(app.get(&k, &format!("/api/v1/shops/{}/api-keys", shop.id)).await).await[0]["id"].as_str().unwrap().to_owned();
    let listed = app.messages(&k, "waId=5511987654321").await;
    assert_eq!(listed["messages"][0]["sentBy"], json!({"type": "api_key", "id": key_id}));
    wait_for("message.sent", || async { app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'message.sent'").await == 1 }).await;
    let envelope = app.texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'message.sent'").await;
    let envelope: Value = serde_json::from_str(&envelope[0]).unwrap();
    assert_eq!(envelope["data"]["sentBy"], json!({"type": "api_key", "id": key_id}), "{envelope}");

    // Another body under the key, or the key on the other send operation: refused.
    let e = expect_error(named(&app, &k, path, "order-42", order_template("Bia").to_string()).await, 409, "IDEMPOTENCY_KEY_REUSED").await;
    assert_eq!(e["error"]["details"]["field"], "Idempotency-Key");
    let other_operation = named(&app, &k, "/api/v1/messages/send", "order-42", order_template("Ana").to_string()).await;
    expect_error(other_operation, 409, "IDEMPOTENCY_KEY_REUSED").await;

    // Bad keys name the header.
    for bad in ["k".repeat(256), String::new(), "pedido-ã".into()] {
        let e = expect_error(named(&app, &k, path, &bad, order_template("Ana").to_string()).await, 422, "VALIDATION_FAILED").await;
        assert_eq!(e["error"]["details"]["field"], "Idempotency-Key", "{bad}");
    }
    assert!(named(&app, &k, path, &"k".repeat(255), order_template("Cy").to_string()).await.status().is_success(), "255 characters");

    // A refused request is not remembered: the same key may carry the corrected request.
    let text = json!({"from": NUMBER, "to": CUSTOMER, "content": {"type": "text", "text": "hi"}}).to_string();
    expect_error(named(&app, &k, "/api/v1/messages/send", "retry-me", text).await, 422, "CONVERSATION_WINDOW_CLOSED").await;
    let fixed = named(&app, &k, "/api/v1/messages/send", "retry-me", order_template("Di").to_string()).await;
    assert_eq!(fixed.status().as_u16(), 200);

    // Keys are each shop's own.
    let other = app.create_shop("t").await;
    app.connect(&other.admin, "1065403599", "+15550002222").await;
    let theirs = json!({"from": "+15550002222", "to": CUSTOMER, "template": order_template("Ana")["template"]}).to_string();
    assert_eq!(named(&app, &other.admin, path, "order-42", theirs).await.status().as_u16(), 200);
    assert_eq!(sandbox_sends(&app).await, 4);

    // After a day a key is forgotten by the hourly job.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM idempotency_keys").await, 4);
    app.exec(&format!(
        "UPDATE idempotency_keys SET created_at = '{}' WHERE key = 'order-42' AND shop_id = {}",
        (chrono::Utc::now() - chrono::Duration::hours(25)).format("%Y-%m-%d %H:%M:%S%.6f+00:00"),
        app.uuid_sql(&shop.id)
    ))
    .await;
    let summary = app.state.jobs.run_now("idempotency-keys").await.unwrap();
    assert_eq!(summary, "1 idempotency keys forgotten");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM idempotency_keys").await, 3);

    // An erasure forgets the keys of the customer's messages.
    let id = json(app.get(&k, "/api/v1/customers/by-wa-id/5511987654321").await).await["customer"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.delete(&k, &format!("/api/v1/customers/{id}")).await.status().as_u16(), 200);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM idempotency_keys").await, 1, "only the other shop's key is left");
}

both_backends!(a_named_send_goes_once_and_is_answered_the_same);

/// Ten retries of one named send at once, half on each of two replicas: one message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_racing_one_key_send_once() {
    let Some(pg) = Backend::postgres() else { return };
    let a = Arc::new(spawn_with(Opts::new(pg.clone())).await);
    let mut b_opts = Opts::new(pg);
    b_opts.database_url = Some(a.db_url.clone());
    let b = Arc::new(spawn_with(b_opts).await);
    let shop = a.create_shop("s").await;
    a.connect(&shop.admin, PNID, NUMBER).await;
    let answers = join_all((0..10).map(|i| {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        let k = shop.admin.clone();
        async move {
            let r = named(&app, &k, "/api/v1/messages/template", "race", order_template("Ana").to_string()).await;
            assert!(matches!(r.status().as_u16(), 200 | 202), "{}", r.status());
            json(r).await["id"].as_str().unwrap().to_owned()
        }
    }))
    .await;
    assert!(answers.iter().all(|id| *id == answers[0]), "every retry names the one message: {answers:?}");
    assert_eq!(a.scalar("SELECT COUNT(*) FROM messages").await, 1);
    // Queued once, sent once: once its queue row is gone, the one message has left the queue.
    // (Counting both at one instant raced with the dispatcher: sent, its row not yet removed.)
    wait_for("the queue drained", || async { a.scalar("SELECT COUNT(*) FROM deliveries").await == 0 }).await;
    assert_eq!(a.scalar("SELECT COUNT(*) FROM messages WHERE status <> 'queued'").await, 1);
}

/// A named send of one of our files: a retry answers from its key before the file is made ready
/// again (which may upload it to Meta), so it gets the first answer even once the file is gone.
async fn a_retried_file_send_answers_from_its_key_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    app.customer_says(PNID, CUSTOMER, "send me the invoice").await;
    app.drained().await;
    let pdf = domain::media::rules::samples::pdf(10_000);
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(pdf).file_name("invoice.pdf").mime_str("application/pdf").unwrap());
    let r = app.http.post(app.url("/api/v1/media")).bearer_auth(&k).multipart(form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let file = json(r).await["id"].as_str().unwrap().to_owned();
    let body = json!({"from": NUMBER, "to": CUSTOMER, "content": {"type": "document", "mediaId": file}}).to_string();
    let first = named(&app, &k, "/api/v1/messages/send", "invoice-7", body.clone()).await;
    assert!(first.status().is_success(), "{}", first.status());
    let first = first.text().await.unwrap();

    app.exec(&format!("UPDATE media SET state = 'expired' WHERE id = {}", app.uuid_sql(&file))).await;
    let again = named(&app, &k, "/api/v1/messages/send", "invoice-7", body.clone()).await;
    assert!(again.status().is_success(), "{}", again.status());
    assert_eq!(again.text().await.unwrap(), first);
    let fresh = app
        .http
        .post(app.url("/api/v1/messages/send"))
        .bearer_auth(&k)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let e = expect_error(fresh, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "content.mediaId", "without the key, the gone file is refused");
    assert_eq!(sandbox_sends(&app).await, 1);
}

both_backends!(a_retried_file_send_answers_from_its_key_first);
