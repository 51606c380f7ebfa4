//! `/{media-id}`, the download link, and `POST /{phone-number-id}/media`: the media context's port.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::client::{CloudApiClient, TRANSFER_TIMEOUT, meta_error, stall_error, transport_error, url_escape};
use application::media::ports::{MediaApi, MetaMedia};
use application::shared::meta::CloudApiError;
use application::shared::ports::Secret;

/// Meta's media endpoints: one attempt each (the fetch job owns retries).
#[async_trait]
impl MediaApi for CloudApiClient {
    async fn media(&self, meta_media_id: &str, token: &Secret) -> Result<MetaMedia, CloudApiError> {
        let v = self.graph(reqwest::Method::GET, &url_escape(meta_media_id), token, None).await?;
        let url = v.get("url").and_then(Value::as_str).unwrap_or_default().to_owned();
        if url.is_empty() {
            return Err(meta_error(502, &json!({"error": {"message": "Meta described the media without a url"}}), 1));
        }
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Ok(MetaMedia {
            url,
            mime_type: text("mime_type"),
            sha256: text("sha256"),
            file_size: v.get("file_size").and_then(|s| s.as_u64().or_else(|| s.as_str().and_then(|s| s.parse().ok()))),
        })
    }

    async fn download(&self, url: &str, token: &Secret, max_bytes: u64) -> Result<bytes::Bytes, CloudApiError> {
        let unreachable = |e: reqwest::Error| transport_error(&e, "the media could not be downloaded");
        // The whole download may take TRANSFER_TIMEOUT; the answer and each chunk must come within
        // a call's timeout (a stalled CDN fails fast, a large file on a slow link does not).
        let stalled = |what: &str| stall_error(self.stall, what);
        let request = self.http.get(url).bearer_auth(token.expose()).timeout(TRANSFER_TIMEOUT).send();
        let mut resp = tokio::time::timeout(self.stall, request).await.map_err(|_| stalled("an answer"))?.map_err(unreachable)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            return Err(meta_error(status, &body, 1));
        }
        let too_large = || meta_error(413, &json!({"error": {"message": format!("the media is larger than {max_bytes} bytes")}}), 1);
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > max_bytes) {
            return Err(too_large());
        }
        // Sized once from the declared length: growing by doubling would hold up to twice the file.
        let mut out = bytes::BytesMut::with_capacity(declared.unwrap_or(0) as usize);
        while let Some(chunk) =
            tokio::time::timeout(self.stall, resp.chunk()).await.map_err(|_| stalled("the next chunk"))?.map_err(unreachable)?
        {
            if (out.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large());
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    async fn upload(
        &self,
        phone_number_id: &str,
        token: &Secret,
        bytes: bytes::Bytes,
        mime_type: &str,
        filename: Option<&str>,
    ) -> Result<String, CloudApiError> {
        let url = format!("{}/{}/{}/media", self.base_url, self.version, url_escape(phone_number_id));
        let part = reqwest::multipart::Part::stream_with_length(reqwest::Body::from(bytes.clone()), bytes.len() as u64)
            .file_name(filename.unwrap_or("file").to_owned())
            .mime_str(mime_type)
            .map_err(|e| meta_error(400, &json!({"error": {"message": e.to_string()}}), 1))?;
        let form =
            reqwest::multipart::Form::new().text("messaging_product", "whatsapp").text("type", mime_type.to_owned()).part("file", part);
        let resp = self
            .http
            .post(&url)
            .bearer_auth(token.expose())
            .multipart(form)
            .timeout(TRANSFER_TIMEOUT)
            .send()
            .await
            .map_err(|e| transport_error(&e, "the Cloud API could not be reached"))?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            return Err(meta_error(status, &body, 1));
        }
        body.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| meta_error(502, &json!({"error": {"message": "Meta accepted the media without an id"}}), 1))
    }
}

/// Downloads over a real socket from a CDN that sends its body slowly (wiremock answers at
/// once, so it cannot show the difference between a slow link and a stalled one).
#[cfg(test)]
mod tests {
    use super::*;
    use application::shared::meta::CloudApiErrorKind;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A CDN that declares `declared` bytes and sends `chunks`, waiting `gaps[i]` before each.
    async fn cdn(declared: usize, chunks: Vec<Vec<u8>>, gaps: Vec<Duration>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = sock.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: {declared}\r\n\r\n");
            sock.write_all(answer.as_bytes()).await.unwrap();
            for (chunk, gap) in chunks.into_iter().zip(gaps) {
                tokio::time::sleep(gap).await;
                if sock.write_all(&chunk).await.is_err() {
                    return;
                }
                let _ = sock.flush().await;
            }
            // Hold the connection open a while: a stalled CDN does not hang up.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        format!("http://{addr}/cdn/file")
    }

    fn client(call_timeout: Duration) -> CloudApiClient {
        let _ = rustls::crypto::ring::default_provider().install_default();
        CloudApiClient::new("http://127.0.0.1:9", "v24.0", call_timeout, Duration::ZERO)
    }

    #[tokio::test]
    async fn a_file_on_a_slow_link_arrives_whole_though_it_takes_longer_than_a_call() {
        // 6 chunks, 200 ms apart: 1.2 s in all against a call timeout of 500 ms.
        let chunks: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 10_000]).collect();
        let whole = chunks.concat();
        let url = cdn(whole.len(), chunks, vec![Duration::from_millis(200); 6]).await;
        let got = client(Duration::from_millis(500)).download(&url, &Secret::new("tok"), 1_000_000).await.expect("downloaded");
        assert_eq!(got.to_vec(), whole);
    }

    #[tokio::test]
    async fn a_download_that_stalls_mid_file_fails_as_a_stall_with_an_unknown_outcome() {
        // The first chunk at once, then nothing for 3 s, against a call timeout of 300 ms.
        let chunks = vec![vec![1u8; 1000], vec![2u8; 1000]];
        let url = cdn(2000, chunks, vec![Duration::ZERO, Duration::from_secs(3)]).await;
        let e = client(Duration::from_millis(300)).download(&url, &Secret::new("tok"), 1_000_000).await.unwrap_err();
        assert_eq!(e.kind, CloudApiErrorKind::OutcomeUnknown);
        assert_eq!(e.details.as_deref(), Some("no the next chunk within 300 ms"));
    }

    #[tokio::test]
    async fn a_download_declared_larger_than_allowed_is_refused_before_its_body_is_read() {
        // The body would come only after 3 s, past the 1 s stall guard: reading it would fail
        // as a stall, so a 413 shows that the declared length alone decided.
        let url = cdn(5000, vec![vec![0u8; 5000]], vec![Duration::from_secs(3)]).await;
        let e = client(Duration::from_secs(1)).download(&url, &Secret::new("tok"), 4000).await.unwrap_err();
        assert_eq!(e.http_status, Some(413));
        assert_eq!(e.title, "the media is larger than 4000 bytes");
    }
}
