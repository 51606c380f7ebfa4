//! Meta's media endpoints: uploads, a file's description and its download link.

use super::*;

/// Sandbox media ids: digits, as Meta's are, with a prefix no phone number id has.
pub(super) const MEDIA_ID_PREFIX: &str = "990";

impl Sandbox {
    pub(super) fn keep_media(&self, bytes: bytes::Bytes, mime_type: &str) -> (String, String) {
        use sha2::Digest;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let id = format!("{MEDIA_ID_PREFIX}{:013}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
        let file = SandboxMedia { bytes, mime_type: mime_type.to_owned(), sha256: sha256.clone() };
        self.lock().media.insert(id.clone(), file);
        (id, sha256)
    }

    /// `http://host:port/sandbox`, from the webhook URL it was given.
    pub(super) fn base_url(&self) -> String {
        let hook = self.webhook_url.get().cloned().unwrap_or_default();
        format!("{}/sandbox", hook.trim_end_matches("/webhooks/whatsapp"))
    }
}

/// `POST /{phone-number-id}/media` (multipart: `messaging_product`, `type`, `file`): Meta keeps
/// the file and answers its id.
#[handler]
pub(super) async fn upload_media(req: &Request, mut form: poem::web::Multipart, sandbox: Data<&Arc<Sandbox>>) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let (mut file, mut kind, mut product) = (None, None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("file") => {
                let mime = field.content_type().unwrap_or("application/octet-stream").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((b, mime)),
                    Err(_) => return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "the file could not be read"),
                }
            }
            Some("type") => kind = field.text().await.ok(),
            Some("messaging_product") => product = field.text().await.ok(),
            _ => {}
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "messaging_product must be whatsapp");
    }
    let Some((bytes, mime)) = file else { return meta_error(StatusCode::BAD_REQUEST, 100, "Invalid parameter", "file is required") };
    let mime = kind.unwrap_or(mime);
    let (id, _) = sandbox.keep_media(bytes::Bytes::from(bytes), &mime);
    Json(json!({"id": id})).into_response()
}

/// The link `GET /{media-id}` gave: the bytes, to a sandbox token, for 5 minutes.
#[handler]
pub(super) async fn download_media(req: &Request, Path(id): Path<String>, sandbox: Data<&Arc<Sandbox>>) -> Response {
    if let Err(r) = sandbox_token(req) {
        return r;
    }
    let issued = req
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("issued=")))
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    if Utc::now().timestamp() - issued > MEDIA_LINK_LIFETIME.as_secs() as i64 {
        return meta_error(StatusCode::NOT_FOUND, 100, "Invalid parameter", "the media URL has expired");
    }
    let Some(m) = sandbox.lock().media.get(&id).cloned() else {
        return meta_error(StatusCode::NOT_FOUND, 100, "Invalid parameter", "no such media");
    };
    Response::builder().content_type(m.mime_type).body(m.bytes)
}
