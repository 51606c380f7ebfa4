//! Consent end to end: the ledger over HTTP, keywords in WhatsApp, Meta's own signals, and every
//! template send obeying it.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511900000001";

fn waba_change(field: &str, value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "changes": [{"field": field, "value": value}]}]})
}

fn marketing_send() -> Value {
    json!({"from": NUMBER, "to": format!("+{WA}"), "template": {"name": "spring_sale", "language": "en_US"}})
}

async fn customer_id(app: &TestApp, key: &str) -> String {
    json(app.get(key, &format!("/api/v1/customers/by-wa-id/{WA}")).await).await["customer"]["id"].as_str().unwrap().to_owned()
}

/// The customer writes through the sandbox (which then knows the window is open, as Meta would).
async fn says(app: &TestApp, text: &str) -> String {
    let wamid = app.customer_says(PNID, WA, text).await;
    app.drained().await;
    wamid
}

async fn consent_is_recorded_obeyed_and_changed_by_keywords_and_meta(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    // Meta tells us spring_sale is a MARKETING template.
    let category = waba_change(
        "template_category_update",
        json!({"message_template_id": 77, "message_template_name": "spring_sale", "message_template_language": "en_US",
               "previous_category": "UTILITY", "new_category": "MARKETING"}),
    );
    assert_eq!(app.webhook(&category).await.status().as_u16(), 200);
    says(&app, "oi").await;
    let id = customer_id(&app, &shop.admin).await;
    let consent = format!("/api/v1/customers/{id}/consent");

    // Pending: marketing needs an opt-in; nothing is queued.
    let e = expect_error(app.post(&shop.admin, "/api/v1/messages/send", marketing_send()).await, 422, "CONSENT_REQUIRED").await;
    assert_eq!(e["error"]["details"], json!({"purpose": "marketing", "consentStatus": "pending"}));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await, 0);

    // An agent records the opt-in from the web form; the same again changes nothing.
    let body = json!({"purpose": "marketing", "status": "opted_in", "source": "web", "evidence": "checkout form #42"});
    let r = json(app.post(&shop.admin, &consent, body.clone()).await).await;
    assert_eq!((r["changed"].as_bool(), r["consent"]["marketing"]["status"].as_str()), (Some(true), Some("opted_in")));
    assert!(r["entry"]["actor"].as_str().unwrap().starts_with("api-key:"), "{r}");
    assert_eq!(json(app.post(&shop.admin, &consent, body).await).await["changed"], false);
    assert!(app.post(&shop.admin, "/api/v1/messages/send", marketing_send()).await.status().is_success());

    // "Stop!" as a whole message opts out, with one confirmation; a sentence does not.
    let stop = says(&app, "Stop!").await;
    says(&app, "stop sending me the bill please").await;
    says(&app, "STOP").await;
    let ledger = json(app.get(&shop.admin, &consent).await).await;
    assert_eq!(ledger["consent"]["marketing"]["status"], "opted_out");
    assert_eq!(ledger["consent"]["marketing"]["source"], "whatsapp");
    assert_eq!(ledger["consent"]["utility"]["status"], "pending");
    assert_eq!(ledger["total"], 2);
    assert_eq!(ledger["entries"][0]["evidence"], format!("message {stop} \"STOP\""));
    assert_eq!(ledger["entries"][1]["source"], "web");
    let confirmations = app.texts("SELECT CAST(content AS TEXT) FROM messages WHERE direction = 'outbound' AND kind = 'free'").await;
    assert_eq!(confirmations.len(), 1, "{confirmations:?}");
    assert!(confirmations[0].contains("START"), "{confirmations:?}");
    assert_eq!(
        app.texts("SELECT sent_by FROM messages WHERE direction = 'outbound' AND kind = 'free'").await,
        ["system:consent_confirmation"],
        "the service itself sent the confirmation"
    );

    let e = expect_error(app.post(&shop.admin, "/api/v1/messages/send", marketing_send()).await, 422, "CUSTOMER_OPTED_OUT").await;
    assert_eq!(e["error"]["details"]["purpose"], "marketing");
    // A free-form reply inside the window the customer opened is always allowed.
    let reply = json!({"from": NUMBER, "to": format!("+{WA}"), "content": {"type": "text", "text": "Done, you are unsubscribed."}});
    let r = app.post(&shop.admin, "/api/v1/messages/send", reply).await;
    assert!(r.status().is_success(), "{}", json(r).await);

    // Meta's user_preferences: the customer resumed marketing messages in WhatsApp.
    let resume = waba_change(
        "user_preferences",
        json!({"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": PNID},
               "contacts": [{"profile": {"name": "Ana"}, "wa_id": WA}],
               "user_preferences": [{"wa_id": WA, "detail": "User requested to resume marketing messages",
                                     "category": "marketing_messages", "value": "resume", "timestamp": now_ts()}]}),
    );
    assert_eq!(app.webhook(&resume).await.status().as_u16(), 200);
    app.drained().await;
    let ledger = json(app.get(&shop.admin, &format!("{consent}?limit=1")).await).await;
    assert_eq!(
        (ledger["consent"]["marketing"]["status"].as_str(), ledger["entries"][0]["source"].as_str()),
        (Some("opted_in"), Some("meta"))
    );
    assert_eq!(ledger["hasMore"], true);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.opt_in.changed'").await, 3);
    assert_eq!(json(app.get(&shop.admin, &format!("/api/v1/customers/{id}")).await).await["customer"]["optInStatus"], "opted_in");

    // Bad input, roles, tenancy.
    let e =
        expect_error(app.post(&shop.admin, &consent, json!({"purpose": "marketing", "status": "pending"})).await, 422, "VALIDATION_FAILED")
            .await;
    assert_eq!(e["error"]["details"]["field"], "status");
    expect_error(app.post(&shop.admin, &consent, json!({"purpose": "sms", "status": "opted_in"})).await, 422, "VALIDATION_FAILED").await;
    let long = json!({"purpose": "utility", "status": "opted_in", "evidence": "x".repeat(1001)});
    expect_error(app.post(&shop.admin, &consent, long).await, 422, "VALIDATION_FAILED").await;
    let viewer = app.create_key(&shop.admin, &shop.id, "viewer").await;
    expect_error(app.post(&viewer, &consent, json!({"purpose": "utility", "status": "opted_out"})).await, 403, "FORBIDDEN").await;
    assert_eq!(app.get(&viewer, &consent).await.status().as_u16(), 200);
    let other = app.create_shop("t").await;
    expect_error(app.get(&other.admin, &consent).await, 404, "NOT_FOUND").await;
    expect_error(app.post(&other.admin, &consent, json!({"purpose": "utility", "status": "opted_out"})).await, 404, "NOT_FOUND").await;
}

async fn a_shop_sets_its_own_keywords_confirmation_and_opt_in_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let defaults = json(app.get(&shop.admin, "/api/v1/consent-settings").await).await;
    assert_eq!(defaults["requireMarketingOptIn"], true);
    for k in ["STOP", "PARAR", "BAJA", "DỪNG"] {
        assert!(defaults["optOutKeywords"].as_array().unwrap().iter().any(|x| x == k), "{k} in {defaults}");
    }
    let conflicting = json!({"requireMarketingOptIn": true, "optOutKeywords": ["Chega"], "optInKeywords": ["chega!"]});
    let e = expect_error(app.put(&shop.admin, "/api/v1/consent-settings", conflicting).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "optInKeywords");
    let own = json!({"requireMarketingOptIn": false, "optOutKeywords": ["Chega"], "optInKeywords": ["Volta"], "optOutReply": "Ok, parei."});
    let agent = app.create_key(&shop.admin, &shop.id, "agent").await;
    expect_error(app.put(&agent, "/api/v1/consent-settings", own.clone()).await, 403, "FORBIDDEN").await;
    let saved = json(app.put(&shop.admin, "/api/v1/consent-settings", own).await).await;
    assert_eq!((saved["optOutKeywords"].clone(), saved["optInReply"].clone()), (json!(["Chega"]), Value::Null));

    says(&app, "stop").await;
    let id = customer_id(&app, &shop.admin).await;
    let state = || async {
        json(app.get(&shop.admin, &format!("/api/v1/customers/{id}/consent")).await).await["consent"]["marketing"]["status"].clone()
    };
    assert_eq!(state().await, "pending", "the shop's list replaced the defaults");
    says(&app, "CHEGA").await;
    assert_eq!(state().await, "opted_out");
    assert_eq!(app.texts("SELECT CAST(content AS TEXT) FROM messages WHERE direction = 'outbound'").await.len(), 1);
    assert!(app.texts("SELECT CAST(content AS TEXT) FROM messages WHERE direction = 'outbound'").await[0].contains("Ok, parei."));
    says(&app, "volta").await;
    assert_eq!(state().await, "opted_in");
}

both_backends!(consent_is_recorded_obeyed_and_changed_by_keywords_and_meta, a_shop_sets_its_own_keywords_confirmation_and_opt_in_rule);
