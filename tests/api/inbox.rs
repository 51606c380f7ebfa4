//! The inbox: people assign customers' threads to members of the team (capacity enforced in the
//! write, also under concurrent assignments), unassign them, and the conversation shows its
//! assignee; events and audit follow.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

async fn member(app: &TestApp, key: &str, name: &str, capacity: u32) -> String {
    let email = format!("{}@shop.example.com", name.to_lowercase());
    let m = json(app.post(key, "/api/v1/agents", json!({"name": name, "email": email, "capacity": capacity})).await).await;
    m["id"].as_str().unwrap().to_owned()
}

/// A customer writes, nothing answers, and people own the thread: its conversation's id.
async fn waiting_conversation(app: &TestApp, key: &str, wa: &str) -> String {
    app.customer_says(PNID, wa, "I need a person").await;
    app.drained().await;
    wait_for("handed to people", || async {
        app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE owner = 'people' AND wa_id = '{wa}'")).await == 1
    })
    .await;
    json(app.get(key, &format!("/api/v1/conversations/status?waId={wa}")).await).await["conversationId"].as_str().unwrap().to_owned()
}

async fn load(app: &TestApp, key: &str, id: &str) -> Value {
    json(app.get(key, &format!("/api/v1/agents/{id}")).await).await["load"].clone()
}

async fn conversations_are_assigned_to_active_members_below_capacity(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let agent = app.create_key(&k, &shop.id, "agent").await;
    let viewer = app.create_key(&k, &shop.id, "viewer").await;
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 1).await;
    let bruno = member(&app, &k, "Bruno", 3).await;
    app.patch(&k, &format!("/api/v1/agents/{bruno}"), json!({"active": false})).await;
    let other = app.create_shop("t").await;
    let stranger = member(&app, &other.admin, "Ze", 3).await;
    let c1 = waiting_conversation(&app, &k, "5511900000001").await;
    let c2 = waiting_conversation(&app, &k, "5511900000002").await;

    expect_error(app.post(&viewer, &format!("/api/v1/conversations/{c1}/assign"), json!({"memberId": ana})).await, 403, "FORBIDDEN").await;
    let a = json(app.post(&agent, &format!("/api/v1/conversations/{c1}/assign"), json!({"memberId": ana})).await).await;
    assert_eq!((&a["owner"], &a["memberId"], &a["previousMemberId"]), (&json!("people"), &json!(ana), &json!(null)), "{a}");
    assert!(a["ownerExpiresAt"].is_string());
    let conv = json(app.get(&k, &format!("/api/v1/conversations/{c1}")).await).await;
    assert_eq!(conv["conversation"]["assignedAgentId"], json!(ana), "{conv}");
    assert_eq!(load(&app, &k, &ana).await, 1);
    let held = json(app.get(&viewer, &format!("/api/v1/agents/{ana}/conversations")).await).await;
    assert_eq!((held["total"].as_u64(), held["items"][0]["conversationId"].as_str()), (Some(1), Some(c1.as_str())), "{held}");
    assert!(held["items"][0]["waitingSince"].is_string(), "the customer still waits for her answer");

    // Ana is at capacity; Bruno is deactivated; Zé is another shop's.
    let e = expect_error(app.post(&agent, &format!("/api/v1/conversations/{c2}/assign"), json!({"memberId": ana})).await, 409, "CONFLICT")
        .await;
    assert!(e["error"]["message"].as_str().unwrap().contains("capacity"), "{e}");
    let e = expect_error(
        app.post(&agent, &format!("/api/v1/conversations/{c2}/assign"), json!({"memberId": bruno})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "memberId", "{e}");
    expect_error(
        app.post(&agent, &format!("/api/v1/conversations/{c2}/assign"), json!({"memberId": stranger})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    expect_error(app.post(&other.admin, &format!("/api/v1/conversations/{c1}/unassign"), json!({})).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/agents/{ana}/conversations")).await, 404, "NOT_FOUND").await;

    // Assigning again to the same member changes nothing; unassigning frees her.
    let again = json(app.post(&agent, &format!("/api/v1/conversations/{c1}/assign"), json!({"memberId": ana})).await).await;
    assert_eq!(again["previousMemberId"], json!(ana));
    let u = json(app.post(&agent, &format!("/api/v1/conversations/{c1}/unassign"), json!({})).await).await;
    assert_eq!((&u["owner"], &u["memberId"], &u["previousMemberId"]), (&json!("people"), &json!(null), &json!(ana)));
    assert_eq!(load(&app, &k, &ana).await, 0);
    assert_eq!(json(app.get(&k, &format!("/api/v1/conversations/{c1}")).await).await["conversation"]["assignedAgentId"], json!(null));
    assert_eq!(
        json(app.post(&agent, &format!("/api/v1/conversations/{c2}/assign"), json!({"memberId": ana})).await).await["memberId"],
        json!(ana)
    );

    let assigned: Vec<Value> = app
        .texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'conversation.assigned' ORDER BY seq")
        .await
        .iter()
        .map(|t| serde_json::from_str::<Value>(t).unwrap()["data"].clone())
        .collect();
    let reasons: Vec<(&str, &Value)> = assigned.iter().map(|d| (d["reason"].as_str().unwrap(), &d["memberId"])).collect();
    assert_eq!(reasons, [("assigned", &json!(ana)), ("unassigned", &json!(null)), ("assigned", &json!(ana))], "no event for a no-op");
    let audit = json(app.get(&k, "/api/v1/audit-log?action=conversation.assigned").await).await;
    assert_eq!(audit["total"], 2);
}

/// A thread the automated responders own (people's time ran out) is taken by people when it is
/// assigned: `conversation.owner.changed` first, then `conversation.assigned`.
async fn assigning_a_thread_the_bots_own_makes_people_its_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 5).await;
    let c = waiting_conversation(&app, &k, "5511900000003").await;
    app.exec("UPDATE threads SET owner_expires_at = '2000-01-01T00:00:00+00:00'").await;
    let before = app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.owner.changed'").await;
    json(app.post(&k, &format!("/api/v1/conversations/{c}/assign"), json!({"memberId": ana})).await).await;
    let types = app.texts("SELECT event_type FROM outbox ORDER BY seq DESC LIMIT 2").await;
    assert_eq!(types, ["conversation.assigned", "conversation.owner.changed"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.owner.changed'").await, before + 1);
    assert_eq!(load(&app, &k, &ana).await, 1);
}

/// Concurrent assignments to a member with room for one: exactly one wins, whatever the
/// interleaving (the member's row lock orders them; the loser sees the winner's load).
async fn concurrent_assignments_never_put_a_member_above_capacity(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 1).await;
    let mut convs = Vec::new();
    for i in 0..6 {
        convs.push(waiting_conversation(&app, &k, &format!("55119000001{i:02}")).await);
    }
    let paths: Vec<String> = convs.iter().map(|c| format!("/api/v1/conversations/{c}/assign")).collect();
    let tries = paths.iter().map(|p| app.post(&k, p, json!({"memberId": ana})));
    let statuses: Vec<u16> = futures_util::future::join_all(tries).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 5, "{statuses:?}");
    assert_eq!(load(&app, &k, &ana).await, 1);
}

both_backends!(conversations_are_assigned_to_active_members_below_capacity);
both_backends!(assigning_a_thread_the_bots_own_makes_people_its_owner);
both_backends!(concurrent_assignments_never_put_a_member_above_capacity);

/// Notes: written by agents with their author, never sent, bounded, listed oldest first, and
/// exported and erased with the customer.
async fn notes_are_kept_with_their_author_and_go_with_the_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let agent = app.create_key(&k, &shop.id, "agent").await;
    let viewer = app.create_key(&k, &shop.id, "viewer").await;
    app.connect(&k, PNID, NUMBER).await;
    let c = waiting_conversation(&app, &k, "5511900000009").await;
    let outbound = app.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await;

    expect_error(app.post(&viewer, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "x"})).await, 403, "FORBIDDEN").await;
    let r = app.post(&agent, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "  Called her: refund on Monday  "})).await;
    assert_eq!(r.status().as_u16(), 201);
    let n = json(r).await;
    assert_eq!(n["body"], "Called her: refund on Monday");
    assert!(n["author"].as_str().unwrap().starts_with("api-key:"), "{n}");
    app.post(&k, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "Refund approved"})).await;

    // A 100 KB note and a blank one are refused with the contract's body; nothing is stored.
    let big = app.post(&agent, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "x".repeat(100_000)})).await;
    let status = big.status().as_u16();
    let e = json(big).await;
    assert!(matches!(status, 413 | 422) && e["error"]["code"].is_string(), "{status} {e}");
    expect_error(app.post(&agent, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "   "})).await, 422, "VALIDATION_FAILED")
        .await;
    let other = app.create_shop("t").await;
    expect_error(app.post(&other.admin, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "hi"})).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/conversations/{c}/notes")).await, 404, "NOT_FOUND").await;

    let list = json(app.get(&viewer, &format!("/api/v1/conversations/{c}/notes")).await).await;
    let bodies: Vec<&str> = list["items"].as_array().unwrap().iter().map(|n| n["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["Called her: refund on Monday", "Refund approved"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await, outbound, "a note is never sent");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.note.added'").await, 2);

    let customer = json(app.get(&k, "/api/v1/customers/by-wa-id/5511900000009").await).await["customer"]["id"].as_str().unwrap().to_owned();
    let export = json(app.get(&k, &format!("/api/v1/customers/{customer}/export")).await).await;
    let exported = export.to_string();
    assert!(exported.contains("Called her: refund on Monday") && exported.contains("Refund approved"), "{export}");
    assert_eq!(app.delete(&k, &format!("/api/v1/customers/{customer}")).await.status().as_u16(), 200);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM conversation_notes").await, 0, "erased with the customer");
}

both_backends!(notes_are_kept_with_their_author_and_go_with_the_customer);

/// Closing is the inbox's: the window stays, the thread goes back to the bots and frees its
/// member; closing twice is a conflict; the customer writing again opens it; reopening is defined.
async fn people_close_and_reopen_conversations_beside_the_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let agent = app.create_key(&k, &shop.id, "agent").await;
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 1).await;
    let wa = "5511900000021";
    let c = waiting_conversation(&app, &k, wa).await;
    app.post(&agent, &format!("/api/v1/conversations/{c}/assign"), json!({"memberId": ana})).await;
    assert_eq!(load(&app, &k, &ana).await, 1);

    let closed = json(app.post(&agent, &format!("/api/v1/conversations/{c}/close"), json!({"reason": "refund issued"})).await).await;
    assert_eq!(
        (&closed["inboxState"], &closed["inboxCloseReason"], &closed["status"]),
        (&json!("closed"), &json!("refund issued"), &json!("active")),
        "{closed}"
    );
    assert_eq!(load(&app, &k, &ana).await, 0, "closing frees her");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM threads WHERE owner = 'none' AND wa_id = '{wa}'")).await, 1);
    expect_error(app.post(&agent, &format!("/api/v1/conversations/{c}/close"), json!({})).await, 409, "CONFLICT").await;

    let reopened = json(app.post(&agent, &format!("/api/v1/conversations/{c}/reopen"), json!({})).await).await;
    assert_eq!((&reopened["inboxState"], &reopened["inboxCloseReason"]), (&json!("open"), &json!(null)));
    assert_eq!(json(app.post(&agent, &format!("/api/v1/conversations/{c}/reopen"), json!({})).await).await["inboxState"], "open", "no-op");

    // Closed again; the customer writes: open by itself.
    app.post(&agent, &format!("/api/v1/conversations/{c}/close"), json!({})).await;
    app.customer_says(PNID, wa, "one more thing").await;
    app.drained().await;
    let conv = json(app.get(&k, &format!("/api/v1/conversations/{c}")).await).await;
    assert_eq!(conv["conversation"]["inboxState"], "open", "{conv}");

    let changes =
        app.texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'conversation.inbox_state.changed' ORDER BY seq").await;
    let changes: Vec<String> =
        changes.iter().map(|t| serde_json::from_str::<Value>(t).unwrap()["data"]["to"].as_str().unwrap().to_owned()).collect();
    assert_eq!(changes, ["closed", "open", "closed"]);
    let other = app.create_shop("t").await;
    expect_error(app.post(&other.admin, &format!("/api/v1/conversations/{c}/close"), json!({})).await, 404, "NOT_FOUND").await;
    assert_eq!(json(app.get(&k, "/api/v1/audit-log?action=conversation.closed").await).await["total"], 2);
}

both_backends!(people_close_and_reopen_conversations_beside_the_window);

/// An `agent` key bound to a member acts for them: its replies on a conversation are sent by the
/// member (`sentBy`), its notes carry the member, the audit log names them beside the key. Only
/// an agent key binds, and only to an active member of its shop.
async fn a_key_bound_to_a_member_acts_for_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 5).await;
    let bruno = member(&app, &k, "Bruno", 5).await;
    app.patch(&k, &format!("/api/v1/agents/{bruno}"), json!({"active": false})).await;
    let other = app.create_shop("t").await;
    let stranger = member(&app, &other.admin, "Ze", 3).await;
    let keys = format!("/api/v1/shops/{}/api-keys", shop.id);

    for (role, m, why) in [("admin", &ana, "agent"), ("agent", &bruno, "deactivated"), ("agent", &stranger, "no such member")] {
        let e = expect_error(app.post(&k, &keys, json!({"name": "x", "role": role, "memberId": m})).await, 422, "VALIDATION_FAILED").await;
        assert_eq!(e["error"]["details"]["field"], "memberId", "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }
    let r = app.post(&k, &keys, json!({"name": "Ana's", "role": "agent", "memberId": ana})).await;
    assert_eq!(r.status().as_u16(), 201);
    let created = json(r).await;
    assert_eq!(created["memberId"], json!(ana));
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["id"].as_str().unwrap().to_owned();
    let listed = json(app.get(&k, &keys).await).await;
    assert!(listed.as_array().unwrap().iter().any(|x| x["id"] == json!(key_id) && x["memberId"] == json!(ana)), "{listed}");

    let c = waiting_conversation(&app, &k, "5511900000021").await;
    json(app.post(&key, &format!("/api/v1/conversations/{c}/assign"), json!({"memberId": ana})).await).await;
    let audit = json(app.get(&k, "/api/v1/audit-log?action=conversation.assigned").await).await;
    let entry = &audit["items"][0];
    assert_eq!((&entry["actor"], &entry["actorMemberId"]), (&json!(format!("api-key:{key_id}")), &json!(ana)), "{audit}");

    // The reply goes out on the conversation's number to its customer, sent by Ana.
    let path = format!("/api/v1/conversations/{c}/messages");
    let body = json!({"content": {"type": "text", "text": "Ana here: your refund is on its way"}});
    let r = app.post_with(&key, &path, body.clone(), &[("Idempotency-Key", "reply-1")]).await;
    assert!(matches!(r.status().as_u16(), 200 | 202), "{}", r.status());
    let sent = json(r).await;
    let again = json(app.post_with(&key, &path, body, &[("Idempotency-Key", "reply-1")]).await).await;
    assert_eq!(again["id"], sent["id"], "the same key answers the first reply");
    let m = json(app.get(&k, &format!("/api/v1/messages/{}", sent["id"].as_str().unwrap())).await).await;
    assert_eq!(m["sentBy"], json!({"type": "member", "id": ana}), "{m}");
    assert_eq!(m["to"].as_str().map(|t| t.trim_start_matches('+')), Some("5511900000021"), "{m}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await, 1);
    let sent_event = app.texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'message.sent'").await;
    let by: Vec<Value> = sent_event.iter().map(|e| serde_json::from_str::<Value>(e).unwrap()["data"]["sentBy"].clone()).collect();
    assert_eq!(by, [json!({"type": "member", "id": ana})]);

    // Replying needs content, and another shop's conversation is not found.
    expect_error(app.post(&key, &path, json!({})).await, 422, "VALIDATION_FAILED").await;
    expect_error(app.post(&other.admin, &path, json!({"content": {"type": "text", "text": "hi"}})).await, 404, "NOT_FOUND").await;
    let nowhere = format!("/api/v1/conversations/{}/messages", uuid::Uuid::now_v7());
    expect_error(app.post(&key, &nowhere, json!({"content": {"type": "text", "text": "hi"}})).await, 404, "NOT_FOUND").await;

    let n = json(app.post(&key, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "promised a refund"})).await).await;
    assert_eq!((&n["author"], &n["memberId"]), (&json!(format!("api-key:{key_id}")), &json!(ana)), "{n}");
    let plain = json(app.post(&k, &format!("/api/v1/conversations/{c}/notes"), json!({"body": "ok"})).await).await;
    assert_eq!(plain["memberId"], json!(null), "an unbound key is no member");

    // Ana's key sees her conversations and her departments'; the admin's key sees them all.
    let c2 = waiting_conversation(&app, &k, "5511900000022").await;
    let seen = |key: String| {
        let app = &app;
        async move {
            let list = json(app.get(&key, "/api/v1/conversations").await).await;
            let mut ids: Vec<String> =
                list["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            ids
        }
    };
    assert_eq!(seen(key.clone()).await, vec![c.clone()]);
    expect_error(app.get(&key, &format!("/api/v1/conversations/{c2}")).await, 404, "NOT_FOUND").await;
    // Nor can her key act on it: notes, tags, replies, closing are for what she may see.
    let text = json!({"content": {"type": "text", "text": "not mine"}});
    expect_error(app.post(&key, &format!("/api/v1/conversations/{c2}/messages"), text).await, 404, "NOT_FOUND").await;
    expect_error(app.post(&key, &format!("/api/v1/conversations/{c2}/notes"), json!({"body": "x"})).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&key, &format!("/api/v1/conversations/{c2}/notes")).await, 404, "NOT_FOUND").await;
    expect_error(app.put(&key, &format!("/api/v1/conversations/{c2}/tags"), json!({"tags": ["x"]})).await, 404, "NOT_FOUND").await;
    expect_error(app.post(&key, &format!("/api/v1/conversations/{c2}/close"), json!({})).await, 404, "NOT_FOUND").await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM conversation_notes WHERE body = 'x'").await, 0);
    // Nor read its messages: the message list names one conversation she may see.
    let theirs = json(app.get(&k, &format!("/api/v1/messages?conversationId={c2}")).await).await;
    let m2 = theirs["messages"][0]["id"].as_str().expect("the customer's message").to_owned();
    expect_error(app.get(&key, &format!("/api/v1/messages?conversationId={c2}")).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&key, &format!("/api/v1/messages/{m2}")).await, 404, "NOT_FOUND").await;
    expect_error(app.post(&key, &format!("/api/v1/messages/{m2}/read"), json!({})).await, 404, "NOT_FOUND").await;
    let all = expect_error(app.get(&key, "/api/v1/messages").await, 422, "VALIDATION_FAILED").await;
    assert!(all.to_string().contains("conversationId"), "{all}");
    let mine = json(app.get(&key, &format!("/api/v1/messages?conversationId={c}")).await).await;
    let m1 = mine["messages"][0]["id"].as_str().expect("her conversation's messages").to_owned();
    assert_eq!(json(app.get(&key, &format!("/api/v1/messages/{m1}")).await).await["id"], json!(m1));
    let team =
        json(app.post(&k, "/api/v1/departments", json!({"name": "Ana's", "routingPolicy": "manual", "memberIds": [ana]})).await).await;
    app.post(&k, &format!("/api/v1/conversations/{c2}/transfer"), json!({"departmentId": team["id"]})).await;
    let mut both = vec![c.clone(), c2.clone()];
    both.sort();
    assert_eq!(seen(key.clone()).await, both);
    assert_eq!(json(app.get(&key, &format!("/api/v1/conversations/{c2}")).await).await["conversation"]["id"], json!(c2));
    assert_eq!(seen(k.clone()).await, both, "the admin's key sees all");
}

both_backends!(a_key_bound_to_a_member_acts_for_them);

/// The inbox list: filters (inbox state, assignee or nobody, department, window open or closing,
/// last message time) combine, and `sort=longest_waiting` puts the customer waiting longest
/// for people first.
async fn the_inbox_list_filters_and_sorts(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 5).await;
    let c1 = waiting_conversation(&app, &k, "5511900000031").await;
    let c2 = waiting_conversation(&app, &k, "5511900000032").await;
    let c3 = waiting_conversation(&app, &k, "5511900000033").await;
    app.post(&k, &format!("/api/v1/conversations/{c1}/assign"), json!({"memberId": ana})).await;
    app.post(&k, &format!("/api/v1/conversations/{c3}/close"), json!({})).await;
    let dep = json(app.post(&k, "/api/v1/departments", json!({"name": "Nobody yet"})).await).await["id"].as_str().unwrap().to_owned();
    app.post(&k, &format!("/api/v1/conversations/{c2}/transfer"), json!({"departmentId": dep})).await;

    let ids = |query: &str| {
        let (app, k, query) = (&app, k.clone(), query.to_owned());
        async move {
            let r = app.get(&k, &format!("/api/v1/conversations?{query}")).await;
            assert_eq!(r.status().as_u16(), 200, "{query}");
            let list = json(r).await;
            list["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(&format!("assigneeId={ana}")).await, vec![c1.clone()]);
    assert_eq!(ids("unassigned=true&inboxState=open").await, vec![c2.clone()]);
    assert_eq!(ids("inboxState=closed").await, vec![c3.clone()]);
    assert_eq!(ids(&format!("departmentId={dep}")).await, vec![c2.clone()]);
    assert_eq!(ids("window=open").await.len(), 3);
    assert!(ids("window=closing").await.is_empty());
    let almost = (chrono::Utc::now() - chrono::Duration::minutes(23 * 60 + 30)).to_rfc3339();
    app.exec(&format!("UPDATE conversations SET last_inbound_at = '{almost}' WHERE wa_id = '5511900000032'")).await;
    assert_eq!(ids("window=closing").await, vec![c2.clone()], "its window ends within the hour");
    let later = (chrono::Utc::now() + chrono::Duration::minutes(5)).to_rfc3339().replace('+', "%2B");
    assert!(ids(&format!("lastMessageAfter={later}")).await.is_empty());
    assert_eq!(ids(&format!("lastMessageBefore={later}")).await.len(), 3);

    // Longest waiting first: Carla (c2) has waited since yesterday, c1 since today; c3 waits on nobody.
    let yesterday = (chrono::Utc::now() - chrono::Duration::hours(20)).to_rfc3339();
    app.exec(&format!("UPDATE threads SET waiting_since = '{yesterday}' WHERE wa_id = '5511900000032'")).await;
    assert_eq!(ids("sort=longest_waiting").await, [c2.clone(), c1.clone(), c3.clone()]);
    expect_error(app.get(&k, &format!("/api/v1/conversations?assigneeId={ana}&unassigned=true")).await, 422, "VALIDATION_FAILED").await;
}

both_backends!(the_inbox_list_filters_and_sorts);

/// Conversation tags: replaced whole, checked, filtered on, evented only when the set changes,
/// and exported and erased with the customer.
async fn conversations_carry_tags_people_set(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let viewer = app.create_key(&k, &shop.id, "viewer").await;
    app.connect(&k, PNID, NUMBER).await;
    let c1 = waiting_conversation(&app, &k, "5511900000041").await;
    let c2 = waiting_conversation(&app, &k, "5511900000042").await;
    let path = format!("/api/v1/conversations/{c1}/tags");

    expect_error(app.put(&viewer, &path, json!({"tags": ["x"]})).await, 403, "FORBIDDEN").await;
    let t = json(app.put(&k, &path, json!({"tags": [" Refund ", "refund", "Urgent"]})).await).await;
    assert_eq!(t["tags"], json!(["Refund", "Urgent"]));
    let again = json(app.put(&k, &path, json!({"tags": ["refund", "URGENT"]})).await).await;
    assert_eq!(again["tags"], json!(["Refund", "Urgent"]), "the same set (case aside) changes nothing");
    let e = expect_error(app.put(&k, &path, json!({"tags": ["ok", " "]})).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "tags[1]", "{e}");
    let other = app.create_shop("t").await;
    expect_error(app.put(&other.admin, &path, json!({"tags": ["x"]})).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&other.admin, &path).await, 404, "NOT_FOUND").await;
    assert_eq!(json(app.get(&viewer, &path).await).await["tags"], json!(["Refund", "Urgent"]));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.tags.changed'").await, 1);

    let list = json(app.get(&k, "/api/v1/conversations?tag=REFUND").await).await;
    let ids: Vec<&str> = list["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [c1.as_str()]);
    assert_ne!(c1, c2);

    let customer = json(app.get(&k, "/api/v1/customers/by-wa-id/5511900000041").await).await["customer"]["id"].as_str().unwrap().to_owned();
    let export = json(app.get(&k, &format!("/api/v1/customers/{customer}/export")).await).await;
    assert!(export.to_string().contains("Urgent"), "{export}");
    assert_eq!(app.delete(&k, &format!("/api/v1/customers/{customer}")).await.status().as_u16(), 200);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM conversation_tags").await, 0, "erased with the customer");
}

both_backends!(conversations_carry_tags_people_set);

/// Statistics: members' handlings follow assignments, replies and closes (from the outbox), and
/// the figures add up: handled, open now, first response before resolution; per member and per
/// department; a bad range or another shop's member is refused.
async fn members_statistics_follow_what_they_did(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 5).await;
    let bruno = member(&app, &k, "Bruno", 5).await;
    let billing = json(
        app.post(&k, "/api/v1/departments", json!({"name": "Billing", "routingPolicy": "manual", "memberIds": [ana]})).await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = format!("/api/v1/shops/{}/api-keys", shop.id);
    let ana_key =
        json(app.post(&k, &keys, json!({"name": "Ana", "role": "agent", "memberId": ana})).await).await["key"].as_str().unwrap().to_owned();
    let c1 = waiting_conversation(&app, &k, "5511900000061").await;
    let c2 = waiting_conversation(&app, &k, "5511900000062").await;
    app.post(&k, &format!("/api/v1/conversations/{c1}/transfer"), json!({"departmentId": billing})).await;
    assert_eq!(app.post(&k, &format!("/api/v1/conversations/{c1}/assign"), json!({"memberId": ana})).await.status().as_u16(), 200);
    assert_eq!(app.post(&k, &format!("/api/v1/conversations/{c2}/assign"), json!({"memberId": bruno})).await.status().as_u16(), 200);
    let r =
        app.post(&ana_key, &format!("/api/v1/conversations/{c1}/messages"), json!({"content": {"type": "text", "text": "On it"}})).await;
    assert!(matches!(r.status().as_u16(), 200 | 202));
    // Her reply must reach the projection (Meta accepted it) before she closes.
    wait_for("Ana's first response", || async {
        json(app.get(&k, &format!("/api/v1/agents/{ana}/stats")).await).await["figures"]["firstResponse"]["count"] == 1
    })
    .await;
    app.post(&k, &format!("/api/v1/conversations/{c1}/close"), json!({"reason": "done"})).await;

    let path = format!("/api/v1/agents/{ana}/stats");
    wait_for("Ana's resolution", || async { json(app.get(&k, &path).await).await["figures"]["resolution"]["count"] == 1 }).await;
    let s = json(app.get(&k, &path).await).await;
    let f = &s["figures"];
    assert_eq!((&f["handled"], &f["openNow"], &f["reassignedBySla"]), (&json!(1), &json!(0), &json!(0)), "{s}");
    let first = f["firstResponse"]["averageSeconds"].as_f64().unwrap();
    let resolution = f["resolution"]["averageSeconds"].as_f64().unwrap();
    assert!(first >= 0.0 && first <= resolution, "{s}");
    // The shop is open all the time: working time is wall time.
    assert_eq!(f["resolution"]["averageWorkingSeconds"].as_f64(), Some(resolution));
    let b = json(app.get(&k, &format!("/api/v1/agents/{bruno}/stats")).await).await;
    assert_eq!(
        (&b["figures"]["handled"], &b["figures"]["openNow"], &b["figures"]["firstResponse"]["count"]),
        (&json!(1), &json!(1), &json!(0))
    );

    let team = json(app.get(&k, "/api/v1/analytics/agents").await).await;
    let by_name = |list: &Value, n: &str| list.as_array().unwrap().iter().find(|x| x["name"] == n).unwrap()["figures"].clone();
    assert_eq!(by_name(&team["members"], "Ana")["handled"], 1);
    assert_eq!(by_name(&team["members"], "Bruno")["openNow"], 1);
    assert_eq!(by_name(&team["departments"], "Billing")["resolution"]["count"], 1, "{team}");
    // A range that ends before the work: nothing handled in it, Bruno still holds one.
    let early = json(app.get(&k, &format!("/api/v1/agents/{bruno}/stats?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z")).await).await;
    assert_eq!((&early["figures"]["handled"], &early["figures"]["openNow"]), (&json!(0), &json!(1)));

    let e = expect_error(app.get(&k, &format!("{path}?from=2026-12-08T00:00:00Z&to=2026-12-01T00:00:00Z")).await, 422, "VALIDATION_FAILED")
        .await;
    assert_eq!(e["error"]["details"]["field"], "from");
    let other = app.create_shop("t").await;
    expect_error(app.get(&other.admin, &path).await, 404, "NOT_FOUND").await;
}

both_backends!(members_statistics_follow_what_they_did);

/// Unread counts: the customer's messages count on the conversation's row as they are stored
/// (each once, however often Meta delivers them); reading one reads the earlier ones too; the
/// list filters on it.
async fn conversations_count_what_nobody_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let wa = "5511900000071";
    for text in ["one", "two", "three"] {
        app.customer_says(PNID, wa, text).await;
    }
    let quiet = waiting_conversation(&app, &k, "5511900000072").await;
    let c =
        json(app.get(&k, &format!("/api/v1/conversations/status?waId={wa}")).await).await["conversationId"].as_str().unwrap().to_owned();
    let unread = |id: String| {
        let app = &app;
        let k = k.clone();
        async move { json(app.get(&k, &format!("/api/v1/conversations/{id}")).await).await["conversation"]["unreadCount"].clone() }
    };
    wait_for("three unread", || async { unread(c.clone()).await == 3 }).await;
    let listed = |q: &'static str| {
        let app = &app;
        let k = k.clone();
        async move {
            let l = json(app.get(&k, &format!("/api/v1/conversations?{q}")).await).await;
            let mut ids: Vec<String> =
                l["conversations"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            ids
        }
    };
    let mut both = vec![c.clone(), quiet.clone()];
    both.sort();
    assert_eq!(listed("unread=true").await, both);

    // Reading the second reads the first too; the third stays unread.
    let msgs = json(app.get(&k, &format!("/api/v1/messages?conversationId={c}&direction=inbound")).await).await;
    let ids: Vec<String> = msgs["messages"].as_array().unwrap().iter().rev().map(|m| m["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 3);
    let r = app.post(&k, &format!("/api/v1/messages/{}/read", ids[1]), json!({})).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(unread(c.clone()).await, 1);
    let first = json(app.get(&k, &format!("/api/v1/messages/{}", ids[0])).await).await;
    assert_eq!(first["status"], "read", "{first}");
    app.post(&k, &format!("/api/v1/messages/{}/read", ids[2]), json!({})).await;
    assert_eq!(unread(c.clone()).await, 0);
    assert_eq!(listed("unread=true").await, vec![quiet.clone()]);
    assert_eq!(listed("unread=false").await, vec![c.clone()]);
    // A read is no write to the window or the inbox state.
    let conv = json(app.get(&k, &format!("/api/v1/conversations/{c}")).await).await;
    assert_eq!((conv["conversation"]["inboxState"].as_str(), conv["conversation"]["status"].as_str()), (Some("open"), Some("active")));
}

both_backends!(conversations_count_what_nobody_read);

/// Full-text search: message texts and customers' names, folded (`acao` finds `ação`), each
/// word the start of one, within the shop; combined with the other filters; erased with the
/// customer; bad `q` refused.
async fn the_inbox_searches_texts_and_names(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    app.customer_says(PNID, "5511900000081", "Preciso de uma ação sobre o pedido").await;
    app.customer_says(PNID, "5511900000082", "Where is my parcel?").await;
    app.drained().await;
    let other = app.create_shop("t").await;
    app.connect(&other.admin, "1065403599", "+15550002222").await;
    app.customer_says("1065403599", "5511900000083", "ação também").await;
    app.drained().await;
    let hits = |key: String, q: &'static str| {
        let app = &app;
        async move {
            let l = json(app.get(&key, &format!("/api/v1/conversations?q={q}")).await).await;
            let mut was: Vec<String> =
                l["conversations"].as_array().unwrap().iter().map(|c| c["waId"].as_str().unwrap().to_owned()).collect();
            was.sort();
            was
        }
    };
    wait_for("indexed", || async { hits(k.clone(), "acao").await.len() == 1 }).await;
    assert_eq!(hits(k.clone(), "acao").await, ["5511900000081"], "folded, and only this shop's");
    assert_eq!(hits(k.clone(), "A%C3%87%C3%83O%20pedi").await, ["5511900000081"], "case, accents, a word's start, every word");
    assert_eq!(hits(k.clone(), "acao%20parcel").await, Vec::<String>::new());
    assert_eq!(hits(k.clone(), "parc").await, ["5511900000082"]);
    // The customer's name (the sandbox names them Ana), and a reply's text.
    assert_eq!(hits(k.clone(), "ana").await, ["5511900000081", "5511900000082"]);
    let c = json(app.get(&k, "/api/v1/conversations/status?waId=5511900000082").await).await["conversationId"].as_str().unwrap().to_owned();
    app.post(&k, &format!("/api/v1/conversations/{c}/messages"), json!({"content": {"type": "text", "text": "Seu código de rastreio"}}))
        .await;
    assert_eq!(hits(k.clone(), "rastreio").await, ["5511900000082"]);
    // With another filter.
    let l = json(app.get(&k, "/api/v1/conversations?q=ana&waId=5511900000081").await).await;
    assert_eq!(l["total"], 1);

    for (q, why) in [("a", "2 to 200"), ("%21%21", "letter or a digit")] {
        let e = expect_error(app.get(&k, &format!("/api/v1/conversations?q={q}")).await, 422, "VALIDATION_FAILED").await;
        assert_eq!(e["error"]["details"]["field"], "q");
        assert!(e["error"]["message"].as_str().unwrap().contains(why), "{e}");
    }
    let long = "x".repeat(201);
    expect_error(app.get(&k, &format!("/api/v1/conversations?q={long}")).await, 422, "VALIDATION_FAILED").await;

    // Erased: the index holds nothing of the customer.
    let id = json(app.get(&k, "/api/v1/customers/by-wa-id/5511900000081").await).await["customer"]["id"].as_str().unwrap().to_owned();
    assert!(app.delete(&k, &format!("/api/v1/customers/{id}")).await.status().is_success());
    assert_eq!(hits(k.clone(), "acao").await, Vec::<String>::new());
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM search_documents WHERE customer_id = {}", app.uuid_sql(&id))).await, 0);
}

both_backends!(the_inbox_searches_texts_and_names);

/// What was stored before the search existed becomes searchable: the backfill job indexes
/// messages and names from its cursor, leaves what is indexed alone, and never indexes an erased
/// customer again.
async fn the_search_backfills_what_was_stored_before_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    app.customer_says(PNID, "5511900000091", "Preciso trocar o pedido").await;
    app.customer_says(PNID, "5511900000092", "segredo de estado").await;
    app.drained().await;
    let erased = json(app.get(&k, "/api/v1/customers/by-wa-id/5511900000092").await).await["customer"]["id"].as_str().unwrap().to_owned();
    assert!(app.delete(&k, &format!("/api/v1/customers/{erased}")).await.status().is_success());
    let total = |q: &'static str| {
        let (app, k) = (&app, k.clone());
        async move { json(app.get(&k, &format!("/api/v1/conversations?q={q}")).await).await["total"].clone() }
    };
    wait_for("indexed as it was stored", || async { total("trocar").await == json!(1) }).await;

    // As if stored by an earlier version: no documents, the backfill's cursor at the start.
    app.exec("DELETE FROM search_documents").await;
    app.exec("UPDATE search_backfill SET done = FALSE, after_id = NULL").await;
    assert_eq!(total("trocar").await, json!(0));
    let summary = app.state.jobs.run_now("search-backfill").await.unwrap();
    assert!(summary.ends_with(", done"), "{summary}");
    assert_eq!(total("trocar").await, json!(1), "{summary}");
    assert_eq!(total("ana").await, json!(1), "the name of the customer who was not erased");
    assert_eq!(total("segredo").await, json!(0), "an erased customer's messages stay out");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM search_documents WHERE customer_id = {}", app.uuid_sql(&erased))).await, 0);
    let indexed = app.scalar("SELECT COUNT(*) FROM search_documents").await;
    assert_eq!(indexed, 2, "one message and one name");

    // Running again, from the start, writes nothing more; done, it only reads its cursor.
    app.exec("UPDATE search_backfill SET done = FALSE, after_id = NULL").await;
    assert!(app.state.jobs.run_now("search-backfill").await.unwrap().contains(" 0 indexed, done"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM search_documents").await, indexed);
    assert_eq!(app.state.jobs.run_now("search-backfill").await.unwrap(), "0 scanned, 0 indexed, done");
}

both_backends!(the_search_backfills_what_was_stored_before_it);

/// People set a conversation aside (`pending`), waiting on someone else: the member keeps it,
/// the inbox list filters on it, twice is a conflict, and the customer writing opens it.
async fn people_set_conversations_pending(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let agent = app.create_key(&k, &shop.id, "agent").await;
    app.connect(&k, PNID, NUMBER).await;
    let ana = member(&app, &k, "Ana", 2).await;
    let wa = "5511900000025";
    let c = waiting_conversation(&app, &k, wa).await;
    app.post(&agent, &format!("/api/v1/conversations/{c}/assign"), json!({"memberId": ana})).await;

    let path = format!("/api/v1/conversations/{c}/pending");
    let p = json(app.post(&agent, &path, json!({"reason": "waiting on the warehouse"})).await).await;
    assert_eq!((&p["inboxState"], &p["assignedAgentId"], &p["status"]), (&json!("pending"), &json!(ana), &json!("active")), "{p}");
    assert_eq!(load(&app, &k, &ana).await, 1, "she still holds it");
    let listed = json(app.get(&k, "/api/v1/conversations?inboxState=pending").await).await;
    assert_eq!((&listed["total"], &listed["conversations"][0]["id"]), (&json!(1), &json!(c)));
    assert_eq!(json(app.get(&k, "/api/v1/conversations?inboxState=open").await).await["total"], 0);
    expect_error(app.post(&agent, &path, json!({})).await, 409, "CONFLICT").await;
    expect_error(app.post(&agent, &path, json!({"reason": ""})).await, 422, "VALIDATION_FAILED").await;
    let other = app.create_shop("t").await;
    expect_error(app.post(&other.admin, &path, json!({})).await, 404, "NOT_FOUND").await;

    // The customer writes: open again by itself.
    app.customer_says(PNID, wa, "any news?").await;
    app.drained().await;
    assert_eq!(json(app.get(&k, &format!("/api/v1/conversations/{c}")).await).await["conversation"]["inboxState"], "open");
    let changes =
        app.texts("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'conversation.inbox_state.changed' ORDER BY seq").await;
    let data: Vec<Value> = changes.iter().map(|t| serde_json::from_str::<Value>(t).unwrap()["data"].clone()).collect();
    assert_eq!(data.len(), 1, "the customer's message says the rest: {data:?}");
    assert_eq!(
        (&data[0]["from"], &data[0]["to"], &data[0]["reason"]),
        (&json!("open"), &json!("pending"), &json!("waiting on the warehouse"))
    );
    assert_eq!(json(app.get(&k, "/api/v1/audit-log?action=conversation.pending").await).await["total"], 1);
}

both_backends!(people_set_conversations_pending);
