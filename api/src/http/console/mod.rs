//! The inbox console (`GET /console`): a small static page on the public API, embedded in the
//! binary, for a newcomer or a merchant trying the product. A shop key typed into the page stays
//! in the tab's session storage; the page calls `/api/v1` with it, follows `/api/v1/stream`, and,
//! in sandbox mode, plays the customer through `/sandbox/customers/messages`. Not part of
//! `/api/v1` and not in the OpenAPI document.

use poem::http::{StatusCode, header};
use poem::{Endpoint, EndpointExt, Response, Route, get, handler};

const INDEX: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");

/// The page may load only itself and talk only to its own origin; nothing may frame it.
const POLICY: &str =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(body: &'static str, content_type: &'static str) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONTENT_SECURITY_POLICY, POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .body(body)
}

#[handler]
fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

#[handler]
fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

#[handler]
fn style() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}

/// `/console` (the page), `/console/console.js` and `/console/console.css`.
pub fn routes() -> impl Endpoint<Output = Response> {
    Route::new().at("/", get(index)).at("/console.js", get(script)).at("/console.css", get(style)).map_to_response()
}
