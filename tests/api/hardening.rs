//! What a black-box probe found (issue 7): limits that strangers cannot get around.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

/// Two replicas on one database and one Redis hold one per-shop limit between them; without
/// Redis each process keeps its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_limit_holds_across_replicas_with_redis() {
    let Some(redis) = redis_url() else { return };
    let mut a_opts = Opts::new(Backend::Sqlite);
    a_opts.rate_limit_per_minute = 6;
    a_opts.redis_url = Some(redis.clone());
    let a = spawn_with(a_opts).await;
    let mut b_opts = Opts::new(Backend::Sqlite);
    b_opts.rate_limit_per_minute = 6;
    b_opts.redis_url = Some(redis);
    b_opts.database_url = Some(a.db_url.clone());
    let b = spawn_with(b_opts).await;
    let shop = a.create_shop("s").await;
    let mut ok = 0;
    let mut limited = 0;
    for i in 0..12 {
        let app = if i % 2 == 0 { &a } else { &b };
        match app.get(&shop.admin, "/api/v1/accounts").await.status().as_u16() {
            200 => ok += 1,
            429 => limited += 1,
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!((ok, limited), (6, 6), "six in a minute between both replicas");
    let metrics = a.metrics().await;
    assert!(!metrics.contains(r#"http_rate_limited_total{scope="shop"} 0"#), "{metrics}");

    // Without Redis, each process has its own six.
    let mut c_opts = Opts::new(Backend::Sqlite);
    c_opts.rate_limit_per_minute = 6;
    c_opts.database_url = Some(a.db_url.clone());
    let c = spawn_with(c_opts).await;
    for _ in 0..6 {
        assert_eq!(c.get(&shop.admin, "/api/v1/accounts").await.status().as_u16(), 200);
    }
    expect_error(c.get(&shop.admin, "/api/v1/accounts").await, 429, "RATE_LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn failed_authentications_are_throttled_per_address() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env = vec![("AUTH_FAILURES_PER_MINUTE", "5".into())];
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    let wrong = |forwarded: &'static str| {
        app.http.get(app.url("/api/v1/accounts")).bearer_auth("wsk_wrong").header("x-forwarded-for", forwarded).send()
    };
    for i in 0..5 {
        // Without TRUSTED_PROXIES, X-Forwarded-For is the caller's word and is ignored.
        let forwarded = ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"][i];
        expect_error(wrong(forwarded).await.unwrap(), 401, "UNAUTHORIZED").await;
    }
    let r = wrong("9.9.9.9").await.unwrap();
    assert!(r.headers().get("retry-after").is_some());
    expect_error(r, 429, "RATE_LIMIT_EXCEEDED").await;
    // A key that resolves is never throttled: behind a NAT or an ingress, every shop shares the address.
    assert_eq!(app.get(&shop.admin, "/api/v1/accounts").await.status().as_u16(), 200);
    let metrics = app.metrics().await;
    assert!(metrics.contains(r#"http_auth_attempts_total{result="failed"} 5"#), "{metrics}");
    assert!(metrics.contains(r#"http_auth_attempts_total{result="throttled"} 1"#), "{metrics}");
}

/// Behind a trusted proxy (`TRUSTED_PROXIES`), the client is the address the proxy forwards:
/// one client's failures do not throttle another's behind the same proxy.
#[tokio::test]
async fn behind_a_trusted_proxy_failures_count_per_forwarded_client() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env = vec![("AUTH_FAILURES_PER_MINUTE", "3".into()), ("TRUSTED_PROXIES", "127.0.0.0/8,::1".into())];
    let app = spawn_with(opts).await;
    let wrong = |forwarded: &'static str| {
        app.http.get(app.url("/api/v1/accounts")).bearer_auth("wsk_wrong").header("x-forwarded-for", forwarded).send()
    };
    for _ in 0..3 {
        expect_error(wrong("198.51.100.7").await.unwrap(), 401, "UNAUTHORIZED").await;
    }
    expect_error(wrong("198.51.100.7").await.unwrap(), 429, "RATE_LIMIT_EXCEEDED").await;
    // Another client behind the same proxy still gets its own answer.
    expect_error(wrong("203.0.113.5").await.unwrap(), 401, "UNAUTHORIZED").await;
    // The client cannot pick its address by prepending one: the proxy's last hop counts.
    expect_error(wrong("203.0.113.5, 198.51.100.7").await.unwrap(), 429, "RATE_LIMIT_EXCEEDED").await;
}

#[tokio::test]
async fn api_bodies_are_capped_and_a_viewer_is_refused_before_its_body_is_read() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env = vec![("API_MAX_BODY_BYTES", "4096".into())];
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    let big = json!({"from": "+15550001111", "to": "+5511987654321", "content": {"type": "text", "text": "x".repeat(5000)}});
    let r = app.post(&shop.admin, "/api/v1/messages/send", big).await;
    assert_eq!(expect_error(r, 413, "PAYLOAD_TOO_LARGE").await["error"]["details"]["maxBytes"], 4096);
    // A viewer announcing 50 MB and sending 10 bytes is answered at once.
    let viewer = app.create_key(&shop.admin, &shop.id, "viewer").await;
    let head = format!(
        "POST /api/v1/messages/send HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {viewer}\r\ncontent-type: application/json\r\ncontent-length: 50000000\r\n\r\n"
    );
    let answer = crate::webhooks::raw_request(&app, &head, b"{\"from\":1", std::time::Duration::from_secs(3)).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("FORBIDDEN"), "{answer}");
}

async fn nul_in_api_input_is_stored_replaced_the_same_on_both_databases(backend: Backend) {
    let app = spawn_app(backend).await;
    // Postgres cannot store U+0000; both databases store U+FFFD instead (as for webhooks).
    let r = app.post(ADMIN_KEY, "/api/v1/shops", json!({"name": "Pa\u{0}daria"})).await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(json(r).await["name"], "Pa\u{FFFD}daria");
    let shop = app.create_shop("s").await;
    let r = app.post(&shop.admin, &format!("/api/v1/shops/{}/api-keys", shop.id), json!({"name": "k\u{0}", "role": "agent"})).await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(json(r).await["name"], "k\u{FFFD}");
    let r = app.get(&shop.admin, "/api/v1/messages?userId=a%00b").await;
    assert_eq!(r.status().as_u16(), 200, "the query is read with U+FFFD");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM shops").await, 2);
    assert_eq!(app.texts("SELECT name FROM shops ORDER BY name").await, vec!["Pa\u{FFFD}daria".to_owned(), "s".to_owned()]);
    // A NUL in a path is refused.
    let r = app.get(&shop.admin, "/api/v1/messages/a%00b").await;
    expect_error(r, 422, "VALIDATION_FAILED").await;
}

async fn huge_offsets_are_refused_not_crashed_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    for path in ["/api/v1/conversations?offset=9223372036854775807", "/api/v1/messages?offset=9223372036854775807"] {
        let r = app.get(&shop.admin, path).await;
        let status = r.status().as_u16();
        assert!(matches!(status, 200 | 400 | 422), "{path}: {status}");
    }
    let r = app.get(&shop.admin, "/api/v1/conversations?offset=9223372036854775808").await;
    assert!(matches!(r.status().as_u16(), 400 | 422), "{}", r.status());
    assert!(json(r).await["error"]["code"].is_string());
}

both_backends!(nul_in_api_input_is_stored_replaced_the_same_on_both_databases, huge_offsets_are_refused_not_crashed_on);

#[tokio::test]
async fn strangers_cannot_mint_metric_series() {
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("s").await;
    let series = |text: &str| text.lines().filter(|l| l.starts_with("http_requests_total{")).count();
    let before = series(&app.metrics().await);
    for i in 0..40 {
        let method = reqwest::Method::from_bytes(format!("M{i}").as_bytes()).unwrap();
        let _ = app.http.request(method, app.url(&format!("/x/{i}"))).send().await.unwrap();
        let _ = app.get(&shop.admin, &format!("/api/v1/messages/{}", uuid::Uuid::new_v4())).await;
        let _ = app.get(&shop.admin, &format!("/api/v1/nothing/{i}")).await;
    }
    let text = app.metrics().await;
    let after = series(&text);
    assert!(after <= before + 4, "{before} → {after} series:\n{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",route="getMessage",status="404"} 40"#), "{text}");
    assert!(text.contains(r#"method="OTHER",route="(unmatched)""#), "{text}");
}

#[tokio::test]
async fn metrics_can_live_on_their_own_address() {
    let mut opts = Opts::new(Backend::Sqlite);
    opts.extra_env = vec![("METRICS_BIND_ADDR", "127.0.0.1:0".into())];
    let app = spawn_with(opts).await;
    let public = app.http.get(app.url("/metrics")).send().await.unwrap();
    expect_error(public, 404, "NOT_FOUND").await;
    let private = app.metrics_base.clone().expect("a metrics listener");
    let text = app.http.get(format!("{private}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("whatsapp_webhook_requests_total"), "{text}");
}

/// Connecting a number asks Meta first (`GET /{phone-number-id}` with the shop's token): a
/// made-up token, or a number Meta has under another display number, connects nothing.
#[tokio::test]
async fn connecting_a_number_is_verified_with_meta() {
    let meta = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(r"^/v[0-9.]+/1065403522$"))
        .and(wiremock::matchers::header("authorization", "Bearer EAAG-real"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(json!({"id": "1065403522", "display_phone_number": "+1 555-000-1111", "verified_name": "Padaria"})),
        )
        .mount(&meta)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(400).set_body_json(
            json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "X"}}),
        ))
        .mount(&meta)
        .await;
    let mut opts = Opts::new(Backend::Sqlite);
    opts.graph_base = Some(meta.uri());
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    let connect = |number: &str, token: &str| json!({"phoneNumberId": "1065403522", "displayPhoneNumber": number, "wabaId": "2002", "accessToken": token});
    let e =
        expect_error(app.post(&shop.admin, "/api/v1/accounts", connect("+15550001111", "EAAG-made-up")).await, 422, "NUMBER_NOT_VERIFIED")
            .await;
    assert_eq!(e["error"]["details"]["metaCode"], 190);
    let e =
        expect_error(app.post(&shop.admin, "/api/v1/accounts", connect("+15559999999", "EAAG-real")).await, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "displayPhoneNumber");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM whatsapp_accounts").await, 0, "nothing was connected");
    let r = app.post(&shop.admin, "/api/v1/accounts", connect("+15550001111", "EAAG-real")).await;
    assert_eq!(r.status().as_u16(), 201);
}
