//! Integration events: the outbox relay to in-process subscribers and to RabbitMQ.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, Consumer, ExchangeKind};
use serde_json::Value;

use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

#[tokio::test]
async fn events_reach_in_process_subscribers_in_order() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut rx = app.state.bus.subscribe();
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    app.customer_says(PNID, "+5511987654321", "hi").await;
    let mut types = Vec::new();
    while types.len() < 4 {
        let env = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("an event").unwrap();
        assert_eq!(env["specversion"], "1.0");
        assert_eq!(env["source"], format!("/shops/{}", shop.id));
        types.push(env["type"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        types,
        ["whatsapp.account.connected", "whatsapp.customer.created", "whatsapp.conversation.started", "whatsapp.message.received"]
    );
    wait_for("outbox marked published", || async { app.scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").await == 0 }).await;
    let ready = json(app.http.get(app.url("/health/ready")).send().await.unwrap()).await;
    assert_eq!(ready["checks"]["broker"]["outbox"]["pending"], 0);
}

async fn consumer(url: &str) -> (Connection, Consumer) {
    let conn = Connection::connect(url, ConnectionProperties::default()).await.expect("connect to TEST_AMQP_URL");
    let ch = conn.create_channel().await.unwrap();
    ch.exchange_declare(
        "whatsapp.events".into(),
        ExchangeKind::Topic,
        ExchangeDeclareOptions { durable: true, ..Default::default() },
        FieldTable::default(),
    )
    .await
    .unwrap();
    let q = ch
        .queue_declare("".into(), QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() }, FieldTable::default())
        .await
        .unwrap();
    ch.queue_bind(q.name().clone(), "whatsapp.events".into(), "#".into(), QueueBindOptions::default(), FieldTable::default())
        .await
        .unwrap();
    let c = ch.basic_consume(q.name().clone(), "test".into(), BasicConsumeOptions::default(), FieldTable::default()).await.unwrap();
    (conn, c)
}

struct Received {
    routing_key: String,
    content_type: String,
    message_id: String,
    delivery_mode: u8,
    body: Value,
}

/// Receive until `n` events of `shop` arrived (the broker is shared by concurrent tests), or
/// `within` passes; then wait briefly for any duplicate.
/// A consumer on the test exchange and an app publishing to RabbitMQ (`None` without
/// `TEST_AMQP_URL` outside CI).
async fn with_broker() -> Option<(Connection, Consumer, TestApp)> {
    let url = amqp_url()?;
    let (conn, c) = consumer(&url).await;
    let mut opts = Opts::new(Backend::Sqlite);
    opts.amqp_url = Some(url);
    Some((conn, c, spawn_with(opts).await))
}

async fn receive(c: &mut Consumer, shop: &str, n: usize, within: Duration) -> Vec<Received> {
    let mut out: Vec<Received> = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    let mut grace = None;
    loop {
        let until = grace.unwrap_or(deadline);
        let Ok(Some(Ok(d))) = tokio::time::timeout_at(until, c.next()).await else { break };
        d.ack(BasicAckOptions::default()).await.unwrap();
        let body: Value = serde_json::from_slice(&d.data).unwrap();
        if body["source"] != format!("/shops/{shop}") {
            continue;
        }
        out.push(Received {
            routing_key: d.routing_key.to_string(),
            content_type: d.properties.content_type().as_ref().map(|s| s.to_string()).unwrap_or_default(),
            message_id: d.properties.message_id().as_ref().map(|s| s.to_string()).unwrap_or_default(),
            delivery_mode: d.properties.delivery_mode().unwrap_or(0),
            body,
        });
        if out.len() >= n && grace.is_none() {
            grace = Some(tokio::time::Instant::now() + Duration::from_millis(500));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_published_to_rabbitmq_as_documented() {
    let Some((_conn, mut c, app)) = with_broker().await else { return };
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    app.customer_says(PNID, "+5511987654321", "hi").await;
    let got = receive(&mut c, &shop.id, 4, Duration::from_secs(10)).await;
    let keys: Vec<&str> = got.iter().map(|r| r.routing_key.as_str()).collect();
    assert_eq!(keys, ["account.connected", "customer.created", "conversation.started", "message.received"]);
    for r in &got {
        assert_eq!(r.content_type, "application/cloudevents+json");
        assert_eq!(r.delivery_mode, 2, "persistent");
        assert_eq!(r.message_id, r.body["id"].as_str().unwrap(), "message_id is the event id");
        assert_eq!(r.body["type"], format!("whatsapp.{}", r.routing_key));
        assert_eq!(r.body["datacontenttype"], "application/json");
        assert_eq!(r.body["data"]["shopId"], shop.id.as_str());
    }
    let received = &got[3].body;
    assert_eq!(received["data"]["waId"], "5511987654321");
    assert_eq!(received["subject"], received["data"]["conversationId"]);
    let ready = json(app.http.get(app.url("/health/ready")).send().await.unwrap()).await;
    assert_eq!(ready["checks"]["broker"]["status"], "up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_events_reach_rabbitmq() {
    let Some((_conn, mut c, app)) = with_broker().await else { return };
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let created = json(app.post(&k, "/api/v1/customers", serde_json::json!({"waId": "5511900000001", "name": "Ana"})).await).await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.post(&k, &format!("/api/v1/customers/{id}/tags"), serde_json::json!({"tags": ["VIP"]})).await;
    app.post(&k, &format!("/api/v1/customers/{id}/consent"), serde_json::json!({"purpose": "marketing", "status": "opted_in"})).await;
    app.delete(&k, &format!("/api/v1/customers/{id}")).await;
    let got = receive(&mut c, &shop.id, 4, Duration::from_secs(10)).await;
    let keys: Vec<&str> = got.iter().map(|r| r.routing_key.as_str()).collect();
    assert_eq!(keys, ["customer.created", "customer.updated", "customer.opt_in.changed", "customer.erased"]);
    assert_eq!(got[2].body["data"]["purpose"], "marketing");
    assert!(got.iter().all(|r| r.body["subject"] == id.as_str()), "one subject, in order");
    assert!(got[3].body["data"]["waId"].as_str().unwrap().starts_with('0'), "the erased event carries the pseudonym");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_events_reach_rabbitmq() {
    let Some((_conn, mut c, app)) = with_broker().await else { return };
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let draft = serde_json::json!({"name": "order_update", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order ships.", "example": {"body_text": [["Ana"]]}}]});
    let made = json(app.post(&k, "/api/v1/templates", draft).await).await;
    // Meta's review (the sandbox approves after its status delay) arrives by webhook.
    let got = receive(&mut c, &shop.id, 3, Duration::from_secs(10)).await;
    let keys: Vec<&str> = got.iter().map(|r| r.routing_key.as_str()).collect();
    assert_eq!(keys, ["account.connected", "template.created", "template.status.updated"]);
    assert!(got[1..].iter().all(|r| r.body["subject"] == made["metaTemplateId"]), "one subject: Meta's template id");
    assert_eq!(
        (got[1].body["data"]["status"].as_str(), got[2].body["data"]["status"].as_str()),
        (Some("pending"), Some("approved")),
        "statuses in lowercase in both events"
    );
}

/// A TCP forwarder to the broker that starts refusing and can be opened later.
async fn start_proxy(listen_port: u16, target: String) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", listen_port)).await.unwrap();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                }
            });
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_delays_events_but_loses_none() {
    let Some(url) = amqp_url() else { return };
    let (_conn, mut c) = consumer(&url).await;
    // The service talks to the broker through a port where nothing listens yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let broker_host = url.split('@').nth(1).unwrap().split('/').next().unwrap().to_owned();
    let proxied = url.replace(&broker_host, &format!("127.0.0.1:{port}"));
    let mut opts = Opts::new(Backend::Sqlite);
    opts.amqp_url = Some(proxied);
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    for i in 0..5 {
        app.customer_says(PNID, &format!("+55119876543{i:02}"), "hi").await;
    }
    app.drained().await;
    // 1 account + 5 × (customer, conversation, message) = 16 events, all waiting.
    let waiting = app.scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").await;
    assert_eq!(waiting, 16);
    let ready = app.http.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200, "a degraded broker does not fail readiness");
    let ready = json(ready).await;
    assert_eq!(ready["checks"]["broker"]["status"], "degraded");
    assert_eq!(ready["checks"]["broker"]["outbox"]["pending"], 16);
    // The API keeps working during the outage.
    assert_eq!(app.get(&shop.admin, "/api/v1/messages").await.status().as_u16(), 200);

    // The broker comes back: every event arrives, in order per subject, none twice.
    let _proxy = start_proxy(port, broker_host).await;
    let got = receive(&mut c, &shop.id, 16, Duration::from_secs(45)).await;
    let ids: Vec<String> = got.iter().map(|r| r.message_id.clone()).collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 16, "all events arrived: {:?}", got.iter().map(|r| &r.routing_key).collect::<Vec<_>>());
    assert_eq!(unique.len(), 16, "none twice");
    let mut per_subject: HashMap<String, Vec<String>> = HashMap::new();
    for r in &got {
        per_subject.entry(r.body["subject"].as_str().unwrap().to_owned()).or_default().push(r.routing_key.clone());
    }
    for (subject, keys) in per_subject {
        if keys.len() == 2 {
            assert_eq!(keys, ["conversation.started", "message.received"], "order kept for {subject}");
        }
    }
    wait_for("outbox drained", || async { app.scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").await == 0 }).await;
}
