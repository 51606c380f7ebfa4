//! Routing: threads waiting for a person go to available members below capacity, by their
//! department's policy, oldest first; what nobody can take keeps its place and drains when a
//! member frees capacity. Transfers move a thread to a member or a department. Two replicas
//! routing at once, with people assigning by hand, never put a member above capacity.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

async fn member(app: &TestApp, key: &str, name: &str, capacity: u32, status: &str) -> String {
    let email = format!("{}@shop.example.com", name.to_lowercase());
    let body = json!({"name": name, "email": email, "capacity": capacity, "status": status});
    let r = app.post(key, "/api/v1/agents", body).await;
    assert_eq!(r.status().as_u16(), 201);
    json(r).await["id"].as_str().unwrap().to_owned()
}

/// Customers write, nothing answers, people own their threads: their conversations, in the order
/// they started waiting (as the queue has them).
async fn waiting(app: &TestApp, key: &str, was: &[String]) -> Vec<String> {
    for chunk in was.chunks(20) {
        join_all(chunk.iter().map(|wa| app.customer_says(PNID, wa, "I need a person"))).await;
    }
    app.drained().await;
    let n = was.len() as i64;
    wait_for("handed to people", || async { app.scalar("SELECT COUNT(*) FROM threads WHERE owner = 'people'").await == n }).await;
    let w = json(app.get(key, "/api/v1/conversations/waiting?olderThanMinutes=0&limit=200").await).await;
    let out: Vec<String> = w["items"].as_array().unwrap().iter().map(|t| t["conversationId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(out.len(), was.len());
    out
}

async fn assignee(app: &TestApp, key: &str, conv: &str) -> Value {
    json(app.get(key, &format!("/api/v1/conversations/{conv}")).await).await["conversation"]["assignedAgentId"].clone()
}

async fn load(app: &TestApp, key: &str, id: &str) -> u64 {
    json(app.get(key, &format!("/api/v1/agents/{id}")).await).await["load"].as_u64().unwrap()
}

async fn route(app: &TestApp, key: &str) -> Value {
    let r = app.post(key, "/api/v1/routing/auto-assign", json!({})).await;
    assert_eq!(r.status().as_u16(), 200);
    json(r).await
}

/// The whole team, `capacity_aware`: the most room first, never above capacity, only
/// `available` members; the rest waits and drains, oldest first, when a member frees capacity.
async fn waiting_threads_go_to_available_members_below_capacity(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let viewer = app.create_key(&k, &shop.id, "viewer").await;
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 1, "offline").await;
    let bruno = member(&app, &k, "Bruno", 2, "offline").await;
    let caio = member(&app, &k, "Caio", 5, "away").await;
    let was: Vec<String> = (1..=4).map(|i| format!("55119000002{i:02}")).collect();
    let c = waiting(&app, &k, &was).await;

    // Nobody is available: everything waits.
    assert_eq!(route(&app, &k).await, json!({"assigned": 0, "waiting": 4}));
    expect_error(app.post(&viewer, "/api/v1/routing/auto-assign", json!({})).await, 403, "FORBIDDEN").await;
    for m in [&ana, &bruno] {
        app.put(&k, &format!("/api/v1/agents/{m}/status"), json!({"status": "available"})).await;
    }
    let pass = route(&app, &k).await;
    assert_eq!(pass["waiting"], 1, "{pass}");
    // Ana (0 of 1) and Bruno (0 of 2) tie on room: the first by id; then Bruno has the room.
    assert_eq!(assignee(&app, &k, &c[0]).await, json!(ana));
    assert_eq!(assignee(&app, &k, &c[1]).await, json!(bruno));
    assert_eq!(assignee(&app, &k, &c[2]).await, json!(bruno));
    assert_eq!(assignee(&app, &k, &c[3]).await, json!(null), "the youngest waits");
    assert_eq!((load(&app, &k, &ana).await, load(&app, &k, &bruno).await, load(&app, &k, &caio).await), (1, 2, 0));
    let routed: Vec<Value> = app
        .texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'conversation.assigned' ORDER BY seq")
        .await
        .iter()
        .map(|t| serde_json::from_str::<Value>(t).unwrap()["data"].clone())
        .collect();
    assert_eq!(routed.len(), 3);
    assert!(routed.iter().all(|d| d["reason"] == "routed"), "{routed:?}");

    // Ana closes hers: her capacity is free, and the waiting thread goes to her.
    app.post(&k, &format!("/api/v1/conversations/{}/close", c[0]), json!({})).await;
    assert_eq!(route(&app, &k).await["waiting"], 0);
    assert_eq!(assignee(&app, &k, &c[3]).await, json!(ana));
}

both_backends!(waiting_threads_go_to_available_members_below_capacity);

/// Transfers: to a member (capacity holds), or to a department (it leaves its member and goes to
/// one of the department's, by its policy; `manual` keeps it waiting for a hand-picked member).
async fn conversations_are_transferred_to_members_and_departments(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 1, "offline").await;
    let bruno = member(&app, &k, "Bruno", 3, "offline").await;
    let caio = member(&app, &k, "Caio", 3, "available").await;
    let dora = member(&app, &k, "Dora", 3, "available").await;
    let was: Vec<String> = (1..=3).map(|i| format!("55119000003{i:02}")).collect();
    let c = waiting(&app, &k, &was).await;
    for conv in &c[..2] {
        app.post(&k, &format!("/api/v1/conversations/{conv}/assign"), json!({"memberId": bruno})).await;
    }
    app.post(&k, &format!("/api/v1/conversations/{}/assign", c[2]), json!({"memberId": ana})).await;
    let billing = json(
        app.post(&k, "/api/v1/departments", json!({"name": "Billing", "routingPolicy": "round_robin", "memberIds": [caio, dora]})).await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let legal = json(app.post(&k, "/api/v1/departments", json!({"name": "Legal", "routingPolicy": "manual", "memberIds": [dora]})).await)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // To Billing: it leaves Bruno and goes to Caio (round robin: never routed, first named).
    let t = json(app.post(&k, &format!("/api/v1/conversations/{}/transfer", c[0]), json!({"departmentId": billing})).await).await;
    assert_eq!((&t["memberId"], &t["previousMemberId"], &t["departmentId"]), (&json!(caio), &json!(bruno), &json!(billing)), "{t}");
    assert_eq!(load(&app, &k, &bruno).await, 1);
    // The next goes to Dora: round robin goes on.
    let t = json(app.post(&k, &format!("/api/v1/conversations/{}/transfer", c[1]), json!({"departmentId": billing})).await).await;
    assert_eq!(t["memberId"], json!(dora), "{t}");
    // To a `manual` department: it waits for a hand-picked member.
    let t = json(app.post(&k, &format!("/api/v1/conversations/{}/transfer", c[1]), json!({"departmentId": legal})).await).await;
    assert_eq!((&t["memberId"], &t["departmentId"]), (&json!(null), &json!(legal)), "{t}");
    assert_eq!(route(&app, &k).await["waiting"], 1);
    assert_eq!(assignee(&app, &k, &c[1]).await, json!(null));

    // To a member: Ana is at capacity; Bruno takes it.
    let path = format!("/api/v1/conversations/{}/transfer", c[1]);
    expect_error(app.post(&k, &path, json!({"memberId": ana})).await, 409, "CONFLICT").await;
    let t = json(app.post(&k, &path, json!({"memberId": bruno})).await).await;
    assert_eq!(t["memberId"], json!(bruno), "{t}");

    // Exactly one target, of this shop.
    for body in [json!({}), json!({"memberId": ana, "departmentId": billing})] {
        expect_error(app.post(&k, &path, body).await, 422, "VALIDATION_FAILED").await;
    }
    let other = app.create_shop("t").await;
    let theirs =
        json(app.post(&other.admin, "/api/v1/departments", json!({"name": "Theirs"})).await).await["id"].as_str().unwrap().to_owned();
    let e = expect_error(app.post(&k, &path, json!({"departmentId": theirs})).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "departmentId", "{e}");
    expect_error(app.post(&other.admin, &path, json!({"departmentId": theirs})).await, 404, "NOT_FOUND").await;
    let transfers = app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'conversation.transferred'").await;
    assert_eq!(transfers, 4);
}

both_backends!(conversations_are_transferred_to_members_and_departments);

/// Two replicas on one Postgres route 200 waiting threads to 3 members of capacity 5, with
/// routing passes on both and people assigning by hand at the same time. Afterwards 15 threads
/// have one assignee each, replaying the assignments in commit order never shows a member above
/// capacity, and 185 wait, oldest first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_routing_at_once_never_exceed_capacity() {
    let Some(pg) = Backend::postgres() else { return };
    let a = Arc::new(spawn_with(Opts::new(pg.clone())).await);
    let mut b_opts = Opts::new(pg);
    b_opts.database_url = Some(a.db_url.clone());
    let b = Arc::new(spawn_with(b_opts).await);
    let shop = a.create_shop("s").await;
    let k = shop.admin.clone();
    a.connect(&k, PNID, NUMBER).await;
    let members = [
        member(&a, &k, "Ana", 5, "offline").await,
        member(&a, &k, "Bruno", 5, "offline").await,
        member(&a, &k, "Caio", 5, "offline").await,
    ];
    let was: Vec<String> = (0..200).map(|i| format!("5511960{i:06}")).collect();
    let c = waiting(&a, &k, &was).await;
    for m in &members {
        a.put(&k, &format!("/api/v1/agents/{m}/status"), json!({"status": "available"})).await;
    }

    let passes = (0..6).map(|i| {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        let k = k.clone();
        async move { app.post(&k, "/api/v1/routing/auto-assign", json!({})).await.status().as_u16() }
    });
    let by_hand = (0..20).map(|i| {
        let app = if i % 2 == 0 { b.clone() } else { a.clone() };
        let (k, path, m) = (k.clone(), format!("/api/v1/conversations/{}/assign", c[i]), members[i % 3].clone());
        async move { app.post(&k, &path, json!({"memberId": m})).await.status().as_u16() }
    });
    let (passes, by_hand) = tokio::join!(join_all(passes), join_all(by_hand));
    assert!(passes.iter().all(|s| *s == 200), "{passes:?}");
    assert!(by_hand.iter().all(|s| matches!(s, 200 | 409)), "{by_hand:?}");

    let mut held: HashMap<String, u32> = HashMap::new();
    for e in a.texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'conversation.assigned' ORDER BY seq").await {
        let d = serde_json::from_str::<Value>(&e).unwrap()["data"].clone();
        if let Some(p) = d["previousMemberId"].as_str() {
            *held.get_mut(p).unwrap() -= 1;
        }
        let m = d["memberId"].as_str().unwrap().to_owned();
        let n = held.entry(m.clone()).or_default();
        *n += 1;
        assert!(*n <= 5, "{m} above capacity: {n}");
    }
    for m in &members {
        assert_eq!(load(&a, &k, m).await, 5);
    }
    let assigned = a.scalar("SELECT COUNT(*) FROM conversations WHERE assigned_agent_id IS NOT NULL").await;
    assert_eq!(assigned, 15);
    // The queue as routing reads it: nobody in particular, in the order they started waiting.
    let queue = a
        .texts("SELECT CAST(conversation_id AS TEXT) FROM threads WHERE owner_member_id IS NULL AND owner = 'people' ORDER BY waiting_since, id")
        .await;
    assert_eq!(queue.len(), 185);
    let positions: Vec<usize> = queue.iter().map(|q| c.iter().position(|x| x == q).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "they wait in the order they started waiting: {positions:?}");
    let oldest: Vec<&String> = c.iter().take(20).collect();
    assert!(c.iter().filter(|x| !queue.contains(x)).all(|x| oldest.contains(&x)), "only the oldest were taken");
}

/// Routing rules: a thread not routed yet goes to the department of the first rule (by
/// priority) that matches its customer; a thread no rule matches goes to the whole team.
async fn routing_rules_send_threads_to_departments(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let agent = app.create_key(&k, &shop.id, "agent").await;
    app.connect(&k, PNID, NUMBER).await;
    let caio = member(&app, &k, "Caio", 5, "offline").await;
    let dora = member(&app, &k, "Dora", 5, "offline").await;
    let dep = |name: &str, m: &str| json!({"name": name, "memberIds": [m]});
    let vip = json(app.post(&k, "/api/v1/departments", dep("VIP", &caio)).await).await["id"].as_str().unwrap().to_owned();
    let pt = json(app.post(&k, "/api/v1/departments", dep("Português", &dora)).await).await["id"].as_str().unwrap().to_owned();

    let rule = |name: &str, priority: i32, extra: Value, d: &str| {
        let mut b = json!({"name": name, "priority": priority, "departmentId": d});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    expect_error(app.post(&agent, "/api/v1/routing/rules", rule("x", 1, json!({}), &vip)).await, 403, "FORBIDDEN").await;
    let r = app.post(&k, "/api/v1/routing/rules", rule("Portuguese speakers", 5, json!({"language": "pt"}), &pt)).await;
    assert_eq!(r.status().as_u16(), 201);
    let r = app.post(&k, "/api/v1/routing/rules", rule("VIPs first", 1, json!({"tags": ["VIP"]}), &vip)).await;
    assert_eq!(r.status().as_u16(), 201);
    let vip_rule = json(r).await["id"].as_str().unwrap().to_owned();
    let list = json(app.get(&agent, "/api/v1/routing/rules").await).await;
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["VIPs first", "Portuguese speakers"], "in the order routing tries them");

    let other = app.create_shop("t").await;
    let theirs =
        json(app.post(&other.admin, "/api/v1/departments", json!({"name": "Theirs"})).await).await["id"].as_str().unwrap().to_owned();
    let e = expect_error(
        app.post(&k, "/api/v1/routing/rules", rule(" ", 1, json!({"language": "not a tag", "accountId": theirs}), &theirs)).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    let fields: Vec<&str> = e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "language", "departmentId", "accountId"], "{e}");
    assert_eq!(json(app.get(&k, "/api/v1/routing/rules").await).await["total"], 2, "nothing stored");

    // A VIP who writes in Portuguese, a Portuguese speaker, and someone no rule matches.
    let was: Vec<String> = (1..=3).map(|i| format!("55119000004{i:02}")).collect();
    let c = waiting(&app, &k, &was).await;
    let customer = |wa: String| {
        let app = &app;
        let k = k.clone();
        async move { json(app.get(&k, &format!("/api/v1/customers/by-wa-id/{wa}")).await).await["customer"]["id"].as_str().unwrap().to_owned() }
    };
    let (first, second) = (customer(was[0].clone()).await, customer(was[1].clone()).await);
    app.post(&k, &format!("/api/v1/customers/{first}/tags"), json!({"tags": ["vip"]})).await;
    for id in [&first, &second] {
        let r = app.patch(&k, &format!("/api/v1/customers/{id}"), json!({"language": "pt-BR"})).await;
        assert_eq!(r.status().as_u16(), 200);
    }
    for m in [&caio, &dora] {
        app.put(&k, &format!("/api/v1/agents/{m}/status"), json!({"status": "available"})).await;
    }
    route(&app, &k).await;
    let mut assigned = Vec::new();
    for wa in &was {
        let conv = json(app.get(&k, &format!("/api/v1/conversations/status?waId={wa}")).await).await["conversationId"]
            .as_str()
            .unwrap()
            .to_owned();
        assigned.push(assignee(&app, &k, &conv).await);
    }
    assert_eq!(assigned[..2], [json!(caio), json!(dora)], "the VIP rule first, then the Portuguese one");
    assert!(assigned[2] == json!(caio) || assigned[2] == json!(dora), "no rule: the whole team ({assigned:?})");
    assert_eq!(c.len(), 3);

    assert_eq!(app.delete(&k, &format!("/api/v1/routing/rules/{vip_rule}")).await.status().as_u16(), 204);
    expect_error(app.delete(&k, &format!("/api/v1/routing/rules/{vip_rule}")).await, 404, "NOT_FOUND").await;
    expect_error(app.delete(&other.admin, "/api/v1/routing/rules/01a2517b-ebf3-71f2-b831-bddbc8a6a27b").await, 404, "NOT_FOUND").await;
}

both_backends!(routing_rules_send_threads_to_departments);

/// The SLA: a customer waiting on their assignee past the department's `slaMinutes` goes back to
/// the queue (keeping their place) and routing gives them to someone else; a thread within its
/// SLA, or in a department without one, stays.
async fn the_sla_job_takes_overdue_threads_back_to_routing(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let caio = member(&app, &k, "Caio", 5, "available").await;
    let dora = member(&app, &k, "Dora", 5, "offline").await;
    let r = app.post(&k, "/api/v1/departments", json!({"name": "Support", "memberIds": [caio, dora], "slaMinutes": 0})).await;
    let e = expect_error(r, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "slaMinutes", "{e}");
    let d = json(app.post(&k, "/api/v1/departments", json!({"name": "Support", "memberIds": [caio, dora], "slaMinutes": 5})).await).await;
    assert_eq!(d["slaMinutes"], 5);
    let support = d["id"].as_str().unwrap().to_owned();
    let was: Vec<String> = (1..=2).map(|i| format!("55119000005{i:02}")).collect();
    let c = waiting(&app, &k, &was).await;
    for conv in &c {
        let t = json(app.post(&k, &format!("/api/v1/conversations/{conv}/transfer"), json!({"departmentId": support})).await).await;
        assert_eq!(t["memberId"], json!(caio), "{t}");
    }
    app.put(&k, &format!("/api/v1/agents/{dora}/status"), json!({"status": "available"})).await;

    // Nothing is overdue yet; then the first customer has waited on Caio for 10 minutes.
    assert_eq!(app.state.jobs.run_now("sla").await.unwrap(), "0 reassigned");
    let ten_minutes_ago = (chrono::Utc::now() - chrono::Duration::minutes(10)).to_rfc3339();
    let wa = was_of(&app, &k, &c[0]).await;
    app.exec(&format!("UPDATE threads SET waiting_since = '{ten_minutes_ago}', owner_since = '{ten_minutes_ago}' WHERE wa_id = '{wa}'"))
        .await;
    assert_eq!(app.state.jobs.run_now("sla").await.unwrap(), "1 reassigned");
    assert_eq!(assignee(&app, &k, &c[0]).await, json!(null));
    assert_eq!(assignee(&app, &k, &c[1]).await, json!(caio), "within its SLA");
    let last =
        app.texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'conversation.assigned' ORDER BY seq DESC LIMIT 1").await;
    let d = serde_json::from_str::<Value>(&last[0]).unwrap()["data"].clone();
    assert_eq!((&d["reason"], &d["previousMemberId"], &d["memberId"]), (&json!("sla"), &json!(caio), &json!(null)), "{d}");

    // Routing gives it to whom it waited longest for: Dora.
    route(&app, &k).await;
    assert_eq!(assignee(&app, &k, &c[0]).await, json!(dora));
    // No SLA any more: nothing is taken back.
    let r = app.patch(&k, &format!("/api/v1/departments/{support}"), json!({"slaMinutes": null})).await;
    assert_eq!(json(r).await["slaMinutes"], json!(null));
    app.exec(&format!("UPDATE threads SET waiting_since = '{ten_minutes_ago}', owner_since = '{ten_minutes_ago}'")).await;
    assert_eq!(app.state.jobs.run_now("sla").await.unwrap(), "0 reassigned");
}

async fn was_of(app: &TestApp, key: &str, conv: &str) -> String {
    json(app.get(key, &format!("/api/v1/conversations/{conv}")).await).await["conversation"]["waId"].as_str().unwrap().to_owned()
}

both_backends!(the_sla_job_takes_overdue_threads_back_to_routing);
