//! Turns end to end: a customer's burst answered once by the automated responses, the greeting
//! and the away message; a turn nobody takes goes to people, who keep the thread until they
//! answer or their time runs out; redeliveries, opt-outs, a dead replica's claim and a second
//! replica killed mid-burst never make a second answer.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511987654321";

fn rule(name: &str, keywords: &[(&str, &str)], answer: &str) -> Value {
    json!({
        "name": name,
        "trigger": "keywords",
        "keywords": keywords.iter().map(|(t, m)| json!({"text": t, "match": m})).collect::<Vec<_>>(),
        "answer": {"type": "text", "text": answer},
        "priority": 10
    })
}

/// The service's automated replies so far: (sent_by, text).
async fn automated(app: &TestApp) -> Vec<String> {
    app.texts("SELECT sent_by FROM messages WHERE direction = 'outbound' AND sent_by LIKE 'system:%' AND sent_by <> 'system:consent_confirmation' ORDER BY created_at").await
}

async fn turns(app: &TestApp, key: &str) -> Value {
    let conv =
        json(app.get(key, &format!("/api/v1/conversations/status?waId={WA}")).await).await["conversationId"].as_str().unwrap().to_owned();
    json(app.get(key, &format!("/api/v1/conversations/{conv}/turns")).await).await
}

async fn all_turns_done(app: &TestApp) {
    app.drained().await;
    wait_for("turns answered", || async { app.scalar("SELECT COUNT(*) FROM turns WHERE state <> 'done'").await == 0 }).await;
}

async fn a_burst_is_answered_once_and_a_redelivery_answers_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    app.connect(k, PNID, NUMBER).await;
    let r =
        app.post(k, "/api/v1/automated-responses", rule("Prices", &[("preço", "contains"), ("price", "contains")], "Bread: R$ 0,90")).await;
    assert_eq!(r.status().as_u16(), 201);
    let created = json(r).await;
    assert_eq!(created["keywords"][0], json!({"text": "preço", "match": "contains"}));
    let greeting = json!({"name": "Hello", "trigger": "greeting", "answer": {"type": "text", "text": "Welcome!"}});
    assert_eq!(app.post(k, "/api/v1/automated-responses", greeting.clone()).await.status().as_u16(), 201);
    expect_error(app.post(k, "/api/v1/automated-responses", greeting).await, 409, "CONFLICT").await;

    // Three messages within the quiet time (2 s): one turn, the greeting (a first message ever)
    // and one answer.
    let first = app.customer_says(PNID, WA, "Oi").await;
    app.customer_says(PNID, WA, "qual o PRECO").await;
    app.customer_says(PNID, WA, "do pão?").await;
    all_turns_done(&app).await;
    assert_eq!(automated(&app).await, ["system:greeting", "system:automated_response"]);
    let t = turns(&app, k).await;
    assert_eq!(t["total"], 1, "{t}");
    let turn = &t["items"][0];
    assert_eq!((turn["outcome"].as_str(), turn["responder"].as_str()), (Some("answered"), Some("automated_responses")));
    assert_eq!(turn["wamids"].as_array().unwrap().len(), 3);
    assert_eq!(turn["replies"].as_array().unwrap().len(), 2);
    assert!(turn["firstContact"].as_bool().unwrap());
    let due = chrono::DateTime::parse_from_rfc3339(turn["dueAt"].as_str().unwrap()).unwrap();
    let last = chrono::DateTime::parse_from_rfc3339(turn["lastMessageAt"].as_str().unwrap()).unwrap();
    assert_eq!((due - last).num_milliseconds(), 2000, "due at the last message plus the quiet time");
    let stats = json(app.get(k, &format!("/api/v1/automated-responses/{}", created["id"].as_str().unwrap())).await).await;
    assert_eq!(stats["matchedCount"], 1);
    assert!(stats["lastMatchedAt"].is_string());

    // Meta redelivers the first message: stored once, so no turn and no answer.
    let again = inbound(PNID, WA, vec![text_message(&first, WA, now_ts(), "Oi")]);
    assert_eq!(app.webhook(&again).await.status().as_u16(), 200);
    app.drained().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM turns").await, 1);
    assert_eq!(automated(&app).await.len(), 2);
}

async fn a_turn_nobody_takes_waits_for_people_who_keep_the_thread_until_they_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    app.connect(k, PNID, NUMBER).await;
    assert_eq!(app.post(k, "/api/v1/automated-responses", rule("Hours", &[("horario", "exact")], "9 to 18")).await.status().as_u16(), 201);

    app.customer_says(PNID, WA, "I need to change my order").await;
    all_turns_done(&app).await;
    let t = turns(&app, k).await;
    assert_eq!((t["items"][0]["outcome"].as_str(), t["items"][0]["reason"].as_str()), (Some("unanswered"), Some("no_responder")));
    let waiting = json(app.get(k, "/api/v1/conversations/waiting?olderThanMinutes=0").await).await;
    assert_eq!(waiting["total"], 1, "{waiting}");
    assert_eq!(waiting["items"][0]["owner"], json!({"type": "people", "memberId": null}));
    assert_eq!(json(app.get(k, "/api/v1/conversations/waiting").await).await["total"], 0, "not 15 minutes yet");
    let events = app.texts("SELECT event_type FROM outbox WHERE event_type LIKE 'conversation.%' ORDER BY seq").await;
    assert!(events.ends_with(&["conversation.owner.changed".to_owned(), "conversation.handed_off".to_owned()]), "{events:?}");
    let owner_changed =
        app.text("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'conversation.owner.changed'").await.unwrap();
    let owner_changed: Value = serde_json::from_str(&owner_changed).unwrap();
    assert_eq!(owner_changed["data"]["from"]["type"], "none");
    assert_eq!(owner_changed["data"]["reason"], "no_responder");

    // People own the thread: a keyword the rules know gets no automated answer now.
    app.customer_says(PNID, WA, "Horário?").await;
    all_turns_done(&app).await;
    assert_eq!(turns(&app, k).await["items"][0]["outcome"], "people");
    assert!(automated(&app).await.is_empty());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.handed_off'").await, 1, "handed off once");

    // Someone answers through the API: the thread stops waiting.
    let reply = json!({"from": NUMBER, "to": format!("+{WA}"), "content": {"type": "text", "text": "Sure, which item?"}});
    assert!(app.post(k, "/api/v1/messages/send", reply).await.status().is_success());
    wait_for("the answer recorded on the thread", || async {
        json(app.get(k, "/api/v1/conversations/waiting?olderThanMinutes=0").await).await["total"] == 0
    })
    .await;

    // Their time runs out (played by moving it): the thread goes back to the responders.
    app.exec("UPDATE threads SET owner_expires_at = '2000-01-01T00:00:00+00:00'").await;
    assert_eq!(app.state.jobs.run_now("thread-owner-expiry").await.unwrap(), "1 handed back");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.owner.changed'").await, 2);
    app.customer_says(PNID, WA, "horario").await;
    all_turns_done(&app).await;
    assert_eq!(turns(&app, k).await["items"][0]["outcome"], "answered");
    assert_eq!(automated(&app).await, ["system:automated_response"]);
}

async fn the_away_message_goes_outside_hours_once_per_period_and_opted_out_customers_get_no_automated_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    app.connect(k, PNID, NUMBER).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let closed = app.put(k, "/api/v1/shop-settings", json!({"timeZone": "UTC", "closedDates": [today], "handBackHours": 1})).await;
    assert_eq!(json(closed).await["openNow"], false);
    let away = json!({"name": "Away", "trigger": "away", "everyHours": 12, "answer": {"type": "text", "text": "Closed today"}});
    assert_eq!(app.post(k, "/api/v1/automated-responses", away).await.status().as_u16(), 201);
    assert_eq!(app.post(k, "/api/v1/automated-responses", rule("Prices", &[("price", "contains")], "Cheap")).await.status().as_u16(), 201);

    app.customer_says(PNID, WA, "hello?").await;
    all_turns_done(&app).await;
    let t = turns(&app, k).await;
    assert_eq!((t["items"][0]["reason"].as_str(), t["items"][0]["responder"].as_str()), (Some("outside_hours"), Some("away")));
    assert_eq!(automated(&app).await, ["system:away_message"]);
    // People took the thread for the shop's 1 hour; handed back, a second turn within the
    // period gets no second away message.
    app.exec("UPDATE threads SET owner_expires_at = '2000-01-01T00:00:00+00:00'").await;
    app.state.jobs.run_now("thread-owner-expiry").await.unwrap();
    app.customer_says(PNID, WA, "anyone there?").await;
    all_turns_done(&app).await;
    assert_eq!(turns(&app, k).await["items"][0]["reason"], "outside_hours");
    assert_eq!(automated(&app).await.len(), 1, "at most once per period");

    // Open again; the customer opts out: a keyword rule no longer answers them.
    assert!(app.put(k, "/api/v1/shop-settings", json!({"timeZone": "UTC"})).await.status().is_success());
    app.exec("UPDATE threads SET owner_expires_at = '2000-01-01T00:00:00+00:00'").await;
    app.state.jobs.run_now("thread-owner-expiry").await.unwrap();
    app.customer_says(PNID, WA, "STOP").await;
    all_turns_done(&app).await;
    assert_eq!(turns(&app, k).await["items"][0]["outcome"], "consent");
    app.customer_says(PNID, WA, "what is the price?").await;
    all_turns_done(&app).await;
    let t = turns(&app, k).await;
    assert_eq!((t["items"][0]["outcome"].as_str(), t["items"][0]["reason"].as_str()), (Some("unanswered"), Some("opted_out")));
    assert_eq!(automated(&app).await.len(), 1, "no automated answer to an opted-out customer");
}

async fn rules_are_checked_whole_and_turns_are_erased_and_exported_with_the_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    app.connect(k, PNID, NUMBER).await;
    let agent = app.create_key(k, &shop.id, "agent").await;
    expect_error(app.post(&agent, "/api/v1/automated-responses", rule("x", &[("a", "exact")], "b")).await, 403, "FORBIDDEN").await;
    let many: Vec<(String, &str)> = (0..10_000).map(|i| (format!("k{i}"), "exact")).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(t, m)| (t.as_str(), *m)).collect();
    let e = expect_error(app.post(k, "/api/v1/automated-responses", rule("Many", &many, "x")).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "keywords");
    let mut bad = rule("n", &[("!!", "fuzzy")], &"x".repeat(5000));
    bad["priority"] = json!(5000);
    let e = expect_error(app.post(k, "/api/v1/automated-responses", bad).await, 422, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["keywords[0].match", "keywords[0].text", "answer.text", "priority"], "{e}");
    let odd = json!({"name": "x", "trigger": "keywords", "keywords": [{"text": "a"}], "answer": {"type": "nope"}});
    let e = expect_error(app.post(k, "/api/v1/automated-responses", odd).await, 422, "VALIDATION_FAILED").await;
    assert!(e["error"]["details"]["field"].as_str().unwrap().starts_with("answer"), "{e}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM automated_responses").await, 0, "nothing partly saved");
    expect_error(app.get(k, &format!("/api/v1/conversations/{}/turns", uuid::Uuid::now_v7())).await, 404, "NOT_FOUND").await;

    // Replace keeps the statistics; delete; the audit log has all three.
    let created = json(app.post(k, "/api/v1/automated-responses", rule("Hi", &[("oi", "exact")], "Olá")).await).await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.customer_says(PNID, WA, "oi").await;
    all_turns_done(&app).await;
    let replaced = json(app.put(k, &format!("/api/v1/automated-responses/{id}"), rule("Hi!", &[("ola", "exact")], "Olá!")).await).await;
    assert_eq!((replaced["name"].as_str(), replaced["matchedCount"].as_i64()), (Some("Hi!"), Some(1)));
    assert_eq!(app.delete(k, &format!("/api/v1/automated-responses/{id}")).await.status().as_u16(), 204);
    expect_error(app.get(k, &format!("/api/v1/automated-responses/{id}")).await, 404, "NOT_FOUND").await;
    for action in ["automated_response.created", "automated_response.updated", "automated_response.deleted"] {
        let audit = json(app.get(k, &format!("/api/v1/audit-log?action={action}")).await).await;
        assert!(!audit["items"].as_array().unwrap().is_empty(), "{action}: {audit}");
    }

    // The customer's turns are exported, then erased with them.
    let customer = json(app.get(k, &format!("/api/v1/customers/by-wa-id/{WA}")).await).await["customer"]["id"].as_str().unwrap().to_owned();
    let export = json(app.get(k, &format!("/api/v1/customers/{customer}/export")).await).await;
    let exported = export.to_string();
    assert!(exported.contains("\"turns\"") && exported.contains("automated_responses"), "{export}");
    assert!(app.scalar("SELECT COUNT(*) FROM turns").await > 0);
    assert_eq!(app.delete(k, &format!("/api/v1/customers/{customer}")).await.status().as_u16(), 200);
    for table in ["turns", "turn_messages", "threads"] {
        assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table} erased");
    }
}

/// A replica that claimed a turn and died (kill -9 between the claim and the answer): the claim
/// runs out, another replica answers the turn, once.
async fn a_dead_replicas_claim_runs_out_and_the_turn_is_answered_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    app.connect(k, PNID, NUMBER).await;
    assert!(app.put(k, "/api/v1/shop-settings", json!({"timeZone": "UTC", "turnQuietMs": 10000})).await.status().is_success());
    assert_eq!(app.post(k, "/api/v1/automated-responses", rule("Prices", &[("price", "contains")], "Cheap")).await.status().as_u16(), 201);
    app.customer_says(PNID, WA, "price?").await;
    app.drained().await;
    // Played: another replica took it and was killed (its claim lasts one more second).
    let until = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    app.exec(&format!("UPDATE turns SET state = 'claimed', claimed_by = 'dead-replica', claimed_until = '{until}', attempts = 1")).await;
    all_turns_done(&app).await;
    let t = turns(&app, k).await;
    assert_eq!((t["items"][0]["outcome"].as_str(), t["items"][0]["attempts"].as_u64()), (Some("answered"), Some(2)));
    assert_eq!(automated(&app).await, ["system:automated_response"]);
}

both_backends!(
    a_burst_is_answered_once_and_a_redelivery_answers_nothing,
    a_turn_nobody_takes_waits_for_people_who_keep_the_thread_until_they_answer,
    the_away_message_goes_outside_hours_once_per_period_and_opted_out_customers_get_no_automated_answer,
    rules_are_checked_whole_and_turns_are_erased_and_exported_with_the_customer,
    a_dead_replicas_claim_runs_out_and_the_turn_is_answered_once,
);

/// Three messages within the quiet time, at two replicas, with the first replica killed (-9)
/// between the second and the third: one turn, one answer (Postgres: two processes on one
/// database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_across_two_replicas_with_a_kill_9_gets_one_answer() {
    let Some(pg) = Backend::postgres() else { return };
    let b = spawn_app(pg).await;
    let shop = b.create_shop("s").await;
    let k = &shop.admin;
    b.connect(k, PNID, NUMBER).await;
    assert!(b.put(k, "/api/v1/shop-settings", json!({"timeZone": "UTC", "turnQuietMs": 3000})).await.status().is_success());
    assert_eq!(b.post(k, "/api/v1/automated-responses", rule("Prices", &[("preco", "contains")], "Cheap")).await.status().as_u16(), 201);
    let port = crate::restart::free_port();
    let a_base = format!("http://127.0.0.1:{port}");
    let mut a = crate::restart::start(&b.db_url, port, true);
    crate::restart::wait_ready(&b.http, &a_base).await;
    let deliver = |base: String, wamid: &'static str, text: &'static str| {
        let http = b.http.clone();
        async move {
            let body = serde_json::to_vec(&inbound(PNID, WA, vec![text_message(wamid, WA, now_ts(), text)])).unwrap();
            let sig = infrastructure::crypto::sign_webhook(APP_SECRET.as_bytes(), &body);
            let r = http.post(format!("{base}/webhooks/whatsapp")).header("x-hub-signature-256", sig).body(body).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
    };
    deliver(a_base.clone(), "wamid.TWO1", "oi").await;
    deliver(b.base.clone(), "wamid.TWO2", "qual o preço").await;
    wait_for("both stored", || async { b.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'").await == 2 }).await;
    a.kill().expect("SIGKILL");
    a.wait().unwrap();
    deliver(b.base.clone(), "wamid.TWO3", "do pão?").await;
    all_turns_done(&b).await;
    assert_eq!(b.scalar("SELECT COUNT(*) FROM turns").await, 1);
    assert_eq!(b.scalar("SELECT COUNT(*) FROM turn_messages").await, 3);
    assert_eq!(automated(&b).await, ["system:automated_response"]);
}

/// The largest page the spec allows is accepted (schemathesis found 200 refused).
#[tokio::test]
async fn the_largest_page_of_turns_is_accepted() {
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    app.customer_says(PNID, WA, "oi").await;
    app.drained().await;
    let conv = json(app.get(&shop.admin, &format!("/api/v1/conversations/status?waId={WA}")).await).await["conversationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.get(&shop.admin, &format!("/api/v1/conversations/{conv}/turns?limit=200")).await;
    assert_eq!(r.status().as_u16(), 200);
}
