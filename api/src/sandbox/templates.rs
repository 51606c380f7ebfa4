//! Message templates: submitted, reviewed by webhook, listed page by page, edited, deleted;
//! and the controls that play Meta pausing or rating one.

use super::*;

/// `POST /{waba-id}/message_templates`: PENDING now; APPROVED (or REJECTED for a name with
/// `reject`) after the status delay, by webhook.
#[handler]
pub(super) async fn create_template(
    req: &Request,
    Path((_version, waba)): Path<(String, String)>,
    body: Json<Value>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let (name, language) = (body["name"].as_str().unwrap_or(""), body["language"].as_str().unwrap_or(""));
    if name.is_empty() || language.is_empty() || !body["components"].is_array() {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "name, language and components are required");
    }
    let id = {
        let mut st = sandbox.lock();
        let list = st.templates.entry(waba.clone()).or_default();
        if list.iter().any(|t| t["name"] == json!(name) && t["language"] == json!(language)) {
            let mut r = Json(json!({"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                "error_subcode": 2388024, "error_user_title": "Message template already exists",
                "error_user_msg": "There is already English (US) content for this template.", "fbtrace_id": "SandboxTrace"}}))
            .into_response();
            r.set_status(StatusCode::BAD_REQUEST);
            return r;
        }
        st.next_template_id += 1;
        let id = (1_000_000_000_000_000u64 + st.next_template_id).to_string();
        let mut t = body.0.clone();
        t["id"] = json!(id);
        t["status"] = json!("PENDING");
        t["category"] = json!(body["category"].as_str().unwrap_or("UTILITY").to_ascii_uppercase());
        st.templates.entry(waba.clone()).or_default().push(t);
        id
    };
    let (review, reason) = if name.contains("reject") { ("REJECTED", "INVALID_FORMAT") } else { ("APPROVED", "NONE") };
    let sb = sandbox.0.clone();
    let (id2, wait) = (id.clone(), sandbox.status_delay);
    tokio::spawn(async move {
        tokio::time::sleep(wait).await;
        if let Some(payload) = sb.template_status(&id2, review, reason) {
            sb.deliver_until_acknowledged(&payload).await;
        }
    });
    let category = body["category"].as_str().unwrap_or("UTILITY").to_ascii_uppercase();
    Json(json!({"id": id, "status": "PENDING", "category": category})).into_response()
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<usize>,
    after: Option<String>,
}

/// `GET /{waba-id}/message_templates`: pages of `limit` (default 25, at most 100), with
/// `paging.cursors.after` and `paging.next` while more follow.
#[handler]
pub(super) async fn list_templates(
    req: &Request,
    Path((_version, waba)): Path<(String, String)>,
    poem::web::Query(p): poem::web::Query<ListParams>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let limit = p.limit.unwrap_or(25).clamp(1, 100);
    let start: usize = p.after.as_deref().and_then(|a| a.strip_prefix("c-")).and_then(|n| n.parse().ok()).unwrap_or(0);
    let st = sandbox.lock();
    let all = st.templates.get(&waba).map_or(&[][..], Vec::as_slice);
    let page: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let end = start + page.len();
    let mut paging = json!({"cursors": {"before": format!("c-{start}"), "after": format!("c-{end}")}});
    if end < all.len() {
        paging["next"] = json!(format!("sandbox://{waba}/message_templates?after=c-{end}"));
    }
    Json(json!({"data": page, "paging": paging})).into_response()
}

#[derive(Deserialize)]
struct DeleteParams {
    name: Option<String>,
    hsm_id: Option<String>,
}

/// `DELETE /{waba-id}/message_templates?name=…[&hsm_id=…]`.
#[handler]
pub(super) async fn delete_template(
    req: &Request,
    Path((_version, waba)): Path<(String, String)>,
    poem::web::Query(p): poem::web::Query<DeleteParams>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let mut st = sandbox.lock();
    let list = st.templates.entry(waba).or_default();
    let before = list.len();
    list.retain(|t| {
        !(Some(t["name"].as_str().unwrap_or("")) == p.name.as_deref() && p.hsm_id.as_deref().is_none_or(|h| t["id"] == json!(h)))
    });
    if list.len() == before {
        return meta_error(StatusCode::NOT_FOUND, 100, "Template not found", "no template with this name (and id) on this WABA");
    }
    Json(json!({"success": true})).into_response()
}

/// `POST /sandbox/templates/{id}/status` `{"status": "PAUSED", "reason": "…"}`: Meta changing a
/// template's status (a pause for low quality, a disable, an approval after appeal).
#[handler]
pub(super) async fn set_template_status(Path(id): Path<String>, body: Json<Value>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    let status = body["status"].as_str().unwrap_or("").to_ascii_uppercase();
    if !["APPROVED", "REJECTED", "PAUSED", "DISABLED", "IN_APPEAL", "PENDING"].contains(&status.as_str()) {
        let mut r = Json(json!({"error": "status must be APPROVED, REJECTED, PAUSED, DISABLED, IN_APPEAL or PENDING"})).into_response();
        r.set_status(StatusCode::BAD_REQUEST);
        return r;
    }
    let reason = body["reason"].as_str().unwrap_or("NONE").to_owned();
    let Some(payload) = sandbox.template_status(&id, &status, &reason) else {
        let mut r = Json(json!({"error": "no such template"})).into_response();
        r.set_status(StatusCode::NOT_FOUND);
        return r;
    };
    delivered(sandbox.deliver(&payload).await)
}

/// `POST /sandbox/templates/{id}/quality` `{"score": "GREEN"|"YELLOW"|"RED"}`: Meta rating a
/// template from its recipients' feedback.
#[handler]
pub(super) async fn set_template_quality(Path(id): Path<String>, body: Json<Value>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    let score = body["score"].as_str().unwrap_or("").to_ascii_uppercase();
    if !["GREEN", "YELLOW", "RED", "UNKNOWN"].contains(&score.as_str()) {
        let mut r = Json(json!({"error": "score must be GREEN, YELLOW, RED or UNKNOWN"})).into_response();
        r.set_status(StatusCode::BAD_REQUEST);
        return r;
    }
    let Some(payload) = sandbox.template_quality(&id, &score) else {
        let mut r = Json(json!({"error": "no such template"})).into_response();
        r.set_status(StatusCode::NOT_FOUND);
        return r;
    };
    delivered(sandbox.deliver(&payload).await)
}

/// `POST /{template-id}`: new components (and category) for a template; it is PENDING review
/// again, and approved (or rejected) after the status delay, by webhook.
#[handler]
pub(super) async fn edit_template(
    req: &Request,
    Path((_version, id)): Path<(String, String)>,
    body: Json<Value>,
    sandbox: Data<&Arc<Sandbox>>,
) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let name = {
        let mut st = sandbox.lock();
        let Some(t) = st.templates.values_mut().flat_map(|l| l.iter_mut()).find(|t| t["id"] == json!(id)) else {
            return meta_error(StatusCode::NOT_FOUND, 100, "Unsupported post request", "no template with this id");
        };
        if let Some(c) = body.get("components") {
            t["components"] = c.clone();
        }
        if let Some(c) = body.get("category") {
            t["category"] = c.clone();
        }
        t["status"] = json!("PENDING");
        t["name"].as_str().unwrap_or("").to_owned()
    };
    let (review, reason) = if name.contains("reject") { ("REJECTED", "INVALID_FORMAT") } else { ("APPROVED", "NONE") };
    let sb = sandbox.0.clone();
    tokio::spawn(async move {
        tokio::time::sleep(sb.status_delay).await;
        if let Some(payload) = sb.template_status(&id, review, reason) {
            sb.deliver_until_acknowledged(&payload).await;
        }
    });
    Json(json!({"success": true})).into_response()
}

impl Sandbox {
    /// Set a template's status and tell the service, as Meta's review (or its quality checks) do.
    pub(super) fn template_status(&self, template_id: &str, status: &str, reason: &str) -> Option<Value> {
        let mut st = self.lock();
        let (waba, t) = st
            .templates
            .iter_mut()
            .find_map(|(w, list)| list.iter_mut().find(|t| t["id"] == json!(template_id)).map(|t| (w.clone(), t)))?;
        t["status"] = json!(status);
        if status == "REJECTED" {
            t["rejected_reason"] = json!(reason);
        }
        let value = json!({"event": status, "message_template_id": template_id.parse::<u64>().unwrap_or(0),
            "message_template_name": t["name"], "message_template_language": t["language"], "reason": reason});
        Some(json!({"object": "whatsapp_business_account", "entry": [{"id": waba, "time": Utc::now().timestamp(),
            "changes": [{"field": "message_template_status_update", "value": value}]}]}))
    }

    /// Set a template's quality score and tell the service (`message_template_quality_update`).
    pub(super) fn template_quality(&self, template_id: &str, score: &str) -> Option<Value> {
        let mut st = self.lock();
        let (waba, t) = st
            .templates
            .iter_mut()
            .find_map(|(w, list)| list.iter_mut().find(|t| t["id"] == json!(template_id)).map(|t| (w.clone(), t)))?;
        let previous = t["quality_score"]["score"].as_str().unwrap_or("UNKNOWN").to_owned();
        t["quality_score"] = json!({"score": score, "date": Utc::now().timestamp()});
        let value = json!({"previous_quality_score": previous, "new_quality_score": score,
            "message_template_id": template_id.parse::<u64>().unwrap_or(0), "message_template_name": t["name"],
            "message_template_language": t["language"]});
        Some(json!({"object": "whatsapp_business_account", "entry": [{"id": waba, "time": Utc::now().timestamp(),
            "changes": [{"field": "message_template_quality_update", "value": value}]}]}))
    }
}
