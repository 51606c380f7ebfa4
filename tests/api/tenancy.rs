use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

const NUMBER_A: &str = "+15550001111";
const NUMBER_B: &str = "+15550002222";

async fn shops_cannot_see_or_use_each_others_data(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.create_shop("A").await;
    let b = app.create_shop("B").await;
    let acc_a = app.connect(&a.admin, "111", NUMBER_A).await;
    app.connect(&b.admin, "222", NUMBER_B).await;
    app.customer_says("111", "+5511987654321", "hello A").await;
    app.drained().await;
    let msgs_a = app.messages(&a.admin, "waId=5511987654321").await;
    assert_eq!(msgs_a["total"], 1);
    let msg_id = msgs_a["messages"][0]["id"].as_str().unwrap().to_owned();
    let conv_id = msgs_a["messages"][0]["conversationId"].as_str().unwrap().to_owned();
    let acc_id = acc_a["id"].as_str().unwrap();

    assert_eq!(app.messages(&b.admin, "waId=5511987654321").await["total"], 0);
    expect_error(app.get(&b.admin, &format!("/api/v1/messages/{msg_id}")).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&b.admin, &format!("/api/v1/conversations/{conv_id}")).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&b.admin, &format!("/api/v1/accounts/{acc_id}")).await, 404, "NOT_FOUND").await;
    expect_error(app.patch(&b.admin, &format!("/api/v1/accounts/{acc_id}"), json!({"status": "suspended"})).await, 404, "NOT_FOUND").await;
    let accounts_b = json(app.get(&b.admin, "/api/v1/accounts").await).await;
    assert_eq!(accounts_b["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(json(app.get(&b.admin, "/api/v1/conversations").await).await["total"], 0);
    let status_b = json(app.get(&b.admin, "/api/v1/conversations/status?waId=5511987654321").await).await;
    assert_eq!(status_b["canSendFreeMessage"], false, "A's window is not B's");
    expect_error(
        app.post(
            &b.admin,
            "/api/v1/messages/send",
            json!({"from": NUMBER_A, "to": "+5511987654321", "content": {"type": "text", "text": "x"}}),
        )
        .await,
        422,
        "INVALID_PHONE_NUMBER",
    )
    .await;
    expect_error(app.post(&b.admin, &format!("/api/v1/messages/{msg_id}/read"), json!({})).await, 404, "NOT_FOUND").await;
    // B cannot take A's number either: without a token Meta accepts for it, Meta says no; with
    // one, the answer names nobody.
    expect_error(
        app.post(
            &b.admin,
            "/api/v1/accounts",
            json!({"phoneNumberId": "111", "displayPhoneNumber": NUMBER_A, "wabaId": "1", "accessToken": "made-up"}),
        )
        .await,
        422,
        "NUMBER_NOT_VERIFIED",
    )
    .await;
    let e = expect_error(
        app.post(
            &b.admin,
            "/api/v1/accounts",
            json!({"phoneNumberId": "111", "displayPhoneNumber": NUMBER_A, "wabaId": "1", "accessToken": "EAAG-b"}),
        )
        .await,
        409,
        "NUMBER_UNAVAILABLE",
    )
    .await;
    let said = e.to_string();
    assert!(!said.contains(&a.id) && !said.contains("already"), "{said}");
    // A's key cannot create keys for B.
    let r = app.post(&a.admin, &format!("/api/v1/shops/{}/api-keys", b.id), json!({"name": "x", "role": "admin"})).await;
    expect_error(r, 404, "NOT_FOUND").await;
}

async fn roles_are_enforced_on_every_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("S").await;
    let viewer = app.create_key(&shop.admin, &shop.id, "viewer").await;
    let agent = app.create_key(ADMIN_KEY, &shop.id, "agent").await;
    app.connect(&shop.admin, "111", NUMBER_A).await;
    let send = json!({"from": NUMBER_A, "to": "+5511987654321", "content": {"type": "text", "text": "x"}});

    expect_error(app.post(&viewer, "/api/v1/messages/send", send.clone()).await, 403, "FORBIDDEN").await;
    expect_error(
        app.post(
            &agent,
            "/api/v1/accounts",
            json!({"phoneNumberId": "333", "displayPhoneNumber": "+15550003333", "wabaId": "1", "accessToken": "t"}),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_error(
        app.post(&agent, &format!("/api/v1/shops/{}/api-keys", shop.id), json!({"name": "x", "role": "admin"})).await,
        403,
        "FORBIDDEN",
    )
    .await;
    expect_error(app.post(&shop.admin, "/api/v1/shops", json!({"name": "nope"})).await, 403, "FORBIDDEN").await;
    expect_error(app.get(ADMIN_KEY, "/api/v1/messages").await, 403, "FORBIDDEN").await;
    assert_eq!(app.get(&viewer, "/api/v1/messages").await.status().as_u16(), 200);
    assert_eq!(app.get(&viewer, "/api/v1/accounts").await.status().as_u16(), 200);
    // The agent may send (the window is closed, so the refusal is the window's, not the role's).
    expect_error(app.post(&agent, "/api/v1/messages/send", send.clone()).await, 422, "CONVERSATION_WINDOW_CLOSED").await;
    // No key, an unknown key.
    let r = app.http.get(app.url("/api/v1/messages")).send().await.unwrap();
    expect_error(r, 401, "UNAUTHORIZED").await;
    expect_error(app.get("wsk_not_a_real_key", "/api/v1/messages").await, 401, "UNAUTHORIZED").await;
    // Keys are listed without the key itself.
    let keys = json(app.get(&shop.admin, &format!("/api/v1/shops/{}/api-keys", shop.id)).await).await;
    assert_eq!(keys.as_array().unwrap().len(), 3);
    assert!(keys[0].get("key").is_none());
    assert!(keys.to_string().find(&shop.admin[12..]).is_none(), "no full key in a listing");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM api_keys WHERE key_hash = '{}'", shop.admin)).await, 0, "stored hashed");
}

async fn account_lifecycle_and_the_token_stays_secret(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("S").await;
    let r = app
        .post(&shop.admin, "/api/v1/accounts", json!({"phoneNumberId": "111", "displayPhoneNumber": NUMBER_A, "wabaId": "77", "accessToken": "EAAG-very-secret", "displayName": "Padaria"}))
        .await;
    let acc = json(r).await;
    assert!(acc.get("accessToken").is_none());
    assert!(!acc.to_string().contains("EAAG-very-secret"));
    let stored = app.text("SELECT access_token_encrypted FROM whatsapp_accounts").await.unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains("EAAG"), "encrypted at rest");
    let id = acc["id"].as_str().unwrap();
    let upd = json(
        app.patch(
            &shop.admin,
            &format!("/api/v1/accounts/{id}"),
            json!({"status": "suspended", "qualityRating": "yellow", "messagingTier": "tier_1k"}),
        )
        .await,
    )
    .await;
    assert_eq!(upd["status"], "suspended");
    assert_eq!(upd["qualityRating"], "yellow");
    assert_eq!(upd["messagingTier"], "tier_1k");
    // A rotated token is checked with Meta first (the sandbox knows its EAAG… test tokens): one
    // Meta refuses is never stored, so a typo cannot silently stop the number's sends.
    let path = format!("/api/v1/accounts/{id}");
    let e = expect_error(app.patch(&shop.admin, &path, json!({"accessToken": "typo"})).await, 422, "NUMBER_NOT_VERIFIED").await;
    assert_eq!(e["error"]["details"]["field"], "accessToken");
    assert_eq!(app.text("SELECT access_token_encrypted FROM whatsapp_accounts").await.unwrap(), stored, "the old token stays");
    assert_eq!(app.patch(&shop.admin, &path, json!({"accessToken": "EAAG-rotated"})).await.status().as_u16(), 200);
    assert_ne!(app.text("SELECT access_token_encrypted FROM whatsapp_accounts").await.unwrap(), stored, "the new one is stored");
    let e = expect_error(
        app.post(
            &shop.admin,
            "/api/v1/messages/template",
            json!({"from": NUMBER_A, "to": "+5511987654321", "template": {"name": "x", "language": "en"}}),
        )
        .await,
        409,
        "ACCOUNT_NOT_ACTIVE",
    )
    .await;
    assert!(e["error"]["message"].as_str().unwrap().contains("suspended"));
    let del = json(app.delete(&shop.admin, &format!("/api/v1/accounts/{id}")).await).await;
    assert_eq!(del["status"], "disconnected");
    expect_error(app.patch(&shop.admin, &format!("/api/v1/accounts/{id}"), json!({"status": "active"})).await, 409, "CONFLICT").await;
    // Nothing else of it changes either, until it is connected again.
    expect_error(app.patch(&shop.admin, &format!("/api/v1/accounts/{id}"), json!({"throughputMps": 10})).await, 409, "CONFLICT").await;
    // Reconnecting the same number reuses the account with the new token.
    let again = app
        .post(
            &shop.admin,
            "/api/v1/accounts",
            json!({"phoneNumberId": "111", "displayPhoneNumber": NUMBER_A, "wabaId": "77", "accessToken": "EAAG-new"}),
        )
        .await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(json(again).await["id"], acc["id"]);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'account.connected'").await, 2);
    let bad = app
        .post(
            &shop.admin,
            "/api/v1/accounts",
            json!({"phoneNumberId": "abc", "displayPhoneNumber": NUMBER_B, "wabaId": "77", "accessToken": "t"}),
        )
        .await;
    assert_eq!(expect_error(bad, 422, "VALIDATION_FAILED").await["error"]["details"]["field"], "phoneNumberId");
}

#[tokio::test]
async fn a_shop_over_its_limit_gets_429_with_retry_after() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.rate_limit_per_minute = 3;
    let app = spawn_with(opts).await;
    let shop = app.create_shop("S").await;
    for _ in 0..3 {
        assert_eq!(app.get(&shop.admin, "/api/v1/accounts").await.status().as_u16(), 200);
    }
    let r = app.get(&shop.admin, "/api/v1/accounts").await;
    let retry_after: u64 = r.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    expect_error(r, 429, "RATE_LIMIT_EXCEEDED").await;
    // Another shop is not affected.
    let other = app.create_shop("T").await;
    assert_eq!(app.get(&other.admin, "/api/v1/accounts").await.status().as_u16(), 200);
}

both_backends!(
    shops_cannot_see_or_use_each_others_data,
    roles_are_enforced_on_every_endpoint,
    account_lifecycle_and_the_token_stays_secret
);

/// Seed 004's environment bootstrap: the numbers are connected to a default shop on start,
/// once; a restart on the same database adds nothing.
#[tokio::test]
async fn numbers_from_the_environment_are_connected_once() {
    let env = vec![
        ("WHATSAPP_ACCESS_TOKEN", "EAAG-env-token".to_owned()),
        ("WHATSAPP_PHONE_NUMBERS", "111:+5511900000001,222:+5511900000002".to_owned()),
    ];
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env = env.clone();
    let first = spawn_with(opts).await;
    assert_eq!(first.scalar("SELECT COUNT(*) FROM shops").await, 1);
    assert_eq!(first.scalar("SELECT COUNT(*) FROM whatsapp_accounts WHERE status = 'active'").await, 2);
    let stored = first.text("SELECT access_token_encrypted FROM whatsapp_accounts").await.unwrap();
    assert!(!stored.contains("EAAG"), "encrypted at rest");
    let mut again = Opts::new(Backend::Sqlite);
    again.extra_env = env;
    again.database_url = Some(first.db_url.clone());
    let second = spawn_with(again).await;
    assert_eq!(second.scalar("SELECT COUNT(*) FROM shops").await, 1);
    assert_eq!(second.scalar("SELECT COUNT(*) FROM whatsapp_accounts").await, 2);
}

/// Each key has its own bucket under the shop's ceiling: a key over its share gets 429 while
/// another key of the same shop goes on, until the shop's ceiling stops them all.
#[tokio::test]
async fn each_key_has_its_own_budget_under_the_shops_ceiling() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.rate_limit_per_minute = 5;
    opts.extra_env.push(("RATE_LIMIT_PER_KEY_PER_MINUTE", "3".into()));
    let app = spawn_with(opts).await;
    let shop = app.create_shop("S").await;
    let dashboard = app.create_key(&shop.admin, &shop.id, "viewer").await;
    for _ in 0..3 {
        assert_eq!(app.get(&dashboard, "/api/v1/accounts").await.status().as_u16(), 200);
    }
    expect_error(app.get(&dashboard, "/api/v1/accounts").await, 429, "RATE_LIMIT_EXCEEDED").await;
    // The admin key (which made one request: the viewer key) still has its share…
    assert_eq!(app.get(&shop.admin, "/api/v1/accounts").await.status().as_u16(), 200);
    // …until the shop's five are spent (the key's refusal above spent none of them).
    expect_error(app.get(&shop.admin, "/api/v1/accounts").await, 429, "RATE_LIMIT_EXCEEDED").await;
    let other = app.create_shop("T").await;
    assert_eq!(app.get(&other.admin, "/api/v1/accounts").await.status().as_u16(), 200);
}
