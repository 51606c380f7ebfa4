//! CSV import (streamed, mapped, merged on waId, per-row errors, dry run, idempotent) and the
//! bulk export (CSV and JSON, of a filter or a segment).

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

async fn import(app: &TestApp, key: &str, query: &str, csv: &str) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/v1/customers/import?{query}")))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(csv.as_bytes().to_vec())
        .send()
        .await
        .unwrap()
}

const MAPPING: &str = "phoneColumn=Telefone&nameColumn=Nome&tagsColumn=Tags&field=tier%3DN%C3%ADvel&consentColumn=Marketing&consentEvidenceColumn=Prova&defaultCountry=BR&fileName=clientes.csv";

/// Semicolons, a BOM, a national number, a bad phone, a bad field value, the same number twice.
const FILE: &str = "\u{feff}Telefone;Nome;Tags;Nível;Marketing;Prova\n\
    (11) 98765-4321;Ana;VIP|Atacado;gold;sim;form 1\n\
    12;Bad;;;;\n\
    11900000002;Bruno;;bronze;yes;\n\
    +55 11 98765-4321;\"Ana; Souza\";;;;\n\
    11900000003;Carla;Atacado;silver;não;\n";

async fn a_csv_is_imported_with_row_errors_a_dry_run_and_idempotence(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let tier = json!({"key": "tier", "label": "Tier", "type": "single_choice", "options": ["Gold", "Silver"]});
    assert_eq!(app.post(&k, "/api/v1/custom-fields", tier).await.status().as_u16(), 201);

    let dry = json(import(&app, &k, &format!("{MAPPING}&dryRun=true"), FILE).await).await;
    assert_eq!((dry["dryRun"].as_bool(), dry["created"].as_u64(), dry["failed"].as_u64()), (Some(true), Some(2), Some(2)), "{dry}");
    assert_eq!(json(app.get(&k, "/api/v1/customers").await).await["total"], 0, "a dry run writes nothing");
    if app.db_url.starts_with("postgres") {
        let vacuumed = "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'customer_field_values' AND last_vacuum IS NOT NULL";
        assert_eq!(app.scalar(vacuumed).await, 0, "a dry run settles nothing");
    }

    let r = import(&app, &k, MAPPING, FILE).await;
    assert_eq!(r.status().as_u16(), 200);
    let out = json(r).await;
    assert_eq!(
        (out["rows"].as_u64(), out["created"].as_u64(), out["merged"].as_u64(), out["failed"].as_u64()),
        (Some(5), Some(2), Some(1), Some(2)),
        "{out}"
    );
    assert_eq!(
        out["errors"][0],
        json!({"row": 3, "column": "Telefone", "reason": "is not a phone number (E.164, or national with defaultCountry)"})
    );
    assert_eq!((out["errors"][1]["row"].as_u64(), out["errors"][1]["column"].as_str()), (Some(4), Some("Nível")));
    if app.db_url.starts_with("postgres") {
        let vacuumed = "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'customer_field_values' AND last_vacuum IS NOT NULL";
        assert_eq!(app.scalar(vacuumed).await, 1, "the tables are settled once a file that changed them is in");
    }
    let ana = json(app.get(&k, "/api/v1/customers/by-wa-id/5511987654321").await).await["customer"].clone();
    assert_eq!(
        (ana["displayName"].as_str(), ana["tags"].clone(), ana["customFields"]["tier"].as_str()),
        (Some("Ana; Souza"), json!(["VIP", "Atacado"]), Some("Gold"))
    );
    assert_eq!(ana["consent"]["marketing"]["status"], "opted_in");
    let ledger = json(app.get(&k, &format!("/api/v1/customers/{}/consent", ana["id"].as_str().unwrap())).await).await;
    assert_eq!((ledger["entries"][0]["source"].as_str(), ledger["entries"][0]["evidence"].as_str()), (Some("import"), Some("form 1")));
    let carla = json(app.get(&k, "/api/v1/customers/by-wa-id/5511900000003").await).await["customer"].clone();
    assert_eq!(carla["consent"]["marketing"]["status"], "opted_out");
    let events = app.scalar("SELECT COUNT(*) FROM outbox").await;

    // The same file again changes nothing.
    let again = json(import(&app, &k, MAPPING, FILE).await).await;
    assert_eq!((again["created"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(0), Some(2)), "{again}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox").await, events, "no new events");
    assert_eq!(json(app.get(&k, "/api/v1/customers").await).await["total"], 2, "merged on waId, never duplicated");

    // Commas, no BOM, an update.
    let update = "phone,name\n+5511900000003,Carla Dias\n";
    let out = json(import(&app, &k, "phoneColumn=phone&nameColumn=name", update).await).await;
    assert_eq!(out["updated"], 1);
    assert_eq!(json(app.get(&k, "/api/v1/customers/by-wa-id/5511900000003").await).await["customer"]["displayName"], "Carla Dias");

    // A mapping naming a column the file does not have; no header at all; a viewer.
    let e = expect_error(import(&app, &k, "phoneColumn=phone&nameColumn=Nome", update).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "nameColumn");
    expect_error(import(&app, &k, "phoneColumn=phone", "").await, 422, "VALIDATION_FAILED").await;
    let viewer = app.create_key(&k, &shop.id, "viewer").await;
    expect_error(import(&app, &viewer, "phoneColumn=phone", update).await, 403, "FORBIDDEN").await;
    let log = json(app.get(&k, "/api/v1/audit-log?action=customers.imported").await).await;
    assert_eq!(log["total"], 3, "each applied chunk (the dry run and the refused files write nothing)");
}

async fn customers_are_exported_as_csv_and_json_by_filter_or_segment(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.post(&k, "/api/v1/custom-fields", json!({"key": "tier", "label": "Tier", "type": "single_choice", "options": ["Gold", "Silver"]}))
        .await;
    for (wa, name, tags, tier) in [("5511900000001", "=Ana", vec!["VIP"], "Gold"), ("5511900000002", "Bruno", vec![], "Silver")] {
        let c = json!({"waId": wa, "name": name, "tags": tags, "customFields": {"tier": tier}});
        assert_eq!(app.post(&k, "/api/v1/customers", c).await.status().as_u16(), 201);
    }
    let r = app.get(&k, "/api/v1/customers/export?sort=name").await;
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap_or_default());
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("id,waId,name,displayName,userId") && lines[0].ends_with("field.tier"), "{}", lines[0]);
    assert!(lines[1].contains(",'=Ana,") && lines[1].ends_with(",Gold"), "a formula is quoted: {}", lines[1]);

    let r = app.get(&k, "/api/v1/customers/export?format=json&tag=vip").await;
    let items: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["waId"], "5511900000001");

    let seg = json(
        app.post(
            &k,
            "/api/v1/segments",
            json!({"name": "Silver", "definition": {"conditions": [{"field": "tier", "op": "equals", "value": "silver"}]}}),
        )
        .await,
    )
    .await;
    let r = app.get(&k, &format!("/api/v1/customers/export?format=json&segmentId={}", seg["id"].as_str().unwrap())).await;
    let items: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(items.as_array().unwrap().iter().map(|c| c["waId"].as_str().unwrap()).collect::<Vec<_>>(), ["5511900000002"]);
    expect_error(app.get(&k, "/api/v1/customers/export?field=size:equals:1").await, 422, "VALIDATION_FAILED").await;
    let agent = app.create_key(&k, &shop.id, "agent").await;
    expect_error(app.get(&agent, "/api/v1/customers/export").await, 403, "FORBIDDEN").await;
    assert_eq!(json(app.get(&k, "/api/v1/audit-log?action=customers.exported").await).await["total"], 3);
}

both_backends!(a_csv_is_imported_with_row_errors_a_dry_run_and_idempotence, customers_are_exported_as_csv_and_json_by_filter_or_segment);

/// A customer who wrote STOP stays opted out whatever a file says: the row is listed, nothing
/// else of it applies. Only an admin's explicit `overrideOptOuts=true` opts them back in, and the
/// audit entry says so with the count.
async fn an_import_never_overrides_a_customers_own_stop(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, "1065403522", "+15550001111").await;
    app.customer_says("1065403522", "5511987654321", "STOP").await;
    app.drained().await;
    let by_wa = "/api/v1/customers/by-wa-id/5511987654321";
    assert_eq!(json(app.get(&k, by_wa).await).await["customer"]["consent"]["marketing"]["status"], "opted_out");

    let file = "phone,name,marketing\n+5511987654321,Ana Imported,yes\n+5511900000009,Bia,yes\n";
    let query = "phoneColumn=phone&nameColumn=name&consentColumn=marketing";
    let out = json(import(&app, &k, query, file).await).await;
    assert_eq!((out["created"].as_u64(), out["failed"].as_u64(), out["optOutsOverridden"].as_u64()), (Some(1), Some(1), Some(0)), "{out}");
    assert_eq!((out["errors"][0]["row"].as_u64(), out["errors"][0]["column"].as_str()), (Some(2), Some("marketing")), "{out}");
    assert!(out["errors"][0]["reason"].as_str().unwrap().contains("opted out through whatsapp"), "{out}");
    let ana = json(app.get(&k, by_wa).await).await["customer"].clone();
    assert_eq!((ana["consent"]["marketing"]["status"].as_str(), ana["displayName"].as_str()), (Some("opted_out"), None), "{ana}");

    // The override: an agent may not; an admin may, and it is audited.
    let agent = app.create_key(&k, &shop.id, "agent").await;
    let overriding = format!("{query}&overrideOptOuts=true");
    expect_error(import(&app, &agent, &overriding, file).await, 403, "FORBIDDEN").await;
    let out = json(import(&app, &k, &overriding, file).await).await;
    assert_eq!((out["updated"].as_u64(), out["failed"].as_u64(), out["optOutsOverridden"].as_u64()), (Some(1), Some(0), Some(1)), "{out}");
    assert_eq!(json(app.get(&k, by_wa).await).await["customer"]["consent"]["marketing"]["status"], "opted_in");
    let log = json(app.get(&k, "/api/v1/audit-log?action=customers.imported").await).await;
    let last = log["items"].as_array().unwrap().iter().find(|e| e["details"]["overrideOptOuts"] == true).cloned().expect("audited");
    assert_eq!(last["details"]["optOutsOverridden"], 1, "{last}");
}

/// A header of thousands of columns, or a line of megabytes, is refused before it is parsed
/// into memory: 422 naming the body.
#[tokio::test]
async fn an_import_caps_its_columns_and_line_length() {
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("s").await;
    let wide = format!("phone,{}\n+5511900000001\n", (0..600).map(|i| format!("c{i}")).collect::<Vec<_>>().join(","));
    let v = expect_error(import(&app, &shop.admin, "phoneColumn=phone", &wide).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(v["error"]["details"]["field"], "body");
    assert!(v["error"]["message"].as_str().unwrap().contains("601 columns"), "{v}");
    let long = format!("phone,{}\n+5511900000001,x\n", "n".repeat(300 * 1024));
    let v = expect_error(import(&app, &shop.admin, "phoneColumn=phone", &long).await, 422, "VALIDATION_FAILED").await;
    assert!(v["error"]["message"].as_str().unwrap().contains("longer than 262144 bytes"), "{v}");
    // A long data line stops the file there, reported; the rows before it are imported.
    let row = format!("phone,name\n+5511900000001,Ana\n+5511900000002,{}\n+5511900000003,Caio\n", "n".repeat(300 * 1024));
    let out = json(import(&app, &shop.admin, "phoneColumn=phone&nameColumn=name", &row).await).await;
    assert_eq!((out["created"].as_u64(), out["truncated"].as_bool()), (Some(1), Some(true)), "{out}");
    assert!(out["errors"][0]["reason"].as_str().unwrap().contains("longer than"), "{out}");
}

both_backends!(an_import_never_overrides_a_customers_own_stop);
