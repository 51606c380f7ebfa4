//! The customer list's filters and saved segments, evaluated in SQL on both databases.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

/// waIds of a list answer, sorted.
fn was(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["customers"].as_array().unwrap().iter().map(|c| c["waId"].as_str().unwrap()[10..].to_owned()).collect();
    out.sort();
    out
}

async fn given_customers(app: &TestApp, key: &str) {
    for f in [
        json!({"key": "tier", "label": "Tier", "type": "single_choice", "options": ["Gold", "Silver"]}),
        json!({"key": "orders", "label": "Orders", "type": "number"}),
        json!({"key": "birthday", "label": "Birthday", "type": "date"}),
    ] {
        assert_eq!(app.post(key, "/api/v1/custom-fields", f).await.status().as_u16(), 201);
    }
    // waIds end in 001..005; the filters below name them by those last digits.
    for c in [
        json!({"waId": "5511900000001", "name": "Ana", "tags": ["VIP"], "customFields": {"tier": "Gold", "orders": 5, "birthday": "1990-05-01"},
               "consent": [{"purpose": "marketing", "status": "opted_in", "source": "web"}]}),
        json!({"waId": "5511900000002", "name": "bruno", "tags": ["vip", "Atacado"], "customFields": {"tier": "silver", "orders": 1}}),
        json!({"waId": "5511900000003", "name": "Carla", "tags": ["atacado"]}),
        json!({"waId": "5511900000005", "name": "Zé", "consent": [{"purpose": "utility", "status": "opted_out", "source": "manual"}]}),
    ] {
        assert_eq!(app.post(key, "/api/v1/customers", c).await.status().as_u16(), 201);
    }
    // 004 writes: the only open window.
    app.connect(key, PNID, NUMBER).await;
    app.webhook(&inbound(PNID, "5511900000004", vec![text_message("wamid.S4", "5511900000004", now_ts(), "oi")])).await;
    app.drained().await;
}

async fn the_list_filters_by_tags_fields_consent_window_and_sorts(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    given_customers(&app, &k).await;
    let list = |q: &str| {
        let (app, k, q) = (&app, k.clone(), q.to_owned());
        async move {
            let r = app.get(&k, &format!("/api/v1/customers?limit=200{q}")).await;
            assert_eq!(r.status().as_u16(), 200, "{q}");
            json(r).await
        }
    };
    let cases: &[(&str, &[&str])] = &[
        ("", &["001", "002", "003", "004", "005"]),
        ("&tag=VIP", &["001", "002"]),
        ("&tag=vip&tag=atacado", &["001", "002", "003"]),
        ("&tag=vip&tag=atacado&tagMatch=all", &["002"]),
        ("&field=tier:equals:GOLD", &["001"]),
        ("&field=tier:set", &["001", "002"]),
        ("&field=tier:unset", &["003", "004", "005"]),
        ("&field=orders:gt:2", &["001"]),
        ("&field=orders:between:0,2", &["002"]),
        ("&field=orders:lt:10&field=tier:equals:silver", &["002"]),
        ("&field=birthday:between:1990-01-01,1990-12-31", &["001"]),
        ("&consent=marketing:opted_in", &["001"]),
        ("&consent=marketing:pending", &["002", "003", "004", "005"]),
        ("&consent=utility:opted_out", &["005"]),
        ("&windowOpen=true", &["004"]),
        ("&windowOpen=false&tag=vip", &["001", "002"]),
        ("&search=BRU", &["002"]),
        ("&firstContactAfter=2000-01-01T00:00:00Z&tag=atacado", &["002", "003"]),
        ("&lastInboundBefore=2000-01-01T00:00:00Z", &[]),
    ];
    for (q, expected) in cases {
        let got = list(q).await;
        assert_eq!(was(&got), *expected, "{q}");
        assert_eq!(got["total"], expected.len(), "{q}");
    }
    let by_name = list("&sort=name").await;
    let names: Vec<&str> =
        by_name["customers"].as_array().unwrap().iter().map(|c| c["displayName"].as_str().or(c["name"].as_str()).unwrap()).collect();
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let mut sorted = lower.clone();
    sorted.sort();
    assert_eq!(lower, sorted, "sorted by name without regard to case");
    let last = json(app.get(&k, "/api/v1/customers?sort=-lastInboundAt&limit=1").await).await;
    assert_eq!(was(&last), ["004"], "the one who wrote first; never-wrote customers last");

    for (q, field) in [
        ("&field=size:equals:1", "field"),
        ("&field=tier:gt:1", "field"),
        ("&field=orders:gt:many", "field"),
        ("&consent=sms:yes", "consent"),
    ] {
        let e = expect_error(app.get(&k, &format!("/api/v1/customers?{q}")).await, 422, "VALIDATION_FAILED").await;
        assert_eq!(e["error"]["details"]["field"], field, "{q}");
    }
    expect_error(app.get(&k, "/api/v1/customers?sort=bogus").await, 400, "VALIDATION_FAILED").await;
    let other = app.create_shop("t").await;
    assert_eq!(json(app.get(&other.admin, "/api/v1/customers?tag=vip").await).await["total"], 0);
}

async fn segments_are_saved_counted_and_list_their_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    given_customers(&app, &k).await;
    // VIPs who are Gold, or anyone whose window is open.
    let definition = json!({"match": "any", "conditions": [
        {"match": "all", "conditions": [{"tags": {"any": ["vip"]}}, {"field": "tier", "op": "equals", "value": "gold"}]},
        {"windowOpen": true}
    ]});
    let r = app.post(&k, "/api/v1/segments", json!({"name": "Gold VIPs or talking", "definition": definition})).await;
    assert_eq!(r.status().as_u16(), 201);
    let seg = json(r).await;
    assert_eq!(seg["count"], 2);
    let id = seg["id"].as_str().unwrap().to_owned();
    let members = json(app.get(&k, &format!("/api/v1/segments/{id}/customers")).await).await;
    assert_eq!(was(&members), ["001", "004"]);
    // Conditions on tags and fields united in one group, beside one on the customer itself:
    // Gold (001), or tagged atacado (002, 003), or whose utility consent is opted out (005).
    let either = json!({"match": "any", "conditions": [
        {"field": "tier", "op": "equals", "value": "gold"},
        {"tags": {"all": ["atacado"]}},
        {"consent": {"purpose": "utility", "status": "opted_out"}}
    ]});
    let r = app.post(&k, "/api/v1/segments", json!({"name": "Either", "definition": either})).await;
    let either = json(r).await;
    assert_eq!(either["count"], 4, "{either}");
    let members = json(app.get(&k, &format!("/api/v1/segments/{}/customers", either["id"].as_str().unwrap())).await).await;
    assert_eq!(was(&members), ["001", "002", "003", "005"]);
    app.delete(&k, &format!("/api/v1/segments/{}", either["id"].as_str().unwrap())).await;
    // A group is a segment on a tag; counts are live.
    let r =
        app.post(&k, "/api/v1/segments", json!({"name": "Atacado", "definition": {"conditions": [{"tags": {"any": ["atacado"]}}]}})).await;
    let group = json(r).await;
    assert_eq!(group["count"], 2);
    let carla = json(app.get(&k, "/api/v1/customers/by-wa-id/5511900000003").await).await["customer"]["id"].as_str().unwrap().to_owned();
    app.delete(&k, &format!("/api/v1/customers/{carla}/tags?tag=Atacado")).await;
    assert_eq!(json(app.get(&k, &format!("/api/v1/segments/{}", group["id"].as_str().unwrap())).await).await["count"], 1);
    let all = json(app.get(&k, "/api/v1/segments").await).await;
    assert_eq!((all["total"].as_u64(), all["items"][0]["name"].as_str()), (Some(2), Some("Gold VIPs or talking")));
    // The list's counts (run at once) are each segment's own, in the list's order.
    for item in all["items"].as_array().unwrap() {
        let one = json(app.get(&k, &format!("/api/v1/segments/{}", item["id"].as_str().unwrap())).await).await;
        assert_eq!((&item["name"], &item["count"]), (&one["name"], &one["count"]));
    }
    assert_eq!((&all["items"][1]["name"], &all["items"][1]["count"]), (&json!("Atacado"), &json!(1)));

    let e = expect_error(app.post(&k, "/api/v1/segments", json!({"name": "Atacado", "definition": {}})).await, 409, "CONFLICT").await;
    assert_eq!(e["error"]["details"]["field"], "name");
    for (definition, field) in [
        (json!({"conditions": [{"field": "size", "op": "equals", "value": 1}]}), "definition.conditions[0].value"),
        (json!({"match": "some"}), "definition.match"),
        (json!({"conditions": [{"tags": {"any": []}}]}), "definition.conditions[0].tags.any"),
        (json!([1]), "definition"),
    ] {
        let e = expect_error(
            app.post(&k, "/api/v1/segments", json!({"name": "bad", "definition": definition})).await,
            422,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(e["error"]["details"]["field"], field);
    }
    let other = app.create_shop("t").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/segments/{id}/customers")).await, 404, "NOT_FOUND").await;
    expect_error(app.delete(&other.admin, &format!("/api/v1/segments/{id}")).await, 404, "NOT_FOUND").await;
    assert_eq!(app.delete(&k, &format!("/api/v1/segments/{id}")).await.status().as_u16(), 204);
    expect_error(app.get(&k, &format!("/api/v1/segments/{id}")).await, 404, "NOT_FOUND").await;
}

both_backends!(the_list_filters_by_tags_fields_consent_window_and_sorts, segments_are_saved_counted_and_list_their_members);
