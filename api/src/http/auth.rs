//! Authentication (bearer API keys) and role checks. Shop keys are looked up by their SHA-256
//! (the `Authenticate` query); the platform `ADMIN_API_KEY` is compared in constant time.

use poem_openapi::{SecurityScheme, auth::Bearer};
use subtle::ConstantTimeEq;

use application::Pipeline;
use application::RequestContext;
use application::shared::ports::Secret;
use application::tenancy::authenticate::{Authenticate, AuthenticateError, AuthenticateHandler};
use domain::ShopId;
use domain::tenancy::Role;

use super::error::ApiError;

/// `Authorization: Bearer <api key>`: a shop key (`wsk_…`) or the platform admin key.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub struct ApiKeyAuth(pub Bearer);

#[derive(Debug, Clone, Copy)]
pub enum Principal {
    Platform,
    Shop { shop_id: ShopId, role: Role, key_id: domain::ApiKeyId, member_id: Option<domain::MemberId> },
}

impl Principal {
    /// How the audit log names the caller.
    pub fn actor(&self) -> String {
        match self {
            Principal::Platform => "platform".to_owned(),
            Principal::Shop { key_id, .. } => format!("api-key:{key_id}"),
        }
    }
}

/// Constant-time equality (the length is not secret).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

tokio::task_local! {
    /// The principal the front door (`guard.rs`) resolved for this request.
    pub static AUTHENTICATED: Principal;
}

/// Who is calling: wired once, shared by every route.
pub struct Authenticator {
    pub pipeline: Pipeline,
    pub authenticate: AuthenticateHandler,
    pub admin_key: Secret,
}

impl Authenticator {
    /// Who sent `auth`: resolved once per request by the front door (`guard.rs`), or here.
    pub async fn principal(&self, auth: &ApiKeyAuth) -> Result<Principal, ApiError> {
        if let Ok(p) = AUTHENTICATED.try_with(|p| *p) {
            return Ok(p);
        }
        self.resolve(auth.0.token.trim()).await
    }

    /// Look a key up: the platform key, or a shop key by its hash. No side effects.
    pub async fn resolve(&self, key: &str) -> Result<Principal, ApiError> {
        if constant_time_eq(key, self.admin_key.expose()) {
            return Ok(Principal::Platform);
        }
        let ctx = RequestContext { request_id: super::error::current_request_id(), shop_id: None, actor: None, member: None };
        match self.pipeline.query(&ctx, &self.authenticate, Authenticate { key: Secret::new(key) }).await {
            Ok(k) => Ok(Principal::Shop { shop_id: k.shop_id, role: k.role, key_id: k.id, member_id: k.member_id }),
            Err(AuthenticateError::UnknownKey | AuthenticateError::Invalid(_)) => {
                Err(ApiError::unauthorized("Unknown or revoked API key."))
            }
            Err(AuthenticateError::Storage(e)) => Err(e.into()),
        }
    }

    /// A shop key with at least `needed`; the platform key is not a shop.
    pub async fn shop(&self, auth: &ApiKeyAuth, needed: Role) -> Result<ShopId, ApiError> {
        match self.principal(auth).await? {
            Principal::Platform => Err(ApiError::forbidden("This endpoint needs a shop API key, not the platform admin key.")),
            Principal::Shop { shop_id, role, .. } if role.allows(needed) => Ok(shop_id),
            Principal::Shop { role, .. } => {
                Err(ApiError::forbidden(&format!("A {} key cannot do this; it needs the {} role.", role.as_str(), needed.as_str())))
            }
        }
    }

    /// A shop key with at least `needed`, and who holds it (`api-key:<id>`), for the consent
    /// ledger and the audit log.
    pub async fn shop_actor(&self, auth: &ApiKeyAuth, needed: Role) -> Result<(ShopId, String), ApiError> {
        let shop = self.shop(auth, needed).await?;
        match self.principal(auth).await? {
            Principal::Shop { key_id, .. } => Ok((shop, format!("api-key:{key_id}"))),
            Principal::Platform => Err(ApiError::forbidden("This endpoint needs a shop API key, not the platform admin key.")),
        }
    }

    /// The platform key, or a key of `shop` with at least `needed`.
    pub async fn platform_or_shop(&self, auth: &ApiKeyAuth, shop: ShopId, needed: Role) -> Result<(), ApiError> {
        match self.principal(auth).await? {
            Principal::Platform => Ok(()),
            Principal::Shop { shop_id, role, .. } if shop_id == shop && role.allows(needed) => Ok(()),
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
