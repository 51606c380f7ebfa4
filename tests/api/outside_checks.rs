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

/// A ZIP archive passes only as Office Open XML and an OLE file only as legacy Office: a renamed
/// archive declared as a photo or a text is refused, and nothing is kept.
#[tokio::test]
async fn a_zip_or_ole_file_passes_only_as_an_office_document() {
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let upload = |bytes: Vec<u8>, mime: &'static str, name: &'static str| {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name).mime_str(mime).unwrap();
        app.http
            .post(app.url("/api/v1/media"))
            .bearer_auth(&shop.admin)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
    };
    use domain::media::rules::samples::{ole, zip};
    for (bytes, mime, name) in [
        (zip(2000), "image/jpeg", "x.jpg"),
        (zip(2000), "text/plain", "x.txt"),
        (ole(2000), "application/pdf", "x.pdf"),
        (zip(2000), "application/msword", "x.doc"),
    ] {
        let v = expect_error(upload(bytes, mime, name).await.unwrap(), 422, "VALIDATION_FAILED").await;
        assert_eq!(v["error"]["details"]["field"], "file", "{mime}: {v}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM media").await, 0);
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    assert_eq!(upload(zip(2000), xlsx, "sheet.xlsx").await.unwrap().status().as_u16(), 201);
    assert_eq!(upload(ole(2000), "application/vnd.ms-excel", "sheet.xls").await.unwrap().status().as_u16(), 201);
}

/// A 422's problems list is bounded: the first hundred, each cut short, and how many there were.
#[tokio::test]
async fn a_long_list_of_problems_is_capped_with_its_count() {
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, NUMBER).await;
    let template = json!({"name": "note", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hello there."}]});
    let r = app.post(&shop.admin, "/api/v1/templates", template).await;
    assert_eq!(r.status().as_u16(), 201);
    let id = json(r).await["id"].as_str().unwrap().to_owned();
    let long = "x".repeat(400);
    let components: Vec<_> = (0..1500).map(|_| json!({"type": long})).collect();
    let r = app.post(&shop.admin, &format!("/api/v1/templates/{id}/preview"), json!({"components": components})).await;
    assert_eq!(r.status().as_u16(), 422);
    let text = r.text().await.unwrap();
    assert!(text.len() < 64 * 1024, "the error body is {} bytes", text.len());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let details = &v["error"]["details"];
    assert_eq!((details["problemCount"].as_u64(), details["truncated"].as_bool()), (Some(1500), Some(true)), "{details}");
    assert_eq!(details["problems"].as_array().unwrap().len(), 100);
}
