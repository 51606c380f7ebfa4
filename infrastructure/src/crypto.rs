//! Secrets at rest (AES-256-GCM) and Meta's webhook signature (HMAC-SHA256).

use aes_gcm::aead::{Aead, Generate, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use application::shared::ports::{CipherError, Secret, SecretCipher};

const VERSION: &str = "v1:";

/// AES-256-GCM with a random 96-bit nonce per value. Stored as `v1:` + base64(nonce ‖ ciphertext ‖ tag).
pub struct AesGcmCipher {
    cipher: Aes256Gcm,
}

impl AesGcmCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        Self { cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key)) }
    }
}

fn fail(why: &str) -> CipherError {
    CipherError(why.to_owned())
}

impl SecretCipher for AesGcmCipher {
    fn encrypt(&self, plaintext: &Secret) -> Result<String, CipherError> {
        let nonce = Nonce::generate();
        let ct = self.cipher.encrypt(&nonce, plaintext.expose().as_bytes()).map_err(|_| fail("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{VERSION}{}", B64.encode(out)))
    }

    fn decrypt(&self, ciphertext: &str) -> Result<Secret, CipherError> {
        let raw = ciphertext.strip_prefix(VERSION).ok_or_else(|| fail("unknown secret format"))?;
        let bytes = B64.decode(raw).map_err(|_| fail("secret is not base64"))?;
        if bytes.len() < 12 + 16 {
            return Err(fail("secret is too short"));
        }
        let (nonce, ct) = bytes.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| fail("bad nonce"))?;
        let pt = self.cipher.decrypt(&nonce, ct).map_err(|_| fail("secret does not decrypt with this ENCRYPTION_KEY"))?;
        String::from_utf8(pt).map(Secret::new).map_err(|_| fail("secret is not UTF-8"))
    }
}

type HmacSha256 = Hmac<Sha256>;

/// Keyed pseudonyms of erased customers' numbers: `0` and 14 digits of HMAC-SHA256(key, shop ‖
/// waId). No real WhatsApp id starts with 0, the same number in the same shop always gives the
/// same pseudonym (so a later opt-out check recognises it), and without the key it cannot be
/// reversed by trying every number. The key is derived from `ENCRYPTION_KEY`.
#[derive(Clone)]
pub struct Pseudonymizer {
    key: [u8; 32],
}

impl Pseudonymizer {
    pub fn new(encryption_key: &[u8; 32]) -> Self {
        let mut mac = HmacSha256::new_from_slice(encryption_key).expect("HMAC takes any key length");
        mac.update(b"whatsapp-service/wa-id-pseudonym/v1");
        Self { key: mac.finalize().into_bytes().into() }
    }

    pub fn wa_id(&self, shop: domain::ShopId, wa_id: &domain::WaId) -> domain::WaId {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(shop.as_uuid().as_bytes());
        mac.update(wa_id.as_str().as_bytes());
        let bytes = mac.finalize().into_bytes();
        let n = u128::from_be_bytes(bytes[..16].try_into().unwrap_or([0; 16])) % 100_000_000_000_000;
        domain::WaId::parse(&format!("0{n:014}")).expect("15 digits")
    }
}

/// `sha256=<hex>` of the body, as Meta computes `X-Hub-Signature-256`.
pub fn sign_webhook(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks `X-Hub-Signature-256` over the raw bytes, in constant time.
pub fn verify_webhook_signature(app_secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    parse_signature_header(header).is_some_and(|sig| verify_signature(app_secret, body, &sig))
}

/// The 32 bytes of a well-formed `X-Hub-Signature-256` (`sha256=` and 64 hex digits), before
/// any body is read: a request without one is refused at once.
pub fn parse_signature_header(header: Option<&str>) -> Option<[u8; 32]> {
    let hex_sig = header?.trim().strip_prefix("sha256=")?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_sig, &mut out).ok()?;
    Some(out)
}

/// HMAC-SHA256 of the raw body, compared in constant time.
pub fn verify_signature(app_secret: &[u8], body: &[u8], sig: &[u8; 32]) -> bool {
    let mut mac = HmacSha256::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_keyed_and_never_a_real_number() {
        let (a, b) = (Pseudonymizer::new(&[1; 32]), Pseudonymizer::new(&[2; 32]));
        let shop = domain::ShopId::new();
        let wa = domain::WaId::parse("5511987654321").unwrap();
        assert_eq!(a.wa_id(shop, &wa), a.wa_id(shop, &wa));
        assert_ne!(a.wa_id(shop, &wa), b.wa_id(shop, &wa), "keyed");
        assert_ne!(a.wa_id(shop, &wa), a.wa_id(domain::ShopId::new(), &wa), "per shop");
        let p = a.wa_id(shop, &wa);
        assert!(p.as_str().starts_with('0') && p.as_str().len() == 15, "{p}");
    }

    #[test]
    fn round_trip_and_random_nonce() {
        let c = AesGcmCipher::new(&[7u8; 32]);
        let a = c.encrypt(&Secret::new("EAAG-token")).unwrap();
        let b = c.encrypt(&Secret::new("EAAG-token")).unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("EAAG"));
        assert_eq!(c.decrypt(&a).unwrap().expose(), "EAAG-token");
    }

    #[test]
    fn wrong_key_or_tampering_fails() {
        let a = AesGcmCipher::new(&[7u8; 32]).encrypt(&Secret::new("t")).unwrap();
        assert!(AesGcmCipher::new(&[8u8; 32]).decrypt(&a).is_err());
        let mut bytes = B64.decode(&a[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1:{}", B64.encode(bytes));
        assert!(AesGcmCipher::new(&[7u8; 32]).decrypt(&tampered).is_err());
    }

    #[test]
    fn signature_matches_known_vector_and_rejects_others() {
        // echo -n '{"a":1}' | openssl dgst -sha256 -hmac secret
        let body = br#"{"a":1}"#;
        let sig = sign_webhook(b"secret", body);
        assert!(verify_webhook_signature(b"secret", body, Some(&sig)));
        assert!(!verify_webhook_signature(b"other", body, Some(&sig)));
        assert!(!verify_webhook_signature(b"secret", br#"{"a":2}"#, Some(&sig)));
        assert!(!verify_webhook_signature(b"secret", body, None));
        assert!(!verify_webhook_signature(b"secret", body, Some("sha256=zz")));
        assert!(!verify_webhook_signature(b"secret", body, Some(&sig.replace("sha256=", "sha1="))));
    }
}
