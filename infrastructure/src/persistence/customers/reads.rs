//! The customers read side.

use async_trait::async_trait;

use application::RepoResult;
use application::customers::ports::CustomerReads;
use domain::customers::Customer;
use domain::{ShopId, WaId};

use super::queries;
use crate::persistence::Db;

pub struct SeaCustomerReads {
    db: Db,
}

impl SeaCustomerReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl CustomerReads for SeaCustomerReads {
    async fn by_wa_id(&self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>> {
        queries::one(&self.db.conn, queries::by_keys(&[(shop, wa_id.clone())])).await
    }

    async fn by_user_id(&self, shop: ShopId, user_id: &str) -> RepoResult<Option<Customer>> {
        queries::one(&self.db.conn, queries::by_user_id(shop, user_id)).await
    }
}
