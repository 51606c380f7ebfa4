//! GDPR end to end: one customer's export, their erasure everywhere the API shows data, the
//! opt-out that outlives it, and the audit log.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511900000001";

async fn a_customer_is_exported_then_erased_everywhere_and_their_opt_out_is_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    app.customer_says(PNID, WA, "my address is Rua X 123").await;
    app.drained().await;
    app.customer_says(PNID, WA, "STOP").await;
    app.drained().await;
    let id = json(app.get(&k, &format!("/api/v1/customers/by-wa-id/{WA}")).await).await["customer"]["id"].as_str().unwrap().to_owned();
    app.post(&k, &format!("/api/v1/customers/{id}/tags"), json!({"tags": ["VIP"]})).await;
    let r = app
        .post(&k, &format!("/api/v1/customers/{id}/consent"), json!({"purpose": "utility", "status": "opted_in", "evidence": "call"}))
        .await;
    assert_eq!(r.status().as_u16(), 200);

    // Export: everything held, for an admin only.
    let viewer = app.create_key(&k, &shop.id, "viewer").await;
    expect_error(app.get(&viewer, &format!("/api/v1/customers/{id}/export")).await, 403, "FORBIDDEN").await;
    let x = json(app.get(&k, &format!("/api/v1/customers/{id}/export")).await).await;
    assert_eq!(x["customer"]["waId"], WA);
    assert_eq!(x["consent"].as_array().unwrap().len(), 2);
    assert_eq!(x["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(x["messagesTotal"], 3, "two from the customer, the STOP confirmation");
    assert!(x["messages"].as_array().unwrap().iter().any(|m| m["content"]["text"] == "my address is Rua X 123"));

    // Erase.
    let agent = app.create_key(&k, &shop.id, "agent").await;
    expect_error(app.delete(&agent, &format!("/api/v1/customers/{id}")).await, 403, "FORBIDDEN").await;
    let r = app.delete(&k, &format!("/api/v1/customers/{id}")).await;
    assert_eq!(r.status().as_u16(), 200);
    let c = json(r).await;
    assert!(c["erasedAt"].is_string());
    assert_eq!((c["name"].clone(), c["tags"].clone(), c["userId"].clone()), (json!(null), json!([]), json!(null)));
    let pseudonym = c["waId"].as_str().unwrap().to_owned();
    assert!(pseudonym.starts_with('0') && pseudonym != WA, "{pseudonym}");
    assert_eq!(c["consent"]["marketing"]["status"], "opted_out", "the consent history stays");

    // Nothing personal left where the API looks.
    assert_eq!(json(app.get(&k, &format!("/api/v1/messages?waId={WA}")).await).await["total"], 0);
    let msgs = json(app.get(&k, &format!("/api/v1/messages?waId={pseudonym}")).await).await;
    assert_eq!(msgs["total"], 3, "counts stay");
    for m in msgs["messages"].as_array().unwrap() {
        assert_eq!(m["content"], json!({"type": "erased"}));
        assert!(!m["from"].as_str().unwrap().contains(WA) && !m["to"].as_str().unwrap().contains(WA), "{m}");
    }
    assert_eq!(json(app.get(&k, "/api/v1/customers?search=Ana").await).await["total"], 0);
    expect_error(app.get(&k, &format!("/api/v1/customers/by-wa-id/{WA}")).await, 404, "NOT_FOUND").await;
    let one = json(app.get(&k, &format!("/api/v1/customers/{id}")).await).await;
    assert_eq!(one["conversations"][0]["waId"], pseudonym.as_str());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages WHERE CAST(content AS TEXT) LIKE '%Rua X%'").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM customer_tags").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.erased'").await, 1);
    assert_eq!(app.delete(&k, &format!("/api/v1/customers/{id}")).await.status().as_u16(), 200);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.erased'").await, 1, "erasing again changes nothing");

    // An erased record is never written again: 409, and it stays as the erasure left it.
    let path = format!("/api/v1/customers/{id}");
    let patch = json!({"name": "Ana Again", "userId": "u-9", "language": "pt_BR"});
    expect_error(app.patch(&k, &path, patch).await, 409, "CONFLICT").await;
    expect_error(app.post(&k, &format!("{path}/tags"), json!({"tags": ["vip"]})).await, 409, "CONFLICT").await;
    let opt_in = json!({"purpose": "marketing", "status": "opted_in", "source": "web"});
    expect_error(app.post(&k, &format!("{path}/consent"), opt_in).await, 409, "CONFLICT").await;
    let still = json(app.get(&k, &path).await).await["customer"].clone();
    assert_eq!((still["name"].clone(), still["userId"].clone(), still["language"].clone()), (json!(null), json!(null), json!(null)));
    assert_eq!((still["tags"].clone(), still["consent"]["marketing"]["status"].clone()), (json!([]), json!("opted_out")));

    // The number writes again: a new customer, still opted out of marketing.
    app.customer_says(PNID, WA, "oi de novo").await;
    app.drained().await;
    let again = json(app.get(&k, &format!("/api/v1/customers/by-wa-id/{WA}")).await).await;
    assert_ne!(again["customer"]["id"], id.as_str());
    assert_eq!(again["customer"]["consent"]["marketing"]["status"], "opted_out");

    // The audit log: who did what.
    expect_error(app.get(&agent, "/api/v1/audit-log").await, 403, "FORBIDDEN").await;
    let log = json(app.get(&k, "/api/v1/audit-log?limit=200").await).await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in ["account.connected", "api_key.created", "consent.recorded", "customer.exported", "customer.erased"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let erased = json(app.get(&k, "/api/v1/audit-log?action=customer.erased").await).await;
    assert_eq!(erased["total"], 1);
    assert_eq!(erased["items"][0]["subjectId"], id.as_str());
    assert!(erased["items"][0]["actor"].as_str().unwrap().starts_with("api-key:"));
    let other = app.create_shop("t").await;
    assert_eq!(json(app.get(&other.admin, "/api/v1/audit-log?action=customer.erased").await).await["total"], 0);
    expect_error(app.delete(&other.admin, &format!("/api/v1/customers/{id}")).await, 404, "NOT_FOUND").await;
}

both_backends!(a_customer_is_exported_then_erased_everywhere_and_their_opt_out_is_kept);

/// Every table, every live row: after an erasure (and the raw copies' retention, here zero),
/// none holds the customer's name, number or a text they wrote, on either database.
async fn an_erased_customer_is_nowhere_in_any_live_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, "+15550001111").await;
    let (name, number, text) = ("Zebrina Quixote", "5511987654321", "segredo-unico-7731");
    // The customer writes through the sandbox (which plays Meta, and so knows the window is open).
    let said = json!({"phoneNumberId": PNID, "from": number, "name": name, "text": format!("Oi, {text}")});
    assert_eq!(app.http.post(app.url("/sandbox/customers/messages")).json(&said).send().await.unwrap().status().as_u16(), 200);
    app.drained().await;
    // A reply: the sandbox reports its statuses, which name the recipient.
    let reply = json!({"from": "+15550001111", "to": format!("+{number}"), "content": {"type": "text", "text": "Olá!"}});
    let sent = app.post(&k, "/api/v1/messages/send", reply).await;
    assert!(sent.status().is_success(), "{}", sent.text().await.unwrap());
    wait_for("read", || async { app.scalar("SELECT COUNT(*) FROM message_statuses WHERE status = 'read'").await == 1 }).await;
    let id = json(app.get(&k, &format!("/api/v1/customers/by-wa-id/{number}")).await).await["customer"]["id"].as_str().unwrap().to_owned();
    assert!(app.text(&format!("SELECT body FROM webhook_events WHERE body LIKE '%{text}%'")).await.is_some(), "the raw copy is there");

    assert_eq!(app.delete(&k, &format!("/api/v1/customers/{id}")).await.status().as_u16(), 200);
    app.drained().await;
    wait_for("every event published", || async { app.scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL").await == 0 }).await;
    // The hourly job keeps a day of raw copies by default: nothing is that old yet.
    let kept = app.state.jobs.run_now("raw-retention").await.unwrap();
    assert_eq!(kept, "0 webhook deliveries and 0 published events removed");
    // Published events wait for the outbox's consumers to handle them.
    let consumers = infrastructure::persistence::outbox::subscriptions::SeaSubscriptionStore::new(app.state.db.clone());
    for consumer in app.state.consumers.iter() {
        wait_for("every consumer handled every event", || async {
            use application::shared::subscription::SubscriptionStore;
            let (c, head) = (consumers.cursor(consumer).await.unwrap(), consumers.head().await.unwrap());
            let rows = app.scalar(&format!("SELECT COUNT(*) FROM outbox WHERE seq > {}", c.watermark)).await;
            rows == c.ahead.iter().filter(|s| **s <= head).count() as i64
        })
        .await;
    }
    // With no retention, every processed delivery and published event goes.
    let prune = application::privacy::prune_raw_copies::PruneRawCopies {
        copies: std::sync::Arc::new(infrastructure::persistence::privacy::raw_copies::SeaRawCopies::new(app.state.db.clone())),
        clock: app.state.clock.clone(),
        retention: std::time::Duration::ZERO,
    };
    let pruned = prune.run().await.unwrap();
    assert!(pruned.deliveries >= 2 && pruned.events >= 4, "{pruned:?}");

    let postgres = !app.db_url.starts_with("sqlite");
    let tables = if postgres {
        app.texts("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
            .await
    } else {
        app.texts("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").await
    };
    assert!(tables.len() > 20, "{tables:?}");
    for table in &tables {
        let row_text = if postgres {
            "CAST(t AS TEXT)".to_owned()
        } else {
            let cols = app.texts(&format!("SELECT name FROM pragma_table_info('{table}')")).await;
            cols.iter().map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')")).collect::<Vec<_>>().join(" || '|' || ")
        };
        for needle in [name, "Zebrina", number, text] {
            let n = app.scalar(&format!("SELECT COUNT(*) FROM \"{table}\" t WHERE {row_text} LIKE '%{needle}%'")).await;
            assert_eq!(n, 0, "{table} still holds {needle:?}");
        }
    }
}

/// Every table that refers to a customer (a `customer_id` or `wa_id` column) is covered: erased
/// by a context's `PersonalData`, kept on purpose, or pruned as a raw copy. A new table that none
/// of them names fails here.
async fn every_table_with_a_customer_is_covered_by_an_erasure(backend: Backend) {
    let app = spawn_app(backend).await;
    let postgres = !app.db_url.starts_with("sqlite");
    let referring = if postgres {
        app.texts(
            "SELECT DISTINCT table_name::text FROM information_schema.columns WHERE table_schema = 'public' \
             AND column_name IN ('customer_id', 'wa_id')",
        )
        .await
    } else {
        app.texts(
            "SELECT DISTINCT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' \
             AND c.name IN ('customer_id', 'wa_id')",
        )
        .await
    };
    let erased: Vec<&str> = app.state.personal_data.iter().flat_map(|p| p.tables().iter().copied()).collect();
    // Kept on purpose (ADR 11): the consent ledger is the proof of consent.
    let kept = ["consent_entries"];
    // Raw copies, pruned after RAW_RETENTION_HOURS (ADR 11).
    let pruned = ["webhook_events", "outbox"];
    for table in &referring {
        assert!(
            erased.contains(&table.as_str()) || kept.contains(&table.as_str()) || pruned.contains(&table.as_str()),
            "{table} refers to a customer, and no context's erasure covers it (privacy::ports::PersonalData)"
        );
    }
    assert!(referring.iter().any(|t| t == "messages") && referring.iter().any(|t| t == "customers"), "{referring:?}");
}

both_backends!(an_erased_customer_is_nowhere_in_any_live_row, every_table_with_a_customer_is_covered_by_an_erasure);
