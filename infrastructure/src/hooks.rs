//! Merchant webhooks over HTTP: each delivery is posted with the Standard Webhooks 1.0 headers
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` per signing secret, HMAC-
//! SHA256 over `id.timestamp.body` with the secret's base64-decoded bytes after `whsec_`).
//! Names are resolved by our own resolver, which drops every address a webhook may not reach
//! (`domain::webhook_subscriptions::forbidden_ip`) at connect time, so a name that resolves to
//! 169.254.169.254 or 10.x (DNS rebinding) is refused however it was checked when it was saved.
//! No redirects are followed; each request has a short timeout, so a dead receiver holds only
//! its own deliveries.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::KeyInit;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use application::shared::ports::Secret;
use application::webhook_subscriptions::ports::{HookSendError, HookSender};
use domain::webhook_subscriptions::forbidden_ip;

/// The Standard Webhooks signature of one delivery with one secret (`whsec_…`): `v1,<base64>`.
pub fn standard_signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

#[derive(Debug)]
struct ForbiddenAddress;

impl std::fmt::Display for ForbiddenAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the host resolves only to addresses a webhook may not reach")
    }
}
impl std::error::Error for ForbiddenAddress {}

/// Resolves with the system's resolver and keeps only the addresses a webhook may reach.
struct PublicOnly {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !forbidden_ip(a.ip()) || (allow_loopback && a.ip().is_loopback())).collect();
            if ok.is_empty() {
                return Err(Box::new(ForbiddenAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(ok.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

pub struct HookClient {
    http: reqwest::Client,
}

impl HookClient {
    /// `allow_loopback`: the sandbox (its own receiver is on loopback).
    pub fn new(timeout: Duration, allow_loopback: bool) -> Self {
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(PublicOnly { allow_loopback }))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .pool_max_idle_per_host(8)
            .user_agent(concat!("whatsapp-service-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the webhook client's settings are static");
        Self { http }
    }
}

fn refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<ForbiddenAddress>() {
            return true;
        }
        source = s.source();
    }
    false
}

#[async_trait]
impl HookSender for HookClient {
    async fn send(&self, url: &str, id: &str, timestamp: i64, body: &[u8], secrets: &[Secret]) -> Result<u16, HookSendError> {
        let signatures: Vec<String> = secrets.iter().filter_map(|s| standard_signature(s.expose(), id, timestamp, body)).collect();
        let r = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(body.to_vec())
            .send()
            .await;
        match r {
            Ok(resp) if resp.status().is_success() => Ok(resp.status().as_u16()),
            Ok(resp) => Err(HookSendError::Status(resp.status().as_u16())),
            Err(e) if refused(&e) => Err(HookSendError::RefusedAddress),
            Err(e) if e.is_timeout() => Err(HookSendError::Timeout),
            Err(_) => Err(HookSendError::Connect),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name that resolves to a forbidden address (here `localhost`, as DNS rebinding would make
    /// any name) is refused when the client connects, whatever was checked when it was saved.
    #[tokio::test]
    async fn a_name_resolving_to_a_forbidden_address_is_refused_at_connect_time() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = HookClient::new(Duration::from_secs(2), false);
        let r = client.send("https://localhost:9/hooks", "msg_1", 1, b"{}", &[Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]).await;
        assert_eq!(r, Err(HookSendError::RefusedAddress));
    }

    #[test]
    fn the_signature_is_the_standard_webhooks_one() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }
}
