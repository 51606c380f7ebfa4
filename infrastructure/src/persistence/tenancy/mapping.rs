//! Rows ↔ tenancy types.

use application::RepoError;
use application::tenancy::ports::{ApiKeyRecord, Shop};
use domain::tenancy::Role;

use super::entities::{api_keys, shops};
use crate::persistence::corrupt;

pub(super) fn shop(m: shops::Model) -> Shop {
    Shop { id: m.id.into(), name: m.name, created_at: m.created_at }
}

pub(super) fn api_key(m: api_keys::Model) -> Result<ApiKeyRecord, RepoError> {
    Ok(ApiKeyRecord {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        name: m.name,
        role: Role::parse(&m.role).ok_or_else(|| corrupt("role", &m.role))?,
        key_hash: m.key_hash,
        key_prefix: m.key_prefix,
        created_at: m.created_at,
    })
}
