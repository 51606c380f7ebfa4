//! Quick replies: canned messages, shared or personal, with variables filled at send from the
//! customer and the member; sent on a conversation through the one send entry; templates must be
//! approved; every refusal in the contract's body with nothing sent.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511900000031";

fn template(name: &str) -> Value {
    json!({
        "name": name, "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today.", "example": {"body_text": [["Ana", "#123"]]}}]
    })
}

async fn outbound(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await
}

async fn quick_replies_are_filled_for_the_conversation_and_sent_as_replies(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ana = json(app.post(&k, "/api/v1/agents", json!({"name": "Ana Souza", "email": "ana@shop.example.com"})).await).await;
    let ana = ana["id"].as_str().unwrap().to_owned();
    let keys = format!("/api/v1/shops/{}/api-keys", shop.id);
    let ana_key =
        json(app.post(&k, &keys, json!({"name": "Ana", "role": "agent", "memberId": ana})).await).await["key"].as_str().unwrap().to_owned();
    let plain_agent = app.create_key(&k, &shop.id, "agent").await;
    app.post(&k, "/api/v1/custom-fields", json!({"key": "order_id", "label": "Order", "type": "text"})).await;
    app.customer_says(PNID, WA, "Where is my order?").await;
    app.drained().await;
    let c =
        json(app.get(&k, &format!("/api/v1/conversations/status?waId={WA}")).await).await["conversationId"].as_str().unwrap().to_owned();

    // The conversation is Ana's: her key may act on what she may see.
    let r = app.post(&k, &format!("/api/v1/conversations/{c}/assign"), json!({"memberId": ana})).await;
    assert_eq!(r.status().as_u16(), 200);
    // A shared one (admin) with variables; an unknown variable and a bad shortcut are named.
    let text = "{{customer.name}}, order {{customer.fields.order_id}} ships today. {{agent.name}} ({{1}} stays)";
    let r = app.post(&k, "/api/v1/quick-replies", json!({"shortcut": "/Ships", "content": {"type": "text", "text": text}})).await;
    assert_eq!(r.status().as_u16(), 201);
    let shared = json(r).await;
    assert_eq!((&shared["shortcut"], &shared["memberId"]), (&json!("ships"), &Value::Null), "{shared}");
    assert_eq!(shared["variables"], json!(["customer.name", "customer.fields.order_id", "agent.name"]));
    let qr = shared["id"].as_str().unwrap().to_owned();
    let e = expect_error(
        app.post(&k, "/api/v1/quick-replies", json!({"shortcut": "x y", "content": {"type": "text", "text": "{{customer.email}}"}})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    let fields: Vec<&str> = e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["shortcut", "content"], "{e}");
    expect_error(
        app.post(&k, "/api/v1/quick-replies", json!({"shortcut": "ships", "content": {"type": "text", "text": "again"}})).await,
        409,
        "CONFLICT",
    )
    .await;
    expect_error(app.post(&k, "/api/v1/quick-replies", json!({"shortcut": "nothing"})).await, 422, "VALIDATION_FAILED").await;
    // Shared ones are the admins'; a personal one needs a key bound to a member.
    let body = json!({"shortcut": "mine", "content": {"type": "text", "text": "Ana's own"}});
    expect_error(app.post(&ana_key, "/api/v1/quick-replies", body.clone()).await, 403, "FORBIDDEN").await;
    let mut personal = body.clone();
    personal["personal"] = json!(true);
    let e = expect_error(app.post(&plain_agent, "/api/v1/quick-replies", personal.clone()).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "personal");
    let mine = json(app.post(&ana_key, "/api/v1/quick-replies", personal.clone()).await).await;
    assert_eq!(mine["memberId"], json!(ana));
    // Personal shortcuts are per member: the shop may have its own "mine".
    assert_eq!(app.post(&k, "/api/v1/quick-replies", body).await.status().as_u16(), 201);

    // Each sees the shared ones and their own, by shortcut; `q` narrows.
    let shortcuts = |key: String, q: &'static str| {
        let app = &app;
        async move {
            let l = json(app.get(&key, &format!("/api/v1/quick-replies{q}")).await).await;
            l["items"].as_array().unwrap().iter().map(|i| i["shortcut"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(shortcuts(ana_key.clone(), "").await, ["mine", "mine", "ships"]);
    assert_eq!(shortcuts(k.clone(), "").await, ["mine", "ships"]);
    assert_eq!(shortcuts(ana_key.clone(), "?q=/SH").await, ["ships"]);
    // Another member's personal one does not exist for others.
    let mine_id = mine["id"].as_str().unwrap();
    expect_error(app.patch(&k, &format!("/api/v1/quick-replies/{mine_id}"), json!({"shortcut": "x"})).await, 404, "NOT_FOUND").await;
    expect_error(app.patch(&ana_key, &format!("/api/v1/quick-replies/{qr}"), json!({"shortcut": "x"})).await, 403, "FORBIDDEN").await;

    // Sent by Ana: a variable without a value is named, and nothing goes out.
    let path = format!("/api/v1/conversations/{c}/messages");
    let before = outbound(&app).await;
    let e = expect_error(app.post(&ana_key, &path, json!({"quickReplyId": qr})).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "customer.fields.order_id", "{e}");
    assert_eq!(outbound(&app).await, before);
    let e = expect_error(
        app.post(&ana_key, &path, json!({"quickReplyId": qr, "content": {"type": "text", "text": "x"}})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "quickReplyId");
    // Another member's personal one is unknown to the admin's key.
    let e = expect_error(app.post(&k, &path, json!({"quickReplyId": mine_id})).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "quickReplyId");

    // With the customer's field set, everything is filled from the service's own values.
    let customer = json(app.get(&k, &format!("/api/v1/customers/by-wa-id/{WA}")).await).await["customer"].clone();
    let id = customer["id"].as_str().unwrap_or_else(|| panic!("{customer}"));
    let r = app.patch(&k, &format!("/api/v1/customers/{id}"), json!({"customFields": {"order_id": "1043"}})).await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app.post(&ana_key, &path, json!({"quickReplyId": qr})).await;
    assert!(matches!(r.status().as_u16(), 200 | 202), "{}", r.status());
    let sent = json(r).await;
    let m = json(app.get(&k, &format!("/api/v1/messages/{}", sent["id"].as_str().unwrap())).await).await;
    let name = customer["name"].as_str().or(customer["displayName"].as_str()).unwrap_or_else(|| panic!("{customer}")).to_owned();
    assert_eq!(m["content"]["text"], json!(format!("{name}, order 1043 ships today. Ana Souza ({{{{1}}}} stays)")), "{m}");
    assert_eq!(m["sentBy"], json!({"type": "member", "id": ana}));
    // Values the request gives win.
    let r = app.post(&ana_key, &path, json!({"quickReplyId": qr, "variables": {"customer.fields.order_id": "77"}})).await;
    let m = json(app.get(&k, &format!("/api/v1/messages/{}", json(r).await["id"].as_str().unwrap())).await).await;
    assert!(m["content"]["text"].as_str().unwrap().contains("order 77 ships"), "{m}");
    expect_error(
        app.post(&ana_key, &path, json!({"content": {"type": "text", "text": "x"}, "variables": {}})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;

    // A template: refused while Meta reviews it, kept once approved, sent as the template.
    let t = json(app.post(&k, "/api/v1/templates", template("order_ready")).await).await;
    let params = json!([{"type": "body", "parameters": [{"type": "text", "text": "{{customer.name}}"}, {"type": "text", "text": "{{customer.fields.order_id}}"}]}]);
    let body = json!({"shortcut": "ready", "template": {"name": "order_ready", "language": "en_US", "components": params}});
    expect_error(app.post(&k, "/api/v1/quick-replies", body.clone()).await, 422, "TEMPLATE_NOT_APPROVED").await;
    let missing = json!({"shortcut": "gone", "template": {"name": "no_such", "language": "en_US"}});
    expect_error(app.post(&k, "/api/v1/quick-replies", missing).await, 422, "TEMPLATE_NOT_FOUND").await;
    let tpath = format!("/api/v1/templates/{}", t["id"].as_str().unwrap());
    wait_for("template approved", || async { json(app.get(&k, &tpath).await).await["status"] == "APPROVED" }).await;
    let ready = json(app.post(&k, "/api/v1/quick-replies", body).await).await;
    let r = app.post(&ana_key, &path, json!({"quickReplyId": ready["id"]})).await;
    assert!(matches!(r.status().as_u16(), 200 | 202), "{}", r.status());
    let m = json(app.get(&k, &format!("/api/v1/messages/{}", json(r).await["id"].as_str().unwrap())).await).await;
    assert_eq!(m["messageType"], "template", "{m}");
    assert_eq!(m["content"]["components"][0]["parameters"][1]["text"], "1043", "{m}");

    // Changed and deleted by their owners; audited.
    let changed = json(app.patch(&k, &format!("/api/v1/quick-replies/{qr}"), json!({"shortcut": "shipping"})).await).await;
    assert_eq!((&changed["shortcut"], &changed["variables"]), (&json!("shipping"), &shared["variables"]));
    expect_error(app.patch(&k, &format!("/api/v1/quick-replies/{qr}"), json!({"shortcut": "ready"})).await, 409, "CONFLICT").await;
    assert_eq!(app.delete(&ana_key, &format!("/api/v1/quick-replies/{mine_id}")).await.status().as_u16(), 204);
    expect_error(app.delete(&ana_key, &format!("/api/v1/quick-replies/{mine_id}")).await, 404, "NOT_FOUND").await;
    let audit = json(app.get(&k, "/api/v1/audit-log?action=quick_reply.deleted").await).await;
    assert_eq!(audit["items"][0]["actorMemberId"], json!(ana), "{audit}");
    // Another shop sees none of it.
    let other = app.create_shop("t").await;
    assert_eq!(json(app.get(&other.admin, "/api/v1/quick-replies").await).await["total"], 0);
    expect_error(app.delete(&other.admin, &format!("/api/v1/quick-replies/{qr}")).await, 404, "NOT_FOUND").await;
}

both_backends!(quick_replies_are_filled_for_the_conversation_and_sent_as_replies);
