//! Media end to end: a customer's file fetched from the sandbox (or a fake Graph API) into the
//! media store and served with ranges; uploads checked against Meta's rules, uploaded to Meta and
//! sent by our id (Meta's id renewed when it is old); retention and erasure remove files.

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::both_backends;
use crate::helpers::*;
use domain::media::rules::samples;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const WA: &str = "5511900000001";

/// The sandbox plays the customer sending a file; returns the stored message.
async fn customer_sends(app: &TestApp, key: &str, media: Value) -> Value {
    let r = app
        .http
        .post(app.url("/sandbox/customers/messages"))
        .json(&json!({"phoneNumberId": PNID, "from": WA, "name": "Ana", "media": media}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let wamid = json(r).await["wamid"].as_str().unwrap().to_owned();
    app.drained().await;
    let list = app.messages(key, &format!("waId={WA}")).await;
    list["messages"].as_array().unwrap().iter().find(|m| m["messageId"] == wamid.as_str()).cloned().expect("the message is stored")
}

async fn media_state(app: &TestApp, key: &str, id: &str, state: &str) -> Value {
    let p = format!("/api/v1/media/{id}/info");
    wait_for(&format!("media {id} {state}"), || async { json(app.get(key, &p).await).await["state"] == state }).await;
    json(app.get(key, &p).await).await
}

/// The `n`th document the sandbox received, once it has.
async fn sandbox_sent(app: &TestApp, n: usize) -> Value {
    let documents = || async {
        let outbox = json(app.http.get(app.url("/sandbox/outbox")).send().await.unwrap()).await;
        outbox.as_array().unwrap().iter().filter(|m| m["body"]["type"] == "document").cloned().collect::<Vec<_>>()
    };
    wait_for(&format!("{n} documents sent"), || async { documents().await.len() >= n }).await;
    documents().await[n - 1].clone()
}

async fn upload(app: &TestApp, key: &str, bytes: Vec<u8>, mime: &str, name: &str, kind: Option<&str>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap());
    if let Some(k) = kind {
        form = form.text("type", k.to_owned());
    }
    app.http.post(app.url("/api/v1/media")).bearer_auth(key).multipart(form).send().await.unwrap()
}

async fn a_customers_photo_is_fetched_kept_and_served_with_ranges(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let photo = samples::jpeg(3000);
    let data = base64::engine::general_purpose::STANDARD.encode(&photo);
    let msg = customer_sends(&app, &k, json!({"type": "image", "dataBase64": data, "caption": "my order", "filename": "a.jpg"})).await;
    assert_eq!(msg["content"]["caption"], "my order");
    let id = msg["content"]["mediaId"].as_str().expect("the message names our file").to_owned();

    let info = media_state(&app, &k, &id, "stored").await;
    assert_eq!((info["origin"].as_str(), info["kind"].as_str()), (Some("inbound"), Some("image")));
    assert_eq!(info["size"], 3000);
    assert_eq!(info["sha256"], hex::encode(sha2::Sha256::digest(&photo)));
    assert_eq!(info["messageId"], msg["id"]);

    let r = app.get(&k, &format!("/api/v1/media/{id}")).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    // Never sniffed into another type, never run as a page on the API's origin.
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["content-security-policy"].to_str().unwrap().ends_with("sandbox"), "{:?}", r.headers());
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);

    let ranged = |range: &'static str| {
        let url = app.url(&format!("/api/v1/media/{id}"));
        app.http.get(url).bearer_auth(&k).header("range", range).send()
    };
    let r = ranged("bytes=10-19").await.unwrap();
    assert_eq!(r.status().as_u16(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/3000");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo[10..20].to_vec());
    let r = ranged("bytes=-5").await.unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo[2995..].to_vec());
    let r = ranged("bytes=3000-").await.unwrap();
    assert_eq!(r.headers()["content-range"], "bytes */3000");
    expect_error(r, 416, "RANGE_NOT_SATISFIABLE").await;

    // Another shop's key never sees it.
    let other = app.create_shop("other").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/media/{id}")).await, 404, "NOT_FOUND").await;
    expect_error(app.get(&other.admin, &format!("/api/v1/media/{id}/info")).await, 404, "NOT_FOUND").await;
    // The event, once.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'media.stored'").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM media").await, 1);
}

async fn an_upload_is_checked_uploaded_to_meta_and_sent_by_our_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    app.customer_says(PNID, WA, "oi").await;
    app.drained().await;

    // Refusals name the problem and keep nothing.
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    let e = expect_error(upload(&app, &k, exe, "image/jpeg", "cat.jpg", None).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "file", "{e}");
    let e =
        expect_error(upload(&app, &k, samples::jpeg(5 * 1024 * 1024 + 1), "image/jpeg", "big.jpg", None).await, 422, "VALIDATION_FAILED")
            .await;
    assert!(e["error"]["message"].as_str().unwrap().contains("5120 KB"), "{e}");
    let e = expect_error(upload(&app, &k, b"GIF89a..".to_vec(), "image/gif", "a.gif", None).await, 422, "VALIDATION_FAILED").await;
    assert!(e["error"]["message"].as_str().unwrap().contains("image/gif"), "{e}");
    let no_file = reqwest::multipart::Form::new().text("type", "image");
    let r = app.http.post(app.url("/api/v1/media")).bearer_auth(&k).multipart(no_file).send().await.unwrap();
    let status = r.status().as_u16();
    let body = json(r).await;
    assert!(status == 400 || status == 422, "{status}: {body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM media").await, 0, "nothing kept half-way");

    // A PDF: stored, uploaded to Meta (the sandbox), then sent by our id.
    let pdf = samples::pdf(10_000);
    let r = upload(&app, &k, pdf.clone(), "application/pdf", "invoice.pdf", None).await;
    assert_eq!(r.status().as_u16(), 201);
    let file = json(r).await;
    assert_eq!(
        (file["kind"].as_str(), file["state"].as_str(), file["origin"].as_str()),
        (Some("document"), Some("stored"), Some("upload"))
    );
    let id = file["id"].as_str().unwrap().to_owned();
    let r = app.get(&k, &format!("/api/v1/media/{id}")).await;
    assert_eq!(r.headers()["content-disposition"], "inline; filename=\"invoice.pdf\"");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);

    let send = |media_id: String| {
        app.post(&k, "/api/v1/messages/send", json!({"from": NUMBER, "to": format!("+{WA}"), "content": {"type": "document", "mediaId": media_id, "caption": "your invoice"}}))
    };
    let r = send(id.clone()).await;
    assert!(r.status().is_success(), "{}", r.status());
    let last = sandbox_sent(&app, 1).await;
    let first_meta_id = last["body"]["document"]["id"].as_str().expect("Meta's id of the file").to_owned();
    assert_eq!(last["body"]["document"]["caption"], "your invoice");
    assert!(last["body"]["document"].get("mediaId").is_none(), "our id stays here");

    // Meta keeps an upload 30 days: an older one is uploaded again before the send.
    app.exec(&format!("UPDATE media SET meta_uploaded_at = '2020-01-01T00:00:00Z' WHERE id = {}", app.uuid_sql(&id))).await;
    assert!(send(id.clone()).await.status().is_success());
    let again = sandbox_sent(&app, 2).await["body"]["document"]["id"].as_str().unwrap().to_owned();
    assert_ne!(again, first_meta_id, "a fresh upload");
    assert_eq!(
        app.text(&format!("SELECT meta_media_id FROM media WHERE id = {}", app.uuid_sql(&id))).await.as_deref(),
        Some(again.as_str())
    );

    // Our id of another shop, or sent as the wrong kind, is refused before Meta sees it.
    let other = app.create_shop("other").await;
    app.connect(&other.admin, "2065403522", "+15550002222").await;
    let r = app
        .post(
            &other.admin,
            "/api/v1/messages/send",
            json!({"from": "+15550002222", "to": format!("+{WA}"), "forceTemplate": false, "content": {"type": "document", "mediaId": id}}),
        )
        .await;
    let e = json(r).await;
    assert_eq!(e["error"]["details"]["field"], "content.mediaId", "{e}");
    let r = app
        .post(&k, "/api/v1/messages/send", json!({"from": NUMBER, "to": format!("+{WA}"), "content": {"type": "image", "mediaId": id}}))
        .await;
    let e = expect_error(r, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "content.type");
}

async fn retention_and_erasure_remove_files(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let first = customer_sends(&app, &k, json!({"type": "document"})).await;
    let old = first["content"]["mediaId"].as_str().unwrap().to_owned();
    let second = customer_sends(&app, &k, json!({"type": "audio"})).await;
    let recent = second["content"]["mediaId"].as_str().unwrap().to_owned();
    media_state(&app, &k, &old, "stored").await;
    media_state(&app, &k, &recent, "stored").await;

    // The hourly job's first run (at start) is this test's to make: under load it could come
    // late and remove the old file first. Either it ran already (and holds its lease for the
    // hour) or the test takes the lease now.
    let _ = app.state.leases.acquire("media-retention", "test", std::time::Duration::from_secs(3600), chrono::Utc::now()).await;

    // Settings: checked, audited.
    assert_eq!(json(app.get(&k, "/api/v1/media-settings").await).await["retentionDays"], Value::Null);
    expect_error(app.put(&k, "/api/v1/media-settings", json!({"retentionDays": 0})).await, 422, "VALIDATION_FAILED").await;
    let r = app.put(&k, "/api/v1/media-settings", json!({"retentionDays": 30})).await;
    assert_eq!(json(r).await["retentionDays"], 30);

    app.exec(&format!("UPDATE media SET created_at = '2020-01-01T00:00:00Z' WHERE id = {}", app.uuid_sql(&old))).await;
    let summary = app.state.jobs.run_now("media-retention").await.unwrap();
    assert_eq!(summary, "1 files removed");
    let e = expect_error(app.get(&k, &format!("/api/v1/media/{old}")).await, 410, "MEDIA_REMOVED").await;
    assert_eq!(e["error"]["details"]["state"], "expired");
    assert_eq!(app.get(&k, &format!("/api/v1/media/{recent}")).await.status().as_u16(), 200, "a recent file stays");
    assert_eq!(app.state.jobs.run_now("media-retention").await.unwrap(), "0 files removed", "a second run changes nothing");

    // Erasure: the customer's files go with their data.
    let customer = json(app.get(&k, &format!("/api/v1/customers/by-wa-id/{WA}")).await).await;
    let r = app.delete(&k, &format!("/api/v1/customers/{}", customer["customer"]["id"].as_str().unwrap())).await;
    assert_eq!(r.status().as_u16(), 200);
    let e = expect_error(app.get(&k, &format!("/api/v1/media/{recent}")).await, 410, "MEDIA_REMOVED").await;
    assert_eq!(e["error"]["details"]["state"], "erased");
    let info = json(app.get(&k, &format!("/api/v1/media/{recent}/info")).await).await;
    assert_eq!(info["filename"], Value::Null);
    let audit = json(app.get(&k, "/api/v1/audit-log").await).await;
    assert!(audit.to_string().contains("media.settings.updated"), "{audit}");
}

/// A fake Graph API: the media's description, then its bytes from a link, as Meta serves them.
async fn a_fetch_is_checked_and_retried_against_a_fake_graph_api(backend: Backend) {
    let meta = fake_meta().await;
    let good = samples::png(500);
    let sha = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&good));
    Mock::given(method("GET"))
        .and(path_regex(r"^/v[0-9.]+/777000111$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "url": format!("{}/cdn/777000111", meta.uri()), "mime_type": "image/png",
            "sha256": sha, "file_size": 500, "id": "777000111"
        })))
        .with_priority(1)
        .mount(&meta)
        .await;
    // The first download is cut short (its SHA-256 does not match); the retry gets it whole.
    Mock::given(method("GET"))
        .and(path("/cdn/777000111"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(good[..100].to_vec()))
        .up_to_n_times(1)
        .mount(&meta)
        .await;
    Mock::given(method("GET"))
        .and(path("/cdn/777000111"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(good.clone()))
        .mount(&meta)
        .await;
    // Meta says this one has 100 bytes, and the CDN sends 500: not that file, never kept whole.
    Mock::given(method("GET"))
        .and(path_regex(r"^/v[0-9.]+/777000333$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "url": format!("{}/cdn/777000333", meta.uri()), "mime_type": "image/png",
            "file_size": 100, "id": "777000333"
        })))
        .with_priority(1)
        .mount(&meta)
        .await;
    Mock::given(method("GET"))
        .and(path("/cdn/777000333"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(good.clone()))
        .mount(&meta)
        .await;
    // Meta no longer has this one.
    Mock::given(method("GET"))
        .and(path_regex(r"^/v[0-9.]+/777000222$"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": {"message": "Unsupported get request", "code": 100}})))
        .with_priority(1)
        .mount(&meta)
        .await;

    let mut opts = Opts::new(backend);
    opts.graph_base = Some(meta.uri());
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let ts = now_ts();
    let image = |wamid: &str, media: &str| json!({"from": WA, "id": wamid, "timestamp": ts.to_string(), "type": "image", "image": {"id": media, "mime_type": "image/png", "sha256": sha}});
    let hook = inbound(PNID, WA, vec![image("wamid.M1", "777000111"), image("wamid.M2", "777000222"), image("wamid.M3", "777000333")]);
    assert_eq!(app.webhook(&hook).await.status().as_u16(), 200);
    assert_eq!(app.webhook(&hook).await.status().as_u16(), 200, "Meta redelivers");
    app.drained().await;
    let list = app.messages(&k, &format!("waId={WA}")).await;
    let id_of = |wamid: &str| {
        list["messages"].as_array().unwrap().iter().find(|m| m["messageId"] == wamid).unwrap()["content"]["mediaId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (ok, gone, longer) = (id_of("wamid.M1"), id_of("wamid.M2"), id_of("wamid.M3"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM media").await, 3, "one file per message, whatever the redeliveries");

    let failed = media_state(&app, &k, &gone, "failed").await;
    assert_eq!(failed["attempts"], 1, "Meta says it is gone: no retry");
    let stored = media_state(&app, &k, &ok, "stored").await;
    assert_eq!(stored["attempts"], 1, "the cut-short download was retried once");
    let r = app.get(&k, &format!("/api/v1/media/{ok}")).await;
    assert_eq!(r.bytes().await.unwrap().to_vec(), good);
    let p = format!("/api/v1/media/{longer}/info");
    wait_for("the longer download is refused", || async { json(app.get(&k, &p).await).await["attempts"].as_u64() >= Some(1) }).await;
    let refused = json(app.get(&k, &p).await).await;
    assert_eq!(refused["state"], "pending", "{refused}");
    assert!(refused["lastError"].as_str().unwrap().contains("larger than 100 bytes"), "{refused}");
    let e = expect_error(app.get(&k, &format!("/api/v1/media/{gone}")).await, 409, "MEDIA_NOT_READY").await;
    assert_eq!(e["error"]["details"]["state"], "failed");
    // Every call carried the number's token.
    let calls = meta.received_requests().await.unwrap();
    assert!(calls.iter().filter(|c| c.url.path().starts_with("/cdn/")).all(|c| c.headers["authorization"] == "Bearer EAAG-test-token"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'media.failed'").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'media.stored'").await, 1);
}

/// Two replicas share one database and one bucket-like folder: each file is fetched from Meta
/// exactly once, whichever replica stored its message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_fetch_each_file_once() {
    let Some(pg) = Backend::postgres() else { return };
    let meta = fake_meta().await;
    const FILES: usize = 40;
    let photo = samples::jpeg(20_000);
    let sha = hex::encode(sha2::Sha256::digest(&photo));
    let cdn = meta.uri();
    Mock::given(method("GET"))
        .and(path_regex(r"^/v[0-9.]+/555[0-9]+$"))
        .respond_with(move |req: &wiremock::Request| {
            let id = req.url.path().rsplit('/').next().unwrap().to_owned();
            ResponseTemplate::new(200)
                .set_body_json(json!({"url": format!("{cdn}/cdn/{id}"), "mime_type": "image/jpeg", "file_size": 20000}))
        })
        .with_priority(1)
        .mount(&meta)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/cdn/"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(photo.clone()).set_delay(std::time::Duration::from_millis(20)))
        .mount(&meta)
        .await;
    let store = tempfile::tempdir().unwrap();
    let opts = |db: Option<String>| {
        let mut o = Opts::new(pg.clone());
        o.graph_base = Some(meta.uri());
        o.database_url = db;
        o.extra_env.push(("MEDIA_STORE_URL", store.path().display().to_string()));
        o
    };
    let a = spawn_with(opts(None)).await;
    let b = spawn_with(opts(Some(a.db_url.clone()))).await;
    let shop = a.create_shop("s").await;
    a.connect(&shop.admin, PNID, NUMBER).await;
    let ts = now_ts();
    for i in 0..FILES {
        let m = json!({"from": WA, "id": format!("wamid.R{i}"), "timestamp": ts.to_string(), "type": "image",
            "image": {"id": format!("555{i:04}"), "mime_type": "image/jpeg", "sha256": sha}});
        let app = if i % 2 == 0 { &a } else { &b };
        assert_eq!(app.webhook(&inbound(PNID, WA, vec![m])).await.status().as_u16(), 200);
    }
    wait_for("every file stored", || async { a.scalar("SELECT COUNT(*) FROM media WHERE state = 'stored'").await == FILES as i64 }).await;
    let downloads = meta.received_requests().await.unwrap().into_iter().filter(|r| r.url.path().starts_with("/cdn/")).count();
    assert_eq!(downloads, FILES, "each file downloaded once across the two replicas");
    assert_eq!(a.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'media.stored'").await, FILES as i64);
}

/// A replica that claimed a file and then hung (or died) mid-download: its claim holds until it
/// expires, then another replica takes the file; the late holder's outcome changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_left_by_a_stuck_replica_expires_and_another_fetches_the_file() {
    let Some(pg) = Backend::postgres() else { return };
    let photo = samples::jpeg(5_000);
    let sha = hex::encode(sha2::Sha256::digest(&photo));
    // Each replica's Meta: the same file, but the first one's CDN never answers in time.
    let graph = |stuck: bool| {
        let photo = photo.clone();
        async move {
            let meta = fake_meta().await;
            let cdn = meta.uri();
            Mock::given(method("GET"))
                .and(path_regex(r"^/v[0-9.]+/5550001$"))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"url": format!("{cdn}/cdn/5550001"), "mime_type": "image/jpeg"})),
                )
                .with_priority(1)
                .mount(&meta)
                .await;
            let cdn = ResponseTemplate::new(200).set_body_bytes(photo);
            let cdn = if stuck { cdn.set_delay(std::time::Duration::from_secs(60)) } else { cdn };
            Mock::given(method("GET")).and(path("/cdn/5550001")).respond_with(cdn).mount(&meta).await;
            meta
        }
    };
    let (meta_a, meta_b) = (graph(true).await, graph(false).await);
    let store = tempfile::tempdir().unwrap();
    let opts = |meta: &wiremock::MockServer, db: Option<String>, stall_ms: &str| {
        let mut o = Opts::new(pg.clone());
        o.graph_base = Some(meta.uri());
        o.database_url = db;
        o.extra_env.push(("MEDIA_STORE_URL", store.path().display().to_string()));
        o.extra_env.push(("WHATSAPP_API_TIMEOUT_MS", stall_ms.to_owned()));
        o
    };
    // Replica A waits up to 12 s for the CDN's answer and holds its claim meanwhile (long enough
    // for B to start and look, even on a loaded machine).
    let a = spawn_with(opts(&meta_a, None, "12000")).await;
    let shop = a.create_shop("s").await;
    a.connect(&shop.admin, PNID, NUMBER).await;
    let m = json!({"from": WA, "id": "wamid.STUCK", "timestamp": now_ts().to_string(), "type": "image",
        "image": {"id": "5550001", "mime_type": "image/jpeg", "sha256": sha}});
    assert_eq!(a.webhook(&inbound(PNID, WA, vec![m])).await.status().as_u16(), 200);
    wait_for("A claims the file and asks Meta for its link", || async {
        a.scalar("SELECT COUNT(*) FROM media WHERE claimed_by IS NOT NULL").await == 1
            && meta_a.received_requests().await.unwrap().iter().any(|r| r.url.path().ends_with("/5550001"))
    })
    .await;

    // Replica B respects A's live claim.
    let b = spawn_with(opts(&meta_b, Some(a.db_url.clone()), "10000")).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(a.text("SELECT state FROM media").await.as_deref(), Some("pending"));
    assert!(meta_b.received_requests().await.unwrap().is_empty(), "B waits while A's claim holds");

    // Time passes: the claim expires (5 minutes in production), and B takes the file.
    a.exec("UPDATE media SET claimed_until = claimed_until - INTERVAL '1 hour'").await;
    wait_for("B stores the file", || async { a.text("SELECT state FROM media").await.as_deref() == Some("stored") }).await;
    let b_downloads = meta_b.received_requests().await.unwrap().iter().filter(|r| r.url.path() == "/cdn/5550001").count();
    assert_eq!(b_downloads, 1, "B downloaded it once");

    // A's download stalls out after 12 s; its late outcome changes nothing.
    wait_for("A's pass ends", || async { a.metrics().await.contains("whatsapp_media_fetches_total{outcome=\"superseded\"} 1") }).await;
    assert_eq!(a.text("SELECT state FROM media").await.as_deref(), Some("stored"));
    assert_eq!(a.scalar("SELECT CAST(attempts AS BIGINT) FROM media").await, 0, "A's failure was not recorded");
    assert_eq!(a.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'media.stored'").await, 1);
    let r = b.get(&shop.admin, &format!("/api/v1/media/{}", a.text("SELECT id::text FROM media").await.unwrap())).await;
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);
}

/// An instance holds at most `MEDIA_MEMORY_BYTES` of files at once. Here that is room for one
/// photo: while Meta takes its time with the first upload, a second gets 503 with `Retry-After`
/// (nothing of it is kept), and once the first is done the retry goes through.
async fn an_upload_past_the_file_memory_is_refused_with_503_until_room_comes_back(backend: Backend) {
    let meta = fake_meta().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v[0-9.]+/[0-9]+/media$"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "4490709327384033"})).set_delay(std::time::Duration::from_secs(5)),
        )
        .mount(&meta)
        .await;
    let mut opts = Opts::new(backend);
    opts.graph_base = Some(meta.uri());
    opts.extra_env.push(("MEDIA_MEMORY_BYTES", (1024 * 1024).to_string()));
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    let k = shop.admin.clone();
    app.connect(&k, PNID, NUMBER).await;
    let photo = samples::jpeg(600_000);

    let first = upload(&app, &k, photo.clone(), "image/jpeg", "a.jpg", None);
    let memory = |state: &'static str| {
        let app = &app;
        async move {
            let text = app.metrics().await;
            let line = format!("whatsapp_media_memory_bytes{{state=\"{state}\"}} ");
            text.lines().find_map(|l| l.strip_prefix(line.as_str())).map(str::to_owned).unwrap_or_else(|| panic!("no {line} in /metrics"))
        }
    };
    assert_eq!(memory("budget").await, "1048576");
    assert_eq!(memory("held").await, "0");
    let second = async {
        wait_for("the first upload is in Meta's hands", || async { !posts(&meta).await.is_empty() }).await;
        // The first holds its body's declared length (the photo and the form around it), in KiB.
        let held: u64 = memory("held").await.parse().unwrap();
        assert!((600_000u64.div_ceil(1024) * 1024..=600_000 + 4096).contains(&held), "{held}");
        // A second upload is refused from its Content-Length, before its body is read: 10 bytes
        // of a declared 600 KB are enough for the answer.
        let head = format!(
            "POST /api/v1/media HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {k}\r\ncontent-type: multipart/form-data; boundary=X\r\ncontent-length: 600300\r\n\r\n"
        );
        let early = crate::webhooks::raw_request(&app, &head, b"--X\r\nConte", std::time::Duration::from_secs(3)).await;
        let early = early.expect("answered before the body");
        assert!(early.starts_with("HTTP/1.1 503") && early.to_ascii_lowercase().contains("retry-after: 5"), "{early}");
        upload(&app, &k, photo.clone(), "image/jpeg", "b.jpg", None).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.status().as_u16(), 201);
    assert_eq!(second.headers()["retry-after"], "5");
    let e = expect_error(second, 503, "SERVICE_UNAVAILABLE").await;
    assert_eq!(e["error"]["details"]["retryAfterSeconds"], 5);
    assert_eq!(posts(&meta).await.len(), 1, "the refused file never went to Meta");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM media").await, 1, "nor was it recorded");

    assert_eq!(memory("held").await, "0", "given back once the first was stored");
    let retry = upload(&app, &k, photo, "image/jpeg", "b.jpg", None).await;
    assert_eq!(retry.status().as_u16(), 201, "room came back with the first file");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM media").await, 2);
}

/// A shop has at most `MEDIA_UPLOADS_PER_SHOP` uploads in flight: one more is 429 before its body
/// is read, while another shop's goes through; an upload without `Content-Length` is 411.
#[tokio::test]
async fn a_shop_has_a_few_uploads_in_flight_at_once() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env.push(("MEDIA_UPLOADS_PER_SHOP", "1".into()));
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    let other = app.create_shop("t").await;
    let head = |key: &str| {
        format!(
            "POST /api/v1/media HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\ncontent-type: multipart/form-data; boundary=X\r\ncontent-length: 50000\r\n\r\n"
        )
    };
    // The first upload of the shop sends its head and stalls mid-body: it is in flight.
    use tokio::io::AsyncWriteExt;
    let mut stalled = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stalled.write_all(head(&shop.admin).as_bytes()).await.unwrap();
    stalled.write_all(b"--X\r\n").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let answer = crate::webhooks::raw_request(&app, &head(&shop.admin), b"--X", std::time::Duration::from_secs(3)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 429") && answer.contains("RATE_LIMIT_EXCEEDED"), "{answer}");
    let r = upload(&app, &other.admin, samples::jpeg(1000), "image/jpeg", "a.jpg", None).await;
    assert_ne!(r.status().as_u16(), 429, "another shop's upload is its own");
    drop(stalled);
    wait_for("the stalled upload ends", || async {
        let r = upload(&app, &shop.admin, samples::jpeg(1000), "image/jpeg", "a.jpg", None).await;
        r.status().as_u16() != 429
    })
    .await;
    let chunked = "POST /api/v1/media HTTP/1.1\r\nhost: x\r\nauthorization: Bearer K\r\ncontent-type: multipart/form-data; boundary=X\r\ntransfer-encoding: chunked\r\n\r\n"
        .replace('K', &shop.admin);
    let answer =
        crate::webhooks::raw_request(&app, &chunked, b"5\r\n--X\r\n\r\n", std::time::Duration::from_secs(3)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 411"), "{answer}");
}

both_backends!(
    a_customers_photo_is_fetched_kept_and_served_with_ranges,
    an_upload_is_checked_uploaded_to_meta_and_sent_by_our_id,
    retention_and_erasure_remove_files,
    a_fetch_is_checked_and_retried_against_a_fake_graph_api,
    an_upload_past_the_file_memory_is_refused_with_503_until_room_comes_back,
);
