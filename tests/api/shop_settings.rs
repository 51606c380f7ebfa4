//! `/api/v1/shop-settings`: the shop's time zone, business hours, closed dates and turn quiet
//! time: defaults until set, every role reads, an admin changes them (audited), bad input names
//! each field and changes nothing.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

async fn shop_settings_are_read_by_all_changed_by_admins_and_checked_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    let agent = app.create_key(&k, &shop.id, "agent").await;

    let d = json(app.get(&agent, "/api/v1/shop-settings").await).await;
    assert_eq!(
        (&d["timeZone"], &d["businessHours"], &d["turnQuietMs"], &d["openNow"], &d["updatedAt"]),
        (&json!("UTC"), &json!(null), &json!(2000), &json!(true), &json!(null)),
        "{d}"
    );

    let settings = json!({
        "timeZone": "America/Sao_Paulo",
        "businessHours": {"monday": [{"open": "09:00", "close": "12:00"}, {"open": "13:00", "close": "18:00"}],
                          "saturday": [{"open": "09:00", "close": "13:00"}]},
        "closedDates": ["2026-12-25", "2026-12-25", "2027-01-01"],
        "turnQuietMs": 1500
    });
    expect_error(app.put(&agent, "/api/v1/shop-settings", settings.clone()).await, 403, "FORBIDDEN").await;
    let saved = json(app.put(&k, "/api/v1/shop-settings", settings).await).await;
    assert_eq!(saved["timeZone"], "America/Sao_Paulo");
    assert_eq!(saved["businessHours"]["monday"][1], json!({"open": "13:00", "close": "18:00"}));
    assert_eq!(saved["businessHours"]["sunday"], json!([]), "a day not given is closed");
    assert_eq!(saved["closedDates"], json!(["2026-12-25", "2027-01-01"]), "sorted, once each");
    assert_eq!(saved["turnQuietMs"], 1500);
    assert!(saved["updatedAt"].is_string());
    let read = json(app.get(&agent, "/api/v1/shop-settings").await).await;
    assert_eq!(read["businessHours"], saved["businessHours"]);
    let audit = json(app.get(&k, "/api/v1/audit-log?action=shop.settings.updated").await).await;
    assert_eq!(audit["total"], 1);
    assert_eq!(audit["items"][0]["details"]["timeZone"], "America/Sao_Paulo");

    // Everything wrong at once is named at once, and nothing changes.
    let bad = json!({
        "timeZone": "Mars/Olympus_Mons",
        "businessHours": {"tuesday": [{"open": "09:00", "close": "12:00"}, {"open": "11:30", "close": "14:00"}],
                          "friday": [{"open": "18:00", "close": "09:00"}, {"open": "9am", "close": "10:00"}]},
        "closedDates": ["25/12/2026"],
        "turnQuietMs": 20000
    });
    let e = expect_error(app.put(&k, "/api/v1/shop-settings", bad).await, 422, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = e["error"]["details"]["problems"].as_array().unwrap().iter().map(|p| p["field"].as_str().unwrap()).collect();
    for want in [
        "timeZone",
        "businessHours.tuesday[1]",
        "businessHours.friday[0].close",
        "businessHours.friday[1].open",
        "closedDates[0]",
        "turnQuietMs",
    ] {
        assert!(fields.contains(&want), "{want} in {fields:?}");
    }
    assert_eq!(json(app.get(&k, "/api/v1/shop-settings").await).await["timeZone"], "America/Sao_Paulo");
    let r = app.put(&k, "/api/v1/shop-settings", json!({"timeZone": "UTC", "openingHours": {}})).await;
    assert!(matches!(r.status().as_u16(), 400 | 422), "an unknown field is refused: {}", r.status());

    // Always open again: hours null.
    let open = json(app.put(&k, "/api/v1/shop-settings", json!({"timeZone": "Europe/Lisbon"})).await).await;
    assert_eq!((&open["businessHours"], &open["openNow"], &open["turnQuietMs"]), (&json!(null), &json!(true), &json!(2000)));
}

both_backends!(shop_settings_are_read_by_all_changed_by_admins_and_checked_whole);
