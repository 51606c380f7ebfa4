//! The team (`/api/v1/agents`, `/api/v1/departments`): admins add and change members and
//! departments (checked whole, audited, with events), every role reads, an agent key sets a
//! status, a member's load is counted from the threads people own, and another shop's team is
//! invisible.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511987654321";

fn fields(e: &Value) -> Vec<String> {
    e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap().to_owned()).collect()
}

async fn members_are_added_checked_whole_and_set_their_status(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let agent = app.create_key(&k, &shop.id, "agent").await;
    let viewer = app.create_key(&k, &shop.id, "viewer").await;

    let ana = json!({"name": "Ana Souza", "email": "Ana@Shop.example.com", "skills": ["billing", "pt-BR", "Billing"], "capacity": 2});
    expect_error(app.post(&agent, "/api/v1/agents", ana.clone()).await, 403, "FORBIDDEN").await;
    let r = app.post(&k, "/api/v1/agents", ana).await;
    assert_eq!(r.status().as_u16(), 201);
    let a = json(r).await;
    assert_eq!(
        (&a["email"], &a["status"], &a["load"], &a["busy"]),
        (&json!("ana@shop.example.com"), &json!("offline"), &json!(0), &json!(false))
    );
    assert_eq!(a["skills"], json!(["billing", "pt-BR"]));
    let id = a["id"].as_str().unwrap().to_owned();

    // Everything wrong at once is named, and nothing is stored.
    let bad = json!({"name": "Bo", "email": "not-an-address", "skills": ["has space"], "status": "busy"});
    let e = expect_error(app.post(&k, "/api/v1/agents", bad).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(fields(&e), ["email", "skills[0]", "status"]);
    let e = expect_error(
        app.post(&k, "/api/v1/agents", json!({"name": "Ana 2", "email": "ana@shop.example.com"})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(fields(&e), ["email"], "the email is taken in this shop");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM team_members").await, 1);

    // An agent key sets a status; everyone reads.
    let s = json(app.put(&agent, &format!("/api/v1/agents/{id}/status"), json!({"status": "available"})).await).await;
    assert_eq!(s["status"], "available");
    expect_error(app.put(&agent, &format!("/api/v1/agents/{id}/status"), json!({"status": "busy"})).await, 422, "VALIDATION_FAILED").await;
    let list = json(app.get(&viewer, "/api/v1/agents?status=available").await).await;
    assert_eq!((list["total"].as_u64(), list["items"][0]["id"].as_str()), (Some(1), Some(id.as_str())));

    // Deactivated: kept, shown with the filter.
    let p = json(app.patch(&k, &format!("/api/v1/agents/{id}"), json!({"active": false, "capacity": 3})).await).await;
    assert_eq!((&p["active"], &p["capacity"]), (&json!(false), &json!(3)));
    assert_eq!(json(app.get(&viewer, "/api/v1/agents?active=true").await).await["total"], 0);
    assert_eq!(json(app.get(&viewer, "/api/v1/agents?active=false").await).await["total"], 1);

    let events = app.texts("SELECT event_type FROM outbox WHERE event_type LIKE 'agent.%' ORDER BY seq").await;
    assert_eq!(events, ["agent.created", "agent.status.changed", "agent.updated"]);
    let audit = json(app.get(&k, "/api/v1/audit-log?action=agent.created").await).await;
    assert_eq!(audit["total"], 1);

    // Another shop's key sees nothing of this team.
    let other = app.create_shop("t").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/agents/{id}")).await, 404, "NOT_FOUND").await;
    expect_error(app.put(&other.admin, &format!("/api/v1/agents/{id}/status"), json!({"status": "away"})).await, 404, "NOT_FOUND").await;
    assert_eq!(json(app.get(&other.admin, "/api/v1/agents").await).await["total"], 0);
}

async fn departments_hold_the_shops_members_in_order_with_their_own_hours(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let mut ids = Vec::new();
    for (n, e) in [("Ana", "ana@x.example.com"), ("Bruno", "bruno@x.example.com")] {
        ids.push(json(app.post(&k, "/api/v1/agents", json!({"name": n, "email": e})).await).await["id"].as_str().unwrap().to_owned());
    }
    let other = app.create_shop("t").await;
    let stranger = json(app.post(&other.admin, "/api/v1/agents", json!({"name": "Zé", "email": "ze@y.example.com"})).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let e = expect_error(
        app.post(
            &k,
            "/api/v1/departments",
            json!({"name": "Billing", "routingPolicy": "random", "memberIds": [ids[0], stranger],
                   "workingHours": {"timeZone": "Mars/Base", "businessHours": {"monday": [{"open": "09:00", "close": "08:00"}]}}}),
        )
        .await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(fields(&e), ["routingPolicy", "workingHours.timeZone", "workingHours.businessHours.monday[0].close"]);
    let e = expect_error(
        app.post(&k, "/api/v1/departments", json!({"name": "Billing", "memberIds": [ids[0], stranger]})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(fields(&e), ["memberIds[1]"], "another shop's member is named");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM departments").await, 0);

    let r = app
        .post(
            &k,
            "/api/v1/departments",
            json!({"name": "Billing", "routingPolicy": "least_busy", "memberIds": [ids[1], ids[0]],
                   "workingHours": {"businessHours": {"monday": [{"open": "09:00", "close": "18:00"}]}}}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let d = json(r).await;
    let dep = d["id"].as_str().unwrap().to_owned();
    assert_eq!((&d["routingPolicy"], &d["workingHours"]["timeZone"]), (&json!("least_busy"), &json!(null)));
    assert_eq!(d["workingHours"]["businessHours"]["monday"][0], json!({"open": "09:00", "close": "18:00"}));
    let e = expect_error(app.post(&k, "/api/v1/departments", json!({"name": "Billing"})).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(fields(&e), ["name"], "the name is taken");

    let members = json(app.get(&k, &format!("/api/v1/departments/{dep}/agents")).await).await;
    let order: Vec<&str> = members["items"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(order, ["Bruno", "Ana"], "in the department's order");
    let ana = json(app.get(&k, &format!("/api/v1/agents/{}", ids[0])).await).await;
    assert_eq!(ana["departmentIds"], json!([dep]));

    let p = json(app.patch(&k, &format!("/api/v1/departments/{dep}"), json!({"workingHours": null, "memberIds": [ids[0]]})).await).await;
    assert_eq!((&p["workingHours"], &p["memberIds"]), (&json!(null), &json!([ids[0]])));
    assert_eq!(json(app.get(&k, &format!("/api/v1/agents?departmentId={dep}")).await).await["total"], 1);
    expect_error(app.get(&other.admin, &format!("/api/v1/departments/{dep}")).await, 404, "NOT_FOUND").await;
    expect_error(app.delete(&other.admin, &format!("/api/v1/departments/{dep}")).await, 404, "NOT_FOUND").await;
    assert_eq!(app.delete(&k, &format!("/api/v1/departments/{dep}")).await.status().as_u16(), 204);
    expect_error(app.get(&k, &format!("/api/v1/departments/{dep}")).await, 404, "NOT_FOUND").await;
    assert_eq!(app.scalar("SELECT COUNT(*) FROM department_members").await, 0);
    assert_eq!(json(app.get(&k, "/api/v1/agents").await).await["total"], 2, "the members stay");
}

/// A member's load is the threads people own and assigned to them (whose time has not run out);
/// at capacity they are busy.
async fn a_members_load_counts_the_threads_assigned_to_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let m = json(app.post(&k, "/api/v1/agents", json!({"name": "Ana", "email": "ana@x.example.com", "capacity": 1})).await).await;
    let id = m["id"].as_str().unwrap().to_owned();
    app.customer_says(PNID, WA, "I need a person").await;
    app.drained().await;
    wait_for("handed to people", || async { app.scalar("SELECT COUNT(*) FROM threads WHERE owner = 'people'").await == 1 }).await;
    // Assigning is the inbox's use case (next); here the thread is given to her directly.
    app.exec(&format!("UPDATE threads SET owner_member_id = {}", app.uuid_sql(&id))).await;
    let m = json(app.get(&k, &format!("/api/v1/agents/{id}")).await).await;
    assert_eq!((&m["load"], &m["busy"]), (&json!(1), &json!(true)));
    app.exec("UPDATE threads SET owner_expires_at = '2000-01-01T00:00:00+00:00'").await;
    let m = json(app.get(&k, &format!("/api/v1/agents/{id}")).await).await;
    assert_eq!((&m["load"], &m["busy"]), (&json!(0), &json!(false)), "an expired owner holds nothing");
}

both_backends!(members_are_added_checked_whole_and_set_their_status);
both_backends!(departments_hold_the_shops_members_in_order_with_their_own_hours);
both_backends!(a_members_load_counts_the_threads_assigned_to_them);
