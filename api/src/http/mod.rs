//! The HTTP side: one folder per context (`routes.rs` with its operations, `dto.rs` with its
//! bodies, `mod.rs` with the context's handle and the mapping of its use cases' errors), plus
//! what every route shares: authentication, the error policy, request ids and access logs.
//!
//! Each operation authenticates, parses input into domain types (bad input →
//! `VALIDATION_FAILED` naming the field), runs a use case through the pipeline with its context's
//! handle (`Data<&Arc<…Http>>`, wired once at start-up) and maps the result. Nothing here
//! decides business rules.

pub mod accounts;
pub mod auth;
pub mod billing;
pub mod body;
pub mod console;
pub mod customers;
pub mod error;
pub mod guard;
pub mod inbound;
pub mod inbox;
pub mod json_body;
pub mod listener;
pub mod media;
pub mod messaging;
pub mod middleware;
pub mod ops;
pub mod privacy;
pub mod rate_limit;
pub mod roles;
pub mod team;
pub mod templates;
pub mod tenancy;
pub mod turns;
pub mod webhook_subscriptions;

use poem_openapi::{OpenApiService, Tags};

use application::RequestContext;
use domain::{PhoneNumber, ShopId, WaId};

use error::ApiError;
use middleware::RequestId;

#[derive(Tags)]
pub enum ApiTags {
    /// Tenancy: shops and their API keys (platform admin key).
    Shops,
    /// WhatsApp Business numbers connected to a shop.
    Accounts,
    /// Sending and reading messages; the 24-hour window decides free-form or template.
    Messages,
    /// Conversations and their 24-hour window.
    Conversations,
    /// Customers: the people who write to the shop.
    Customers,
    /// Meta message templates: made, reviewed, synced, previewed.
    Templates,
    /// Files: uploads to send, and customers' files kept from Meta.
    Media,
    /// What Meta charges: the shop's rate card.
    Billing,
    /// The shop's team: members (agents) and departments.
    Team,
}

/// Every context's API, one entry each (poem-openapi implements `OpenApi` for tuples of at most
/// 16, so each context nests its own operations in its `Api`): a new context adds one line here
/// and one in `openapi_service`.
pub type Apis = (
    tenancy::Api,
    accounts::Api,
    messaging::Api,
    customers::Api,
    privacy::Api,
    templates::Api,
    media::Api,
    billing::Api,
    turns::Api,
    webhook_subscriptions::Api,
    team::Api,
    inbox::Api,
);

pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            tenancy::api(),
            accounts::api(),
            messaging::api(),
            customers::api(),
            privacy::api(),
            templates::api(),
            media::api(),
            billing::api(),
            turns::api(),
            webhook_subscriptions::api(),
            team::api(),
            inbox::api(),
        ),
        "whatsapp-service",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "WhatsApp Business messaging on Meta's Cloud API: signed webhooks in, replies out, the 24-hour \
         customer-service window enforced. Errors always have the body \
         `{\"error\": {\"code\", \"message\", \"details\"}}`. Authenticate with `Authorization: Bearer <api key>`.",
    )
    .server("/")
}

/// The OpenAPI 3 document as JSON (what `whatsapp-service openapi` prints and
/// `GET /openapi.json` serves).
pub fn openapi_json() -> String {
    let mut spec: serde_json::Value = serde_json::from_str(&openapi_service().spec()).expect("poem-openapi writes JSON");
    mark_nullable(&mut spec);
    export_formats(&mut spec);
    serde_json::to_string_pretty(&spec).expect("a JSON value serialises")
}

/// The customer export answers CSV or JSON by `format`; poem-openapi gives a response one
/// content type, so the spec says both here.
fn export_formats(spec: &mut serde_json::Value) {
    use serde_json::json;
    let content = &mut spec["paths"]["/api/v1/customers/export"]["get"]["responses"]["200"]["content"];
    if content.is_object() {
        *content = json!({
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/CustomerDto"}}}
        });
    }
}

/// The spec, computed once.
pub fn openapi_json_cached() -> &'static str {
    static SPEC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SPEC.get_or_init(openapi_json)
}

/// Responses carry their optional fields as `null` (one stable set of keys per type), and
/// requests may send `null` for an optional field; poem-openapi declares neither: mark the
/// optional properties without a default `nullable`, and request-only schemas closed.
fn mark_nullable(spec: &mut serde_json::Value) {
    use serde_json::{Value, json};
    use std::collections::BTreeSet;
    fn refs(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref")
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.insert(name.to_owned());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    fn closure(spec: &Value, mut set: BTreeSet<String>) -> BTreeSet<String> {
        loop {
            let mut next = set.clone();
            for name in &set {
                refs(&spec["components"]["schemas"][name], &mut next);
            }
            if next.len() == set.len() {
                return set;
            }
            set = next;
        }
    }
    let (mut req, mut resp) = (BTreeSet::new(), BTreeSet::new());
    if let Some(paths) = spec["paths"].as_object() {
        for ops in paths.values().filter_map(Value::as_object) {
            for op in ops.values() {
                refs(&op["requestBody"], &mut req);
                refs(&op["parameters"], &mut req);
                refs(&op["responses"], &mut resp);
            }
        }
    }
    let (req, resp) = (closure(spec, req), closure(spec, resp));
    let Some(schemas) = spec["components"]["schemas"].as_object_mut() else { return };
    for name in req.iter().chain(resp.iter()) {
        let Some(schema) = schemas.get_mut(name) else { continue };
        // Request bodies refuse unknown fields (`deny_unknown_fields`): say so.
        if req.contains(name) && !resp.contains(name) && schema.get("properties").is_some() {
            schema["additionalProperties"] = Value::Bool(false);
        }
        let required: BTreeSet<String> =
            schema["required"].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default();
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else { continue };
        for (key, prop) in props.iter_mut() {
            // Optional fields are sent as null, and taken as absent when null; a field with a
            // default (`forceTemplate`) is not nullable.
            if required.contains(key) || prop.get("default").is_some() {
                continue;
            }
            if let Some(r) = prop.get("$ref").cloned() {
                let mut wrapped = json!({ "allOf": [{ "$ref": r }], "nullable": true });
                if let Some(d) = prop.get("description") {
                    wrapped["description"] = d.clone();
                }
                *prop = wrapped;
            } else if let Some(m) = prop.as_object_mut() {
                m.insert("nullable".into(), Value::Bool(true));
            }
        }
    }
}

/// A PATCH field: absent → unchanged, null → cleared, a value → set.
pub fn change<T>(v: poem_openapi::types::MaybeUndefined<T>) -> Option<Option<T>> {
    match v {
        poem_openapi::types::MaybeUndefined::Undefined => None,
        poem_openapi::types::MaybeUndefined::Null => Some(None),
        poem_openapi::types::MaybeUndefined::Value(x) => Some(Some(x)),
    }
}

pub fn ctx(rid: &RequestId, shop: Option<ShopId>) -> RequestContext {
    let actor = auth::AUTHENTICATED.try_with(|p| p.actor()).ok();
    RequestContext { request_id: rid.0.clone(), shop_id: shop, actor, member: member() }
}

/// The member the request's key acts for (an `agent` key bound to a member), if any.
pub fn member() -> Option<domain::MemberId> {
    match auth::AUTHENTICATED.try_with(Clone::clone) {
        Ok(auth::Principal::Shop { member_id, .. }) => member_id,
        _ => None,
    }
}

/// Whether the request's key has at least `needed` (after `Authenticator::shop` let it in).
pub fn key_allows(needed: domain::tenancy::Role) -> bool {
    matches!(auth::AUTHENTICATED.try_with(Clone::clone), Ok(auth::Principal::Shop { role, .. }) if role.allows(needed))
}

/// Who sends what this request sends: the member its key acts for, else its API key (the
/// platform key, which no shop owns, as `system:platform`).
pub fn sender() -> domain::messaging::Sender {
    match auth::AUTHENTICATED.try_with(Clone::clone) {
        Ok(auth::Principal::Shop { member_id: Some(m), .. }) => domain::messaging::Sender::Member(m),
        Ok(auth::Principal::Shop { key_id, .. }) => domain::messaging::Sender::ApiKey(key_id),
        _ => domain::messaging::Sender::System("platform".into()),
    }
}

pub fn phone(field: &str, raw: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(raw).map_err(|e| ApiError::validation(field, &e.to_string()))
}

pub fn wa_id(field: &str, raw: &str) -> Result<WaId, ApiError> {
    WaId::parse(raw).map_err(|e| ApiError::validation(field, &e.to_string()))
}

pub fn page(limit: Option<u64>, offset: Option<u64>) -> (u64, u64) {
    (limit.unwrap_or(50), offset.unwrap_or(0))
}

/// The methods a path answers to, for the `Allow` header of a 405 (RFC 9110): the API's from
/// its spec, the rest from the routes wired in `startup.rs`.
pub fn allowed_methods(path: &str) -> Option<String> {
    type Routes = Vec<(Vec<String>, Vec<String>)>;
    static ROUTES: std::sync::OnceLock<Routes> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        let spec: serde_json::Value = serde_json::from_str(openapi_json_cached()).expect("the spec is JSON");
        let mut out: Routes = vec![
            (vec!["webhooks".into(), "whatsapp".into()], vec!["GET".into(), "POST".into()]),
            (vec!["health".into(), "live".into()], vec!["GET".into()]),
            (vec!["health".into(), "ready".into()], vec!["GET".into()]),
            (vec!["metrics".into()], vec!["GET".into()]),
            (vec!["openapi.json".into()], vec!["GET".into()]),
        ];
        for (template, ops) in spec["paths"].as_object().into_iter().flatten() {
            let segs = template.trim_matches('/').split('/').map(str::to_owned).collect();
            let methods = ops.as_object().into_iter().flatten().map(|(m, _)| m.to_uppercase()).collect();
            out.push((segs, methods));
        }
        out
    });
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    routes
        .iter()
        .find(|(t, _)| t.len() == segs.len() && t.iter().zip(&segs).all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b))
        .map(|(_, m)| m.join(", "))
}
