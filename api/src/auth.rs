//! Authentication (bearer API keys) and role checks. Keys are stored as SHA-256 hashes; the
//! platform `ADMIN_API_KEY` is compared in constant time.

use poem_openapi::{SecurityScheme, auth::Bearer};
use subtle::ConstantTimeEq;

use application::shops::hash_api_key;
use domain::ShopId;
use domain::shop::Role;

use crate::error::ApiError;
use crate::state::AppState;

/// `Authorization: Bearer <api key>`: a shop key (`wsk_…`) or the platform admin key.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct ApiKeyAuth(pub Bearer);

#[derive(Debug, Clone, Copy)]
pub enum Principal {
    Platform,
    Shop { shop_id: ShopId, role: Role },
}

/// Constant-time equality (the length is not secret).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl AppState {
    pub async fn principal(&self, auth: &ApiKeyAuth) -> Result<Principal, ApiError> {
        let key = auth.0.token.trim();
        if constant_time_eq(key, self.config.admin_api_key.expose()) {
            return Ok(Principal::Platform);
        }
        let found = self.reads.api_key_by_hash(&hash_api_key(key)).await.map_err(application::AppError::from)?;
        let k = found.ok_or_else(|| ApiError::unauthorized("Unknown or revoked API key."))?;
        self.rate_limiter.check(k.shop_id).map_err(ApiError::rate_limited)?;
        Ok(Principal::Shop { shop_id: k.shop_id, role: k.role })
    }

    /// A shop key with at least `needed`; the platform key is not a shop.
    pub async fn shop_principal(&self, auth: &ApiKeyAuth, needed: Role) -> Result<ShopId, ApiError> {
        match self.principal(auth).await? {
            Principal::Platform => Err(ApiError::forbidden("This endpoint needs a shop API key, not the platform admin key.")),
            Principal::Shop { shop_id, role } if role.allows(needed) => Ok(shop_id),
            Principal::Shop { role, .. } => {
                Err(ApiError::forbidden(&format!("A {} key cannot do this; it needs the {} role.", role.as_str(), needed.as_str())))
            }
        }
    }

    /// The platform key, or a key of `shop` with at least `needed`.
    pub async fn platform_or_shop(&self, auth: &ApiKeyAuth, shop: ShopId, needed: Role) -> Result<(), ApiError> {
        match self.principal(auth).await? {
            Principal::Platform => Ok(()),
            Principal::Shop { shop_id, role } if shop_id == shop && role.allows(needed) => Ok(()),
            // Another shop's key learns nothing about this shop.
            Principal::Shop { shop_id, .. } if shop_id != shop => Err(ApiError::not_found("shop")),
            Principal::Shop { .. } => Err(ApiError::forbidden(&format!("This needs the {} role.", needed.as_str()))),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ct_eq_works() {
        assert!(super::constant_time_eq("abc", "abc"));
        assert!(!super::constant_time_eq("abc", "abd"));
        assert!(!super::constant_time_eq("abc", "abcd"));
    }
}
