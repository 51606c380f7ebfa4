//! The accounts read side.

use async_trait::async_trait;

use application::RepoResult;
use application::accounts::ports::AccountReads;
use domain::accounts::WhatsAppAccount;
use domain::{AccountId, PhoneNumber, ShopId};

use super::queries;
use crate::persistence::Db;

pub struct SeaAccountReads {
    db: Db,
}

impl SeaAccountReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl AccountReads for SeaAccountReads {
    async fn accounts(&self, shop: ShopId) -> RepoResult<Vec<WhatsAppAccount>> {
        queries::all(&self.db.conn, queries::of_shop(shop)).await
    }

    async fn shops_with_numbers(&self) -> RepoResult<Vec<ShopId>> {
        use super::entities::whatsapp_accounts::{Column, Entity};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
        let ids: Vec<uuid::Uuid> = Entity::find()
            .select_only()
            .column(Column::ShopId)
            .distinct()
            .filter(Column::Status.ne("disconnected"))
            .order_by_asc(Column::ShopId)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(crate::persistence::repo_err)?;
        Ok(ids.into_iter().map(ShopId::from).collect())
    }

    async fn account(&self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
        queries::one(&self.db.conn, queries::by_id(shop, id)).await
    }

    async fn by_display_number(&self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>> {
        queries::one(&self.db.conn, queries::by_display_number(shop, number)).await
    }

    async fn encrypted_token(&self, id: AccountId) -> RepoResult<Option<String>> {
        queries::encrypted_token(&self.db.conn, id).await
    }
}
