//! The live stream (`GET /api/v1/stream`): every change of the shop, once, in order, from
//! whichever replica committed it; a reconnect with `Last-Event-ID` gets exactly what it
//! missed; a key bound to a member sees only that member's conversations.

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sse {
    id: i64,
    event: String,
    data: Value,
}

/// A connected stream client, reading events as they come.
struct Client {
    r: reqwest::Response,
    buf: String,
    ready: VecDeque<Sse>,
}

impl Client {
    async fn open(app: &TestApp, key: &str, query: &str, last: Option<i64>) -> Self {
        let mut req = app.http.get(app.url(&format!("/api/v1/stream{query}"))).bearer_auth(key);
        if let Some(l) = last {
            req = req.header("Last-Event-ID", l.to_string());
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Self { r, buf: String::new(), ready: VecDeque::new() }
    }

    /// The next event within `wait`, or `None`.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Some(e);
            }
            let chunk = tokio::time::timeout_at(until, self.r.chunk()).await.ok()?.unwrap()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                // A comment (the keep-alive) has no id.
                if let Some(id) = id {
                    self.ready.push_back(Sse { id, event, data: serde_json::from_str(&data).unwrap() });
                }
            }
        }
    }

    /// Events until one of `event` about `subject` (or any, if `None`) arrives.
    async fn until(&mut self, event: &str, subject: Option<&str>) -> Vec<Sse> {
        let mut seen = Vec::new();
        loop {
            let e = self.next(Duration::from_secs(10)).await.unwrap_or_else(|| panic!("no {event} within 10 s; saw {seen:?}"));
            let done = e.event == event && subject.is_none_or(|s| e.data["subject"] == s);
            seen.push(e);
            if done {
                return seen;
            }
        }
    }
}

async fn conversation_of(app: &TestApp, key: &str, wa: &str) -> String {
    app.customer_says(PNID, wa, "hello").await;
    let path = format!("/api/v1/conversations/status?waId={wa}");
    wait_for("the conversation", || async { json(app.get(key, &path).await).await["conversationId"].is_string() }).await;
    json(app.get(key, &path).await).await["conversationId"].as_str().unwrap().to_owned()
}

async fn the_stream_shows_each_change_once_and_replays_what_was_missed(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let other = app.create_shop("t").await;
    app.connect(&other.admin, "1065403599", "+15550002222").await;
    let mut live = Client::open(&app, &k, "", None).await;

    // A customer writes: the shop's stream shows it; another shop's customer is not its business.
    app.customer_says("1065403599", "5511900000099", "not yours").await;
    let c = conversation_of(&app, &k, "5511900000041").await;
    let seen = live.until("message.received", Some(&c)).await;
    assert!(seen.iter().all(|e| e.data["source"] == json!(format!("/shops/{}", shop.id))), "{seen:?}");
    let received = seen.last().unwrap();
    assert_eq!(
        (received.data["type"].as_str(), received.data["data"]["conversationId"].as_str()),
        (Some("whatsapp.message.received"), Some(c.as_str()))
    );
    let ids: Vec<i64> = seen.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");

    // People work it: each change comes once.
    app.post(&k, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "first"})).await;
    let notes = live.until("conversation.note.added", Some(&c)).await;
    assert_eq!(notes.iter().filter(|e| e.event == "conversation.note.added").count(), 1);
    let last = notes.last().unwrap().id;
    drop(live);

    // 100 notes while away: a reconnect with the last id gets exactly those, in order.
    let mut written = Vec::new();
    for i in 0..100 {
        let n = json(app.post(&k, &format!("/api/v1/conversations/{c}/notes"), json!({"body": format!("note {i}")})).await).await;
        written.push(n["id"].as_str().unwrap().to_owned());
    }
    let mut back = Client::open(&app, &k, "?types=conversation.note.added", Some(last)).await;
    let mut replayed = Vec::new();
    while replayed.len() < 100 {
        let e = back.next(Duration::from_secs(10)).await.unwrap_or_else(|| panic!("only {} of 100 replayed", replayed.len()));
        replayed.push(e);
    }
    let got: Vec<String> = replayed.iter().map(|e| e.data["data"]["noteId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(got, written);
    assert!(back.next(Duration::from_millis(600)).await.is_none(), "nothing more: each once");
    // Asked types only: a message is not a note.
    app.customer_says(PNID, "5511900000041", "still there?").await;
    app.post(&k, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "after"})).await;
    let next = back.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(next.event, "conversation.note.added");

    // Bad input, in the contract's body.
    let bad = app.http.get(app.url("/api/v1/stream")).bearer_auth(&k).header("Last-Event-ID", "soon").send().await.unwrap();
    let e = expect_error(bad, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "Last-Event-ID");
    let e = expect_error(app.get(&k, "/api/v1/stream?types=message.nope").await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "types");
    expect_error(app.http.get(app.url("/api/v1/stream")).send().await.unwrap(), 401, "UNAUTHORIZED").await;
}

both_backends!(the_stream_shows_each_change_once_and_replays_what_was_missed);

/// A client on an API-only replica sees what a worker replica commits, within 2 s; a key bound
/// to a member sees only that member's conversations.
#[tokio::test]
async fn an_api_only_replica_streams_what_a_worker_replica_commits() {
    let Some(pg) = Backend::postgres() else { return };
    let worker = spawn_app(pg.clone()).await;
    let mut opts = Opts::new(pg);
    opts.database_url = Some(worker.db_url.clone());
    opts.workers = false;
    let api_only = spawn_with(opts).await;

    let shop = worker.create_shop("s").await;
    let k = shop.admin.clone();
    worker.connect(&k, PNID, NUMBER).await;
    let ana = json(worker.post(&k, "/api/v1/agents", json!({"name": "Ana", "email": "ana@shop.example.com"})).await).await;
    let ana = ana["id"].as_str().unwrap().to_owned();
    let keys = format!("/api/v1/shops/{}/api-keys", shop.id);
    let ana_key = json(worker.post(&k, &keys, json!({"name": "Ana", "role": "agent", "memberId": ana})).await).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut all = Client::open(&api_only, &k, "", None).await;
    let mut anas = Client::open(&api_only, &ana_key, "", None).await;

    let started = std::time::Instant::now();
    let c = conversation_of(&worker, &k, "5511900000051").await;
    all.until("message.received", Some(&c)).await;
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());

    // Ana's conversation and one that is not hers: notes on both, hers alone reach her.
    let theirs = conversation_of(&worker, &k, "5511900000052").await;
    let r = worker.post(&k, &format!("/api/v1/conversations/{c}/assign"), json!({"memberId": ana})).await;
    assert_eq!(r.status().as_u16(), 200);
    worker.post(&k, &format!("/api/v1/conversations/{theirs}/notes"), json!({"body": "not for Ana"})).await;
    worker.post(&k, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "for Ana"})).await;
    all.until("conversation.note.added", Some(&c)).await;
    let seen = anas.until("conversation.note.added", Some(&c)).await;
    assert!(seen.iter().all(|e| e.data["data"]["conversationId"] == json!(c)), "{seen:?}");
    assert!(seen.iter().any(|e| e.event == "conversation.assigned"), "her assignment: {seen:?}");
}
