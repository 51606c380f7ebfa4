//! The upload gate, before a byte of an upload's body is read: the file memory is reserved from
//! `Content-Length` (no room: 503 with `Retry-After`, at once), and each shop has at most
//! `MEDIA_UPLOADS_PER_SHOP` uploads in flight (more: 429). Without it, a hundred parallel 100 MB
//! uploads were each read and spooled to disk in full before being refused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use application::media::memory::{FileMemory, Held};
use domain::ShopId;

use crate::http::error::ApiError;

pub struct UploadGate {
    memory: FileMemory,
    per_shop: usize,
    in_flight: Arc<Mutex<HashMap<ShopId, usize>>>,
}

/// One admitted upload: its room in the file memory and its place among its shop's uploads,
/// both given back when dropped.
pub struct UploadPass {
    held: Held,
    shop: ShopId,
    in_flight: Arc<Mutex<HashMap<ShopId, usize>>>,
}

impl UploadPass {
    /// The bytes reserved (the body's declared length, so at least the file's).
    pub fn bytes(&self) -> u64 {
        self.held.bytes()
    }
}

impl Drop for UploadPass {
    fn drop(&mut self) {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.shop) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.shop);
            }
        }
    }
}

impl UploadGate {
    pub fn new(memory: FileMemory, per_shop: usize) -> Self {
        Self { memory, per_shop: per_shop.max(1), in_flight: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// Admit an upload of a body of `declared` bytes for `shop`, or refuse it before it is read.
    pub fn admit(&self, shop: ShopId, declared: u64) -> Result<UploadPass, ApiError> {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(shop).or_insert(0);
        if *n >= self.per_shop {
            return Err(ApiError::rate_limited(1));
        }
        let held = self.memory.try_hold(declared).ok_or_else(ApiError::files_busy)?;
        *n += 1;
        Ok(UploadPass { held, shop, in_flight: self.in_flight.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn a_shop_has_its_uploads_in_flight_and_the_memory_is_reserved_before_the_body() {
        let gate = UploadGate::new(FileMemory::new(10 * MB), 2);
        let (a, b) = (ShopId::new(), ShopId::new());
        let first = gate.admit(a, 4 * MB).unwrap();
        let _second = gate.admit(a, MB).unwrap();
        assert!(matches!(gate.admit(a, MB), Err(ApiError::TooManyRequests(..))), "a third upload of one shop waits");
        assert!(matches!(gate.admit(b, 6 * MB), Err(ApiError::Unavailable(..))), "no room: refused before its body");
        let _b = gate.admit(b, 5 * MB).unwrap();
        drop(first);
        assert!(gate.admit(a, MB).is_ok(), "a finished upload gives its place and its room back");
    }
}
