use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const CUSTOMER: &str = "+5511987654321";

fn send(content: Value) -> Value {
    json!({"from": NUMBER, "to": CUSTOMER, "content": content})
}

fn hello_template() -> Value {
    json!({"name": "hello_world", "language": "en_US", "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]})
}

async fn sandbox_outbox(app: &TestApp) -> Vec<Value> {
    json(app.http.get(app.url("/sandbox/outbox")).send().await.unwrap()).await.as_array().unwrap().clone()
}

async fn the_window_decides_free_form_or_template(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;

    // Never wrote: closed, nothing reaches Meta.
    let r = app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": "hi"}))).await;
    let e = expect_error(r, 422, "CONVERSATION_WINDOW_CLOSED").await;
    assert_eq!(e["error"]["details"]["useTemplate"], true);
    assert!(e["error"]["details"].get("windowExpiredAt").is_some());
    assert!(sandbox_outbox(&app).await.is_empty(), "nothing reached Meta");

    // Closed, but a template is supplied: the template goes out.
    let mut with_template = send(json!({"type": "text", "text": "hi"}));
    with_template["template"] = hello_template();
    let r = json(app.post(&shop.admin, "/api/v1/messages/send", with_template).await).await;
    assert_eq!(r["messageType"], "template");
    assert_eq!(r["status"], "sent");
    assert!(r["messageId"].as_str().unwrap().starts_with("wamid."));

    // The customer writes: the window opens, free-form goes out.
    app.customer_says(PNID, CUSTOMER, "Oi, preciso de ajuda").await;
    app.drained().await;
    let status = json(app.get(&shop.admin, "/api/v1/conversations/status?waId=5511987654321").await).await;
    assert_eq!(status["canSendFreeMessage"], true);
    assert_eq!(status["conversationWindow"]["isOpen"], true);
    assert!(status["conversationWindow"]["expiresAt"].is_string());
    assert_eq!(status["phoneNumber"], CUSTOMER);
    let r = json(app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": "Claro!"}))).await).await;
    assert_eq!(r["messageType"], "free");
    assert_eq!(r["status"], "sent");
    assert_eq!(r["conversationId"], status["conversationId"]);

    // forceTemplate sends the template even inside the window, and needs one.
    let mut forced = send(json!({"type": "text", "text": "x"}));
    forced["forceTemplate"] = json!(true);
    expect_error(app.post(&shop.admin, "/api/v1/messages/send", forced.clone()).await, 422, "VALIDATION_FAILED").await;
    forced["template"] = hello_template();
    let r = json(app.post(&shop.admin, "/api/v1/messages/send", forced).await).await;
    assert_eq!(r["messageType"], "template");

    // What Meta received is Meta's wire format.
    let out = sandbox_outbox(&app).await;
    assert_eq!(out.len(), 3);
    assert_eq!(out[0]["body"]["type"], "template");
    assert_eq!(out[0]["body"]["template"]["language"]["code"], "en_US");
    assert_eq!(out[1]["body"]["text"]["body"], "Claro!");
    assert_eq!(out[1]["body"]["to"], "5511987654321");

    // The statuses come back signed from the sandbox and are tracked to `read`.
    let id = r["id"].as_str().unwrap().to_owned();
    wait_for("read status", || async { json(app.get(&shop.admin, &format!("/api/v1/messages/{id}")).await).await["status"] == "read" })
        .await;
}

async fn the_template_endpoint_sends_outside_the_window(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let r = app
        .post(
            &shop.admin,
            "/api/v1/messages/template",
            json!({"from": NUMBER, "to": CUSTOMER, "userId": "user_123", "template": hello_template()}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = json(r).await;
    assert_eq!(r["messageType"], "template");
    // userId is attached to the customer and filters messages.
    let list = app.messages(&shop.admin, "userId=user_123").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["messages"][0]["userId"], "user_123");
    let status = json(app.get(&shop.admin, "/api/v1/conversations/status?userId=user_123").await).await;
    assert_eq!(status["canSendFreeMessage"], false);
    assert_eq!(status["waId"], "5511987654321");
    let bad = app
        .post(
            &shop.admin,
            "/api/v1/messages/template",
            json!({"from": NUMBER, "to": CUSTOMER, "template": {"name": "Bad Name", "language": "en_US"}}),
        )
        .await;
    let e = expect_error(bad, 422, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "template.name");
}

async fn every_outbound_type_is_validated_and_sent(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    app.customer_says(PNID, CUSTOMER, "hi").await;
    app.drained().await;
    let ok = [
        json!({"type": "text", "text": "plain", "previewUrl": true}),
        json!({"type": "image", "link": "https://example.com/a.jpg", "caption": "A"}),
        json!({"type": "video", "id": "123"}),
        json!({"type": "audio", "id": "124"}),
        json!({"type": "document", "link": "https://example.com/a.pdf", "filename": "a.pdf"}),
        json!({"type": "sticker", "id": "125"}),
        json!({"type": "location", "latitude": -23.5, "longitude": -46.6, "name": "Loja"}),
        json!({"type": "contacts", "contacts": [{"name": {"formatted_name": "Bia"}, "phones": [{"phone": "+5511900000000"}]}]}),
        json!({"type": "buttons", "body": "Pick", "buttons": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}, {"id": "c", "title": "C"}]}),
        json!({"type": "list", "body": "Menu", "buttonText": "Open", "sections": [{"title": "Breads", "rows": [{"id": "r1", "title": "Pão"}]}]}),
        json!({"type": "cta_url", "body": "Track", "displayText": "Open", "url": "https://example.com/t"}),
        json!({"type": "location_request", "body": "Where are you?"}),
        json!({"type": "flow", "body": "Book", "flowId": "1234", "flowCta": "Book now"}),
        json!({"type": "template", "name": "order_update", "language": "pt_BR", "components": [{"type": "body", "parameters": [{"type": "text", "parameter_name": "order", "text": "42"}]}]}),
    ];
    for c in &ok {
        let r = app.post(&shop.admin, "/api/v1/messages/send", send(c.clone())).await;
        assert_eq!(r.status().as_u16(), 200, "{c}: {}", r.text().await.unwrap());
    }
    let out = sandbox_outbox(&app).await;
    assert_eq!(out.len(), ok.len());
    assert_eq!(out[8]["body"]["interactive"]["type"], "button");
    assert_eq!(out[9]["body"]["interactive"]["action"]["sections"][0]["rows"][0]["id"], "r1");
    assert_eq!(out[10]["body"]["interactive"]["action"]["parameters"]["url"], "https://example.com/t");
    assert_eq!(out[11]["body"]["interactive"]["type"], "location_request_message");
    assert_eq!(out[12]["body"]["interactive"]["action"]["parameters"]["flow_id"], "1234");

    let bad = [
        (json!({"type": "text", "text": "x".repeat(4097)}), "content.text"),
        (
            json!({"type": "buttons", "body": "Pick", "buttons": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}, {"id": "c", "title": "C"}, {"id": "d", "title": "D"}]}),
            "content.buttons",
        ),
        (
            json!({"type": "buttons", "body": "Pick", "buttons": [{"id": "a", "title": "This title is far too long"}]}),
            "content.buttons[0].title",
        ),
        (
            json!({"type": "list", "body": "M", "buttonText": "Open", "sections": [{"rows": (0..11).map(|i| json!({"id": format!("r{i}"), "title": "t"})).collect::<Vec<_>>()}]}),
            "content.sections",
        ),
        (json!({"type": "image"}), "content"),
        (json!({"type": "hologram"}), "content.type"),
        (json!({"type": "buttons", "body": "Pick"}), "content.buttons"),
    ];
    for (c, field) in bad {
        let r = app.post(&shop.admin, "/api/v1/messages/send", send(c.clone())).await;
        let e = expect_error(r, 422, "VALIDATION_FAILED").await;
        let got = e["error"]["details"]["field"].as_str().unwrap().to_owned();
        assert!(got == field || got.starts_with(field), "{c}: field {got}, wanted {field}");
    }
    assert_eq!(sandbox_outbox(&app).await.len(), ok.len(), "no invalid message reached Meta");
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let e = expect_error(
        app.post(&shop.admin, "/api/v1/messages/send", json!({"from": NUMBER, "to": "12345", "content": {"type": "text", "text": "x"}}))
            .await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "to");
    let e = expect_error(
        app.post(&shop.admin, "/api/v1/messages/send", json!({"from": NUMBER, "content": {"type": "text", "text": "x"}})).await,
        422,
        "VALIDATION_FAILED",
    )
    .await;
    assert!(e["error"]["message"].as_str().unwrap().contains("`to`"), "{e}");
    let e =
        expect_error(app.post(&shop.admin, "/api/v1/messages/send", json!({"from": 5, "to": CUSTOMER})).await, 422, "VALIDATION_FAILED")
            .await;
    assert_eq!(e["error"]["details"]["field"], "from");
    let raw = app
        .http
        .post(app.url("/api/v1/messages/send"))
        .bearer_auth(&shop.admin)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    expect_error(raw, 400, "VALIDATION_FAILED").await;
    let e = expect_error(
        app.post(
            &shop.admin,
            "/api/v1/messages/send",
            json!({"from": "+15550009999", "to": CUSTOMER, "content": {"type": "text", "text": "x"}}),
        )
        .await,
        422,
        "INVALID_PHONE_NUMBER",
    )
    .await;
    assert_eq!(e["error"]["details"]["field"], "from");
    // Declared in the spec, so checked while parsing parameters: 400, like any malformed one.
    let e = expect_error(app.get(&shop.admin, "/api/v1/messages?limit=500").await, 400, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"]["field"], "limit");
    expect_error(app.get(&shop.admin, "/api/v1/messages?limit=abc").await, 400, "VALIDATION_FAILED").await;
}

async fn meta_mock(app_backend: Backend) -> (MockServer, TestApp, Shop) {
    let meta = fake_meta().await;
    let mut opts = Opts::new(app_backend);
    opts.graph_base = Some(meta.uri());
    let app = spawn_with(opts).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    // Open the window with a signed inbound webhook.
    app.webhook(&inbound(PNID, "5511987654321", vec![text_message("wamid.IN", "5511987654321", now_ts(), "hi")])).await;
    app.drained().await;
    (meta, app, shop)
}

fn meta_error(code: i64, status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"message": format!("error {code}"), "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": "details here"}, "fbtrace_id": "Atrace"}}))
}

#[tokio::test]
async fn a_retryable_error_is_retried_then_succeeds() {
    let (meta, app, shop) = meta_mock(Backend::Sqlite).await;
    Mock::given(method("POST")).respond_with(meta_error(131000, 500)).up_to_n_times(2).mount(&meta).await;
    Mock::given(method("POST"))
        .and(path(format!("/v24.0/{PNID}/messages")))
        .and(body_partial_json(json!({"messaging_product": "whatsapp", "to": "5511987654321", "type": "text"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.RETRIED"}]})))
        .mount(&meta)
        .await;
    let r = json(app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": "hi"}))).await).await;
    assert_eq!(r["messageId"], "wamid.RETRIED");
    assert_eq!(r["status"], "sent");
    let requests = posts(&meta).await;
    assert_eq!(requests.len(), 3, "two failures, then success");
    assert_eq!(requests[0].headers.get("authorization").unwrap(), "Bearer EAAG-test-token", "the decrypted token");
}

#[tokio::test]
async fn a_non_retryable_error_fails_once_and_is_recorded() {
    let (meta, app, shop) = meta_mock(Backend::Sqlite).await;
    Mock::given(method("POST")).respond_with(meta_error(131026, 400)).mount(&meta).await;
    let r = app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": "hi"}))).await;
    let e = expect_error(r, 422, "WHATSAPP_API_ERROR").await;
    assert_eq!(e["error"]["details"]["metaCode"], 131026);
    assert_eq!(e["error"]["details"]["fbtraceId"], "Atrace");
    assert_eq!(posts(&meta).await.len(), 1, "never retried");
    let id = e["error"]["details"]["messageId"].as_str().unwrap();
    let m = json(app.get(&shop.admin, &format!("/api/v1/messages/{id}")).await).await;
    assert_eq!(m["status"], "failed");
    assert_eq!(m["error"]["code"], 131026);
}

#[tokio::test]
async fn meta_window_refusal_and_missing_template_map_to_contract_codes() {
    let (meta, app, shop) = meta_mock(Backend::Sqlite).await;
    Mock::given(method("POST")).and(body_partial_json(json!({"type": "text"}))).respond_with(meta_error(131047, 400)).mount(&meta).await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"type": "template"})))
        .respond_with(meta_error(132001, 404))
        .mount(&meta)
        .await;
    expect_error(
        app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": "hi"}))).await,
        422,
        "CONVERSATION_WINDOW_CLOSED",
    )
    .await;
    let e = expect_error(
        app.post(&shop.admin, "/api/v1/messages/template", json!({"from": NUMBER, "to": CUSTOMER, "template": hello_template()})).await,
        422,
        "TEMPLATE_NOT_FOUND",
    )
    .await;
    assert_eq!(e["error"]["details"]["name"], "hello_world");
    assert_eq!(posts(&meta).await.len(), 2);
}

#[tokio::test]
async fn timeouts_are_not_retried_blindly() {
    let (meta, app, shop) = meta_mock(Backend::Sqlite).await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(3)).set_body_json(json!({"messages": [{"id": "w"}]})),
        )
        .mount(&meta)
        .await;
    let e = expect_error(
        app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": "hi"}))).await,
        502,
        "WHATSAPP_API_ERROR",
    )
    .await;
    assert_eq!(e["error"]["details"]["kind"], "outcome_unknown");
    assert_eq!(posts(&meta).await.len(), 1, "a request that may have been delivered is not sent again");
}

#[tokio::test]
async fn mark_read_sends_the_read_receipt_with_typing_indicator() {
    let (meta, app, shop) = meta_mock(Backend::Sqlite).await;
    Mock::given(method("POST"))
        .and(body_partial_json(json!({"status": "read", "message_id": "wamid.IN", "typing_indicator": {"type": "text"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&meta)
        .await;
    let inbound = app.messages(&shop.admin, "direction=inbound").await;
    let id = inbound["messages"][0]["id"].as_str().unwrap().to_owned();
    let r = app.post(&shop.admin, &format!("/api/v1/messages/{id}/read?typingIndicator=true"), json!({})).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(json(r).await["status"], "read");
    meta.verify().await;
}

both_backends!(
    the_window_decides_free_form_or_template,
    the_template_endpoint_sends_outside_the_window,
    every_outbound_type_is_validated_and_sent
);

#[tokio::test]
async fn the_sandbox_enforces_meta_rules_like_meta() {
    let app = spawn_app(Backend::Sqlite).await;
    let graph = app.url(&format!("/sandbox/graph/v24.0/{PNID}/messages"));
    // The 24-hour rule, answered by the simulator itself (code 131047).
    let r = app
        .http
        .post(&graph)
        .bearer_auth("EAAG")
        .json(&json!({"messaging_product": "whatsapp", "to": "5511000000001", "type": "text", "text": {"body": "hi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(json(r).await["error"]["code"], 131047);
    let r = app.http.post(&graph).json(&json!({"to": "1"})).send().await.unwrap();
    assert_eq!(json(r).await["error"]["code"], 190, "no token");

    // The sandbox's pair rate: a burst of 45 to one customer, then 131056.
    for i in 0..45 {
        let r = app
            .http
            .post(&graph)
            .bearer_auth("EAAG")
            .json(&json!({"messaging_product": "whatsapp", "to": "5511000000002", "type": "template", "template": {"name": "x", "language": {"code": "en"}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "message {i} is inside the burst");
    }
    let r = app
        .http
        .post(&graph)
        .bearer_auth("EAAG")
        .json(&json!({"messaging_product": "whatsapp", "to": "5511000000002", "type": "template", "template": {"name": "x", "language": {"code": "en"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["error"]["code"], 131056);

    // Through the service, the dispatcher's own pair limit holds the 46th back: no violation.
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    app.customer_says(PNID, CUSTOMER, "hi").await;
    app.drained().await;
    for i in 0..45 {
        let r = app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": format!("m{i}")}))).await;
        assert_eq!(r.status().as_u16(), 200, "message {i} is inside the burst");
    }
    let r = app.post(&shop.admin, "/api/v1/messages/send", send(json!({"type": "text", "text": "one too many"}))).await;
    // Held back until the pair bucket refills (queued, or sent once a token came back) —
    // never refused by Meta.
    assert!(matches!(r.status().as_u16(), 200 | 202), "{}", r.status());
    let metrics = app.metrics().await;
    assert!(metrics.contains("whatsapp_outbound_deferred_total{reason=\"pair_rate\"}"), "the pair limiter intervened");
    assert!(!metrics.contains("whatsapp_cloud_api_errors_total{code=\"131056\"}"), "Meta never saw a pair-rate violation");
}
