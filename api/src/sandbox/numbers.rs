//! `GET /{phone-number-id}` (and `GET /{media-id}`, the same path): what Meta says about a number.

use super::media::MEDIA_ID_PREFIX;
use super::*;

/// `GET /{phone-number-id}`: the sandbox knows every number, for its own test tokens only
/// (`EAAG…`, as in the README); any other token is refused as Meta refuses a wrong one.
/// `GET /{media-id}` is the same path: a file the sandbox keeps is described as Meta does.
#[handler]
pub(super) async fn graph_number(req: &Request, Path((_version, pnid)): Path<(String, String)>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    let token = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
    if !token.starts_with("EAAG") {
        return meta_error(StatusCode::UNAUTHORIZED, 190, "Invalid OAuth access token.", "not a sandbox test token (they start with EAAG)");
    }
    if let Some(m) = sandbox.lock().media.get(&pnid).cloned() {
        let url = format!("{}/media/{pnid}/download?issued={}", sandbox.base_url(), Utc::now().timestamp());
        return Json(json!({
            "messaging_product": "whatsapp", "url": url, "mime_type": m.mime_type, "sha256": m.sha256,
            "file_size": m.bytes.len(), "id": pnid,
        }))
        .into_response();
    }
    if pnid.starts_with(MEDIA_ID_PREFIX) {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "no such media (deleted, or never uploaded)");
    }
    Json(json!({"id": pnid, "verified_name": "Sandbox Business", "quality_rating": "GREEN"})).into_response()
}
