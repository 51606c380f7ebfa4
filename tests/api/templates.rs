//! Templates end to end on the sandbox: made (checked against Meta's rules), approved or rejected
//! by Meta's webhook, listed, previewed, sent with checked parameters, paused (sends refused),
//! synced from Meta's list page by page, and deleted.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511900000001";

fn order_update(name: &str) -> Value {
    json!({
        "name": name, "language": "en_US", "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#123"]}},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today.", "example": {"body_text": [["Ana", "#123"]]}},
            {"type": "FOOTER", "text": "Thanks for shopping"},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track", "url": "https://shop.example/t/{{1}}", "example": ["https://shop.example/t/1"]}]}
        ]
    })
}

fn send_params() -> Value {
    json!([
        {"type": "header", "parameters": [{"type": "text", "text": "#9"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#9"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "9"}]}
    ])
}

fn send(name: &str, components: Value) -> Value {
    json!({"from": NUMBER, "to": format!("+{WA}"), "forceTemplate": true,
        "template": {"name": name, "language": "en_US", "components": components}})
}

async fn status_becomes(app: &TestApp, key: &str, id: &str, status: &str) -> Value {
    let path = format!("/api/v1/templates/{id}");
    wait_for(&format!("template {id} {status}"), || async { json(app.get(key, &path).await).await["status"] == status }).await;
    json(app.get(key, &path).await).await
}

async fn the_template_loop_runs_on_the_sandbox(backend: Backend) {
    // Meta's review comes 300 ms after a submission: long enough that, on a loaded machine, the
    // creation's answer is recorded before the approval arrives (the test reads both in order).
    let mut opts = Opts::new(backend);
    opts.extra_env.push(("SANDBOX_STATUS_DELAY_MS", "300".into()));
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;

    // Made: submitted to Meta (PENDING), then approved by Meta's webhook.
    let r = app.post(&k, "/api/v1/templates", order_update("order_update")).await;
    assert_eq!(r.status().as_u16(), 201);
    let made = json(r).await;
    assert_eq!(
        (made["status"].as_str(), made["category"].as_str(), made["wabaId"].as_str()),
        (Some("PENDING"), Some("UTILITY"), Some("9001"))
    );
    let id = made["id"].as_str().unwrap().to_owned();
    let approved = status_becomes(&app, &k, &id, "APPROVED").await;
    let history: Vec<&str> = approved["history"].as_array().unwrap().iter().map(|h| h["status"].as_str().unwrap()).collect();
    assert_eq!(history, ["PENDING", "APPROVED"]);
    assert_eq!(approved["components"][1]["text"], "Hi {{1}}, your order {{2}} ships today.");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'template.created'").await, 1);

    // The same name and language again: Meta's own refusal, as a conflict.
    expect_error(app.post(&k, "/api/v1/templates", order_update("order_update")).await, 409, "CONFLICT").await;

    // Preview, and sends with checked parameters.
    let preview = json(app.post(&k, &format!("/api/v1/templates/{id}/preview"), json!({"components": send_params()})).await).await;
    assert_eq!(
        (preview["header"].as_str(), preview["body"].as_str(), preview["buttons"][0].as_str()),
        (Some("Order #9"), Some("Hi Ana, your order #9 ships today."), Some("Track → https://shop.example/t/9"))
    );
    let r = app.post(&k, "/api/v1/messages/send", send("order_update", send_params())).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    // What became of it: read (the sandbox's statuses), billable, and answered by the customer.
    wait_for("read", || async { app.scalar("SELECT COUNT(*) FROM messages WHERE kind = 'template' AND status = 'read'").await == 1 }).await;
    app.customer_says(PNID, WA, "thanks!").await;
    app.drained().await;
    let figures = json(app.get(&k, &format!("/api/v1/templates/{id}")).await).await["figures"].clone();
    assert_eq!(
        figures,
        json!({"sent": 1, "delivered": 1, "read": 1, "failed": 0, "repliedWithin24h": 1, "billable": 1, "cost": null}),
        "{figures}"
    );
    // Priced by the shop's rate card: Meta's category (utility) and the customer's market (55).
    expect_error(app.get(&k, "/api/v1/rate-card").await, 404, "NOT_FOUND").await;
    let bad = json!({"currency": "usd", "rates": [
        {"category": "utility", "prefix": "55", "price": "."},
        {"category": "utility", "prefix": "55", "price": "1"},
        {"category": "utility", "prefix": "+55", "price": "2"}]});
    let e = expect_error(app.put(&k, "/api/v1/rate-card", bad).await, 422, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rates[0].price", "rates[2]"]);
    let e = expect_error(app.put(&k, "/api/v1/rate-card", json!({"currency": "US", "rates": []})).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "currency", "{e}");
    let card = json!({"currency": "usd", "rates": [
        {"category": "utility", "prefix": "55", "price": "0.008"},
        {"category": "utility", "price": "0.02"},
        {"category": "marketing", "prefix": "55", "price": "0.0625"}]});
    let r = app.put(&k, "/api/v1/rate-card", card).await;
    assert_eq!(json(r).await["rates"][0], json!({"category": "utility", "prefix": "55", "price": "0.008000"}));
    assert_eq!(json(app.get(&k, "/api/v1/rate-card").await).await["currency"], "USD");
    let figures = json(app.get(&k, &format!("/api/v1/templates/{id}")).await).await["figures"].clone();
    assert_eq!(figures["cost"], json!({"currency": "USD", "amount": "0.008000", "pricedMessages": 1, "unpricedMessages": 0}), "{figures}");
    let missing = json!([{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]);
    let e = expect_error(app.post(&k, "/api/v1/messages/send", send("order_update", missing)).await, 422, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["template.components.header.parameters", "template.components.body.parameters", "template.components.buttons[0]"]);

    // A name the service does not know on this WABA: Meta's list is read again, then refused
    // before Meta sees the send; one just made in Meta's own tools is found by that read.
    let before = app.scalar("SELECT COUNT(*) FROM messages").await;
    let e = expect_error(app.post(&k, "/api/v1/messages/send", send("never_made", send_params())).await, 422, "TEMPLATE_NOT_FOUND").await;
    assert_eq!(e["error"]["details"]["name"], "never_made");
    let graph = app.url("/sandbox/graph/v24.0/9001/message_templates");
    let r = app.http.post(&graph).bearer_auth("EAAG-test-token").json(&order_update("made_in_meta_reject_later")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let e = expect_error(
        app.post(&k, "/api/v1/messages/send", send("made_in_meta_reject_later", send_params())).await,
        422,
        "TEMPLATE_NOT_APPROVED",
    )
    .await;
    assert!(matches!(e["error"]["details"]["status"].as_str(), Some("PENDING" | "REJECTED")), "{e}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, before, "nothing stored for refused sends");

    // Meta rates it RED: sends are refused at once; back to GREEN, they go again.
    let meta_id = approved["metaTemplateId"].as_str().unwrap().to_owned();
    let rate = |score: &'static str| {
        let url = app.url(&format!("/sandbox/templates/{meta_id}/quality"));
        let http = app.http.clone();
        async move { http.post(url).json(&json!({"score": score})).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(rate("RED").await, 200);
    let path = format!("/api/v1/templates/{id}");
    wait_for("quality red", || async { json(app.get(&k, &path).await).await["quality"] == "RED" }).await;
    let e =
        expect_error(app.post(&k, "/api/v1/messages/send", send("order_update", send_params())).await, 422, "TEMPLATE_NOT_APPROVED").await;
    assert_eq!(e["error"]["details"]["status"], "QUALITY_RED");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'template.quality.updated'").await, 1);
    assert_eq!(rate("GREEN").await, 200);
    wait_for("quality green", || async { json(app.get(&k, &path).await).await["quality"] == "GREEN" }).await;
    let r = app.post(&k, "/api/v1/messages/send", send("order_update", send_params())).await;
    assert!(r.status().is_success(), "green sends again: {}", r.text().await.unwrap());

    // Meta flags it: the template stays APPROVED (Meta disables it later, if ever), so it sends.
    let flagged = json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "time": chrono::Utc::now().timestamp(),
        "changes": [{"field": "message_template_status_update", "value": {"event": "FLAGGED",
            "message_template_id": meta_id.parse::<u64>().unwrap(), "message_template_name": "order_update",
            "message_template_language": "en_US", "reason": "NONE", "disable_info": {"disable_date": "2027-01-01"}}}]}]});
    assert_eq!(app.webhook(&flagged).await.status().as_u16(), 200);
    assert_eq!(app.webhook(&flagged).await.status().as_u16(), 200, "Meta redelivers");
    app.drained().await;
    let t = json(app.get(&k, &path).await).await;
    assert_eq!((t["status"].as_str(), t["reason"].as_str()), (Some("APPROVED"), Some("FLAGGED")), "{t}");
    let r = app.post(&k, "/api/v1/messages/send", send("order_update", send_params())).await;
    assert!(r.status().is_success(), "a flagged template still sends: {}", r.text().await.unwrap());
    let said = app
        .scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'template.status.updated' AND CAST(envelope AS TEXT) LIKE '%flagged%'")
        .await;
    assert_eq!(said, 1, "said once, though delivered twice");
    let sent_before = app.scalar("SELECT COUNT(*) FROM messages").await;

    // Meta pauses it: sends are refused before Meta sees them.
    let r = app
        .http
        .post(app.url(&format!("/sandbox/templates/{meta_id}/status")))
        .json(&json!({"status": "PAUSED", "reason": "LOW_QUALITY"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    status_becomes(&app, &k, &id, "PAUSED").await;
    let e =
        expect_error(app.post(&k, "/api/v1/messages/send", send("order_update", send_params())).await, 422, "TEMPLATE_NOT_APPROVED").await;
    assert_eq!(e["error"]["details"]["status"], "PAUSED");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, sent_before, "nothing stored for a refused send");
    // An approval Meta sent an hour ago arrives late (Meta redelivers out of order): it stays paused.
    let late = json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "time": chrono::Utc::now().timestamp() - 3600,
        "changes": [{"field": "message_template_status_update", "value": {"event": "APPROVED",
            "message_template_id": meta_id.parse::<u64>().unwrap(), "message_template_name": "order_update",
            "message_template_language": "en_US", "reason": "NONE"}}]}]});
    assert_eq!(app.webhook(&late).await.status().as_u16(), 200);
    app.drained().await;
    assert_eq!(json(app.get(&k, &format!("/api/v1/templates/{id}")).await).await["status"], "PAUSED", "late news changes nothing");

    // Edited (Meta edits a paused template): pending review again, then approved, with the new text.
    let mut components = order_update("order_update")["components"].clone();
    components[1]["text"] = json!("Hi {{1}}, order {{2}} is on its way.");
    let category_change = json!({"category": "MARKETING", "components": components.clone()});
    let edited = json(app.patch(&k, &format!("/api/v1/templates/{id}"), json!({"components": components})).await).await;
    assert_eq!(
        (edited["status"].as_str(), edited["components"][1]["text"].as_str()),
        (Some("PENDING"), Some("Hi {{1}}, order {{2}} is on its way.")),
        "{edited}"
    );
    let e = expect_error(app.patch(&k, &format!("/api/v1/templates/{id}"), category_change.clone()).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "status", "a pending template waits for its review");
    let reviewed = status_becomes(&app, &k, &id, "APPROVED").await;
    let statuses: Vec<&str> = reviewed["history"].as_array().unwrap().iter().map(|h| h["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["PENDING", "APPROVED", "APPROVED", "PAUSED", "PENDING", "APPROVED"], "the flag is in the history");
    let e = expect_error(app.patch(&k, &format!("/api/v1/templates/{id}"), category_change).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "category", "an approved template keeps its category");
    let preview = json(app.post(&k, &format!("/api/v1/templates/{id}/preview"), json!({"components": send_params()})).await).await;
    assert_eq!(preview["body"], "Hi Ana, order #9 is on its way.");
    app.http.post(app.url(&format!("/sandbox/templates/{meta_id}/status"))).json(&json!({"status": "PAUSED"})).send().await.unwrap();
    status_becomes(&app, &k, &id, "PAUSED").await;

    // Meta rejects a draft it dislikes (the sandbox: a name with "reject").
    let rejected = json(app.post(&k, "/api/v1/templates", order_update("please_reject_me")).await).await;
    let rejected = status_becomes(&app, &k, rejected["id"].as_str().unwrap(), "REJECTED").await;
    assert_eq!(rejected["reason"], "INVALID_FORMAT");
    let paused = json(app.get(&k, "/api/v1/templates?status=paused").await).await;
    assert_eq!((paused["total"].as_u64(), paused["items"][0]["name"].as_str()), (Some(1), Some("order_update")));

    // Another shop sees none of it.
    let other = app.create_shop("t").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/templates/{id}")).await, 404, "NOT_FOUND").await;
    assert_eq!(json(app.get(&other.admin, "/api/v1/templates").await).await["total"], 0);

    // Deleted at Meta and here, with the token of a number still connected on the WABA: the
    // first number was disconnected (its token wiped), a second one speaks for the WABA.
    let first = json(app.get(&k, "/api/v1/accounts").await).await["accounts"][0]["id"].as_str().unwrap().to_owned();
    app.connect(&k, "1065409999", "+15550009999").await;
    assert_eq!(app.delete(&k, &format!("/api/v1/accounts/{first}")).await.status().as_u16(), 200);
    assert_eq!(app.delete(&k, &format!("/api/v1/templates/{id}")).await.status().as_u16(), 204);
    expect_error(app.get(&k, &format!("/api/v1/templates/{id}")).await, 404, "NOT_FOUND").await;
    let viewer = app.create_key(&k, &shop.id, "viewer").await;
    expect_error(app.post(&viewer, "/api/v1/templates", order_update("x")).await, 403, "FORBIDDEN").await;
}

async fn a_draft_that_breaks_meta_s_rules_is_refused_with_every_problem(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let bad = json!({"name": "Order Update", "language": "english", "category": "UTILITY", "components": [
        {"type": "BODY", "text": "{{1}} and {{name}}"},
        {"type": "FOOTER", "text": "x".repeat(61)},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "a"}, {"type": "URL", "text": "u", "url": "https://a.example"}, {"type": "QUICK_REPLY", "text": "b"}]}
    ]});
    let e = expect_error(app.post(&k, "/api/v1/templates", bad).await, 422, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    for f in ["name", "language", "components[0].text", "components[1].text", "components[2].buttons"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert_eq!(e["error"]["details"]["field"], "name");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM templates").await, 0, "nothing stored, nothing sent to Meta");
    expect_error(
        app.post(&k, "/api/v1/templates", json!({"name": "x", "language": "en", "category": "UTILITY"})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
}

async fn sync_pulls_every_page_of_meta_s_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    // 130 templates made in Meta's own tools (straight at the sandbox's Graph API).
    let graph = app.url("/sandbox/graph/v24.0/9001/message_templates");
    for i in 0..130 {
        let mut t = order_update(&format!("made_at_meta_{i:03}"));
        t["category"] = json!("MARKETING");
        let r = app.http.post(&graph).bearer_auth("EAAG-test-token").json(&t).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    // Meta's reviews arrive first, by webhook: the service knows their status, not their content.
    wait_for("reviews delivered", || async { app.scalar("SELECT COUNT(*) FROM templates WHERE status = 'approved'").await == 130 }).await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM templates WHERE components IS NULL").await, 130);
    let out = json(app.post(&k, "/api/v1/templates/sync", json!({})).await).await;
    assert_eq!(
        (out["wabas"].as_u64(), out["pages"].as_u64(), out["seen"].as_u64(), out["created"].as_u64(), out["updated"].as_u64()),
        (Some(1), Some(2), Some(130), Some(0), Some(130)),
        "{out}"
    );
    let list = json(app.get(&k, "/api/v1/templates?limit=200").await).await;
    assert_eq!(list["total"], 130);
    let first = &list["items"][0];
    assert_eq!(
        (first["name"].as_str(), first["category"].as_str(), first["status"].as_str()),
        (Some("made_at_meta_000"), Some("MARKETING"), Some("APPROVED"))
    );
    assert_eq!(first["components"][1]["text"], "Hi {{1}}, your order {{2}} ships today.", "what it says is kept");
    // Again: nothing changed.
    let again = json(app.post(&k, "/api/v1/templates/sync", json!({})).await).await;
    assert_eq!((again["created"].as_u64(), again["updated"].as_u64()), (Some(0), Some(0)), "{again}");
    // A status webhook that never arrived (here: the service still thinks two are pending): the
    // sync puts them right, in the history and with the event the webhook would have published.
    app.exec("UPDATE templates SET status = 'pending' WHERE name IN ('made_at_meta_001', 'made_at_meta_002')").await;
    let events_before = app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'template.status.updated'").await;
    let fixed = json(app.post(&k, "/api/v1/templates/sync", json!({})).await).await;
    assert_eq!((fixed["created"].as_u64(), fixed["updated"].as_u64()), (Some(0), Some(2)), "{fixed}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM templates WHERE status = 'approved'").await, 130);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'template.status.updated'").await, events_before + 2);
    // One made at Meta whose review has not been told yet appears as new.
    let r = app.http.post(&graph).bearer_auth("EAAG-test-token").json(&order_update("latest_one")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let latest = json(app.post(&k, "/api/v1/templates/sync", json!({})).await).await;
    assert_eq!(latest["seen"], 131);
    assert!(latest["created"].as_u64().unwrap() + latest["updated"].as_u64().unwrap() == 1, "{latest}");
}

async fn the_reconciliation_job_syncs_every_shop_with_a_number(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.create_shop("a").await;
    let b = app.create_shop("b").await;
    app.connect(&a.admin, PNID, NUMBER).await;
    let _no_number = app.create_shop("c").await;
    let graph = app.url("/sandbox/graph/v24.0/9001/message_templates");
    for i in 0..3 {
        let r = app.http.post(&graph).bearer_auth("EAAG-test-token").json(&order_update(&format!("from_meta_{i}"))).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let summary = app.state.jobs.run_now("template-reconciliation").await.unwrap();
    assert!(summary.starts_with("1 shops synced, 0 failed"), "{summary}");
    assert_eq!(json(app.get(&a.admin, "/api/v1/templates").await).await["total"], 3);
    assert_eq!(json(app.get(&b.admin, "/api/v1/templates").await).await["total"], 0, "b has no number");
}

both_backends!(
    the_reconciliation_job_syncs_every_shop_with_a_number,
    the_template_loop_runs_on_the_sandbox,
    a_draft_that_breaks_meta_s_rules_is_refused_with_every_problem,
    sync_pulls_every_page_of_meta_s_list
);
