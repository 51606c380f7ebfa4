//! Authenticate: which shop key is this (by its hash), if any.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::create_api_key::hash_api_key;
use super::ports::{AuthenticatedKey, TenancyReads};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::ports::Secret;
use crate::shared::repo::RepoError;

#[derive(Validate)]
pub struct Authenticate {
    pub key: Secret,
}

impl fmt::Debug for Authenticate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authenticate { key: *** }")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("unknown or revoked API key")]
    UnknownKey,
    #[error("could not look the key up")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(AuthenticateError);

impl Query for Authenticate {
    type Output = AuthenticatedKey;
    type Error = AuthenticateError;
    const NAME: &'static str = "Authenticate";
}

pub struct AuthenticateHandler {
    pub reads: Arc<dyn TenancyReads>,
}

#[async_trait]
impl QueryHandler<Authenticate> for AuthenticateHandler {
    async fn handle(&self, q: &Authenticate) -> Result<AuthenticatedKey, AuthenticateError> {
        let key = q.key.expose().trim();
        if key.is_empty() {
            return Err(AuthenticateError::UnknownKey);
        }
        self.reads.api_key_by_hash(&hash_api_key(key)).await?.ok_or(AuthenticateError::UnknownKey)
    }
}
