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

both_backends!(
    a_burst_is_answered_once_and_a_redelivery_answers_nothing,
    a_turn_nobody_takes_waits_for_people_who_keep_the_thread_until_they_answer
);
