//! What outside checks found (the kernel issue, §7 and §8): each case fails without its fix.

use serde_json::json;

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

/// A JSON body followed by anything but whitespace is refused, as `serde_json::from_slice` does;
/// trailing whitespace is fine.
#[tokio::test]
async fn a_body_with_bytes_after_its_json_is_refused() {
    let app = spawn_app(Backend::Sqlite).await;
    let post = |body: &'static str| {
        app.http.post(app.url("/api/v1/shops")).bearer_auth(ADMIN_KEY).header("content-type", "application/json").body(body).send()
    };
    for body in [r#"{"name":"x"} garbage"#, r#"{"name":"x"}{"name":"y"}"#, r#"{"name":"x"} 1"#] {
        let v = expect_error(post(body).await.unwrap(), 400, "VALIDATION_FAILED").await;
        assert_eq!(v["error"]["details"]["field"], "body", "{body}: {v}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM shops").await, 0, "no shop was made");
    assert_eq!(post("{\"name\":\"x\"} \n\t ").await.unwrap().status().as_u16(), 201);
}

/// Meta refuses a template's text parameter that is empty or holds a newline, a tab or more than
/// four consecutive spaces (132018): the send is refused at once, naming the parameter, and
/// nothing reaches Meta.
async fn template_parameters_meta_refuses_are_refused_before_meta(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    for text in ["", "two\nlines", "a\ttab", "five     spaces"] {
        let body = json!({"from": NUMBER, "to": "+5511900000001", "template": {"name": "hello_world", "language": "en_US",
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": text}]}]}});
        let v = expect_error(app.post(&shop.admin, "/api/v1/messages/template", body).await, 422, "VALIDATION_FAILED").await;
        assert_eq!(v["error"]["details"]["field"], "template.components[0].parameters[1].text", "{text:?}: {v}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM messages").await, 0, "nothing was queued");
    let outbox = json(app.http.get(app.url("/sandbox/outbox")).send().await.unwrap()).await;
    assert_eq!(outbox.as_array().map(Vec::len), Some(0), "Meta saw nothing: {outbox}");
}

both_backends!(template_parameters_meta_refuses_are_refused_before_meta);
