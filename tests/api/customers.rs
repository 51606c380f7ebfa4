//! The customers read side: list and search, one customer with their conversations, tenancy.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

async fn customers_can_be_listed_searched_and_read_with_their_conversations(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    for (wa, name) in [("5511900000001", "Ana Souza"), ("5511900000002", "Bruno 100%"), ("5511900000003", "Carla")] {
        let mut payload = inbound(PNID, wa, vec![text_message(&format!("wamid.{wa}"), wa, now_ts(), "oi")]);
        payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = json!(name);
        assert_eq!(app.webhook(&payload).await.status().as_u16(), 200);
    }
    app.drained().await;
    let list = |q: &'static str| {
        let app = &app;
        let key = shop.admin.clone();
        async move { json(app.get(&key, &format!("/api/v1/customers{q}")).await).await }
    };
    let all = list("").await;
    assert_eq!(all["total"], 3);
    assert_eq!(list("?search=bRu").await["customers"][0]["name"], "Bruno 100%");
    assert_eq!(list("?search=5511900000003").await["total"], 1);
    assert_eq!(list("?search=100%25").await["total"], 1, "a % in the search is a character");
    assert_eq!(list("?search=%25").await["total"], 1);
    assert_eq!(list("?search=zzz").await["total"], 0);
    let page = list("?limit=2").await;
    assert_eq!((page["customers"].as_array().unwrap().len(), page["hasMore"].as_bool()), (2, Some(true)));

    let id = all["customers"].as_array().unwrap().iter().find(|c| c["waId"] == "5511900000001").unwrap()["id"].as_str().unwrap().to_owned();
    let one = json(app.get(&shop.admin, &format!("/api/v1/customers/{id}")).await).await;
    assert_eq!(one["customer"]["name"], "Ana Souza");
    assert_eq!(one["customer"]["optInStatus"], "pending");
    assert_eq!(one["conversationsTotal"], 1);
    assert_eq!(one["conversations"][0]["waId"], "5511900000001");
    assert_eq!(one["conversations"][0]["window"]["isOpen"], true);
    let by_wa = json(app.get(&shop.admin, "/api/v1/customers/by-wa-id/5511900000001").await).await;
    assert_eq!(by_wa["customer"]["id"], id.as_str());

    // Another shop sees none of them.
    let other = app.create_shop("t").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/customers/{id}")).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&other.admin, "/api/v1/customers/by-wa-id/5511900000001").await, 404, "NOT_FOUND").await;
    assert_eq!(json(app.get(&other.admin, "/api/v1/customers").await).await["total"], 0);
}

async fn tags_are_added_and_removed_with_an_event_per_real_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    app.webhook(&inbound(PNID, "5511900000001", vec![text_message("wamid.T1", "5511900000001", now_ts(), "oi")])).await;
    app.drained().await;
    let id = json(app.get(&shop.admin, "/api/v1/customers").await).await["customers"][0]["id"].as_str().unwrap().to_owned();
    let tags = format!("/api/v1/customers/{id}/tags");
    let r = app.post(&shop.admin, &tags, json!({"tags": [" VIP ", "vip", "Atacado"]})).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(json(r).await["tags"], json!(["VIP", "Atacado"]));
    assert_eq!(app.post(&shop.admin, &tags, json!({"tags": ["atacado"]})).await.status().as_u16(), 200);
    let r = app.delete(&shop.admin, &format!("{tags}?tag=vIp")).await;
    assert_eq!(json(r).await["tags"], json!(["Atacado"]));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.updated'").await, 2, "one per real change");
    let e = expect_error(app.post(&shop.admin, &tags, json!({"tags": ["   "]})).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "tags");
    // A viewer cannot; another shop cannot see the customer.
    let viewer = app.create_key(&shop.admin, &shop.id, "viewer").await;
    expect_error(app.post(&viewer, &tags, json!({"tags": ["x"]})).await, 403, "FORBIDDEN").await;
    let other = app.create_shop("t").await;
    expect_error(app.post(&other.admin, &tags, json!({"tags": ["x"]})).await, 404, "NOT_FOUND").await;
    let stored = json(app.get(&shop.admin, &format!("/api/v1/customers/{id}")).await).await;
    assert_eq!(stored["customer"]["tags"], json!(["Atacado"]));
}

async fn customers_are_created_and_updated_with_typed_custom_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = &shop.admin;
    for f in [
        json!({"key": "tier", "label": "Tier", "type": "single_choice", "options": ["Gold", "Silver"]}),
        json!({"key": "orders", "label": "Orders", "type": "number"}),
        json!({"key": "birthday", "label": "Birthday", "type": "date"}),
        json!({"key": "code", "label": "Code", "type": "text", "pattern": "^[A-Z]{3}$"}),
    ] {
        assert_eq!(app.post(k, "/api/v1/custom-fields", f).await.status().as_u16(), 201);
    }
    let e = expect_error(
        app.post(k, "/api/v1/custom-fields", json!({"key": "bad", "label": "Bad", "type": "text", "pattern": "([a-z"})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "pattern");
    expect_error(app.post(k, "/api/v1/custom-fields", json!({"key": "tier", "label": "T", "type": "text"})).await, 409, "CONFLICT").await;
    let agent = app.create_key(k, &shop.id, "agent").await;
    expect_error(app.post(&agent, "/api/v1/custom-fields", json!({"key": "x", "label": "X", "type": "text"})).await, 403, "FORBIDDEN")
        .await;
    let fields = json(app.get(&agent, "/api/v1/custom-fields").await).await;
    assert_eq!(
        fields["items"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect::<Vec<_>>(),
        ["tier", "orders", "birthday", "code"]
    );

    let ana = json!({"phone": "+55 11 98765-4321", "name": "Ana", "language": "pt_BR", "tags": ["VIP"],
        "customFields": {"tier": "gold", "orders": 3, "birthday": "1990-05-01"},
        "consent": [{"purpose": "marketing", "status": "opted_in", "source": "web", "evidence": "signup form"}]});
    let r = app.post(&agent, "/api/v1/customers", ana.clone()).await;
    assert_eq!(r.status().as_u16(), 201);
    let c = json(r).await;
    assert_eq!(
        (c["waId"].as_str(), c["displayName"].as_str(), c["customFields"]["tier"].as_str()),
        (Some("5511987654321"), Some("Ana"), Some("Gold"))
    );
    assert_eq!(c["consent"]["marketing"]["status"], "opted_in");
    let id = c["id"].as_str().unwrap().to_owned();
    let e = expect_error(app.post(&agent, "/api/v1/customers", ana).await, 409, "CONFLICT").await;
    assert_eq!(e["error"]["details"]["customerId"], id.as_str());

    for (body, field) in [
        (json!({"waId": "5511900000002", "customFields": {"tier": "bronze"}}), "customFields.tier"),
        (json!({"waId": "5511900000002", "customFields": {"nickname": "x"}}), "customFields.nickname"),
        (json!({"waId": "5511900000002", "customFields": {"code": "abc"}}), "customFields.code"),
        (json!({"waId": "5511900000002", "customFields": {"orders": "three"}}), "customFields.orders"),
        (json!({"waId": "5511900000002", "tags": ["x".repeat(200)]}), "tags"),
        (json!({"phone": "12"}), "phone"),
        (json!({"name": "no number"}), "phone"),
        (json!({"waId": "5511900000002", "consent": [{"purpose": "marketing", "status": "pending"}]}), "consent[0].status"),
    ] {
        let e = expect_error(app.post(&agent, "/api/v1/customers", body.clone()).await, 422, "VALIDATION_FAILED").await;
        assert_eq!(e["error"]["details"]["field"], field, "{body}");
    }
    assert_eq!(json(app.get(k, "/api/v1/customers").await).await["total"], 1, "nothing half-written");

    let patch = json!({"name": null, "language": "en", "customFields": {"orders": 4, "birthday": null}});
    let c = json(app.patch(&agent, &format!("/api/v1/customers/{id}"), patch.clone()).await).await;
    assert_eq!(
        (c["displayName"].clone(), c["language"].clone(), c["customFields"].clone()),
        (Value::Null, json!("en"), json!({"tier": "Gold", "orders": 4}))
    );
    assert_eq!(app.patch(&agent, &format!("/api/v1/customers/{id}"), patch).await.status().as_u16(), 200, "the same again");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.updated'").await, 1, "one real change");
    let fields_changed = app.text("SELECT CAST(envelope AS TEXT) FROM outbox WHERE event_type = 'customer.updated'").await.unwrap();
    let fields_changed: Value = serde_json::from_str(&fields_changed).unwrap();
    assert_eq!(fields_changed["data"]["fields"], json!(["name", "language", "customFields.birthday", "customFields.orders"]));
    expect_error(app.patch(&agent, &format!("/api/v1/customers/{id}"), json!({"nickname": "x"})).await, 422, "VALIDATION_FAILED").await;
    let e = expect_error(
        app.patch(&agent, &format!("/api/v1/customers/{id}"), json!({"timezone": "Mars/Olympus Mons"})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "timezone");
    // What the filters search: one row per tag and per value.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM customer_tags t JOIN customers c ON c.id = t.customer_id WHERE c.wa_id = '5511987654321'").await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM customer_field_values v JOIN customers c ON c.id = v.customer_id WHERE c.wa_id = '5511987654321'")
            .await,
        2
    );
    let other = app.create_shop("t").await;
    expect_error(app.patch(&other.admin, &format!("/api/v1/customers/{id}"), json!({"language": "en"})).await, 404, "NOT_FOUND").await;
    // Read by the id a sibling service gave.
    app.patch(&agent, &format!("/api/v1/customers/{id}"), json!({"userId": "crm-42"})).await;
    let by_user = json(app.get(&agent, "/api/v1/customers/by-user-id/crm-42").await).await;
    assert_eq!(by_user["customer"]["id"], id.as_str());
    expect_error(app.get(&other.admin, "/api/v1/customers/by-user-id/crm-42").await, 404, "NOT_FOUND").await;
}

both_backends!(
    customers_can_be_listed_searched_and_read_with_their_conversations,
    tags_are_added_and_removed_with_an_event_per_real_change,
    customers_are_created_and_updated_with_typed_custom_fields
);
