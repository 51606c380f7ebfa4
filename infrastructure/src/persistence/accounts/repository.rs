//! The accounts write side, inside a unit of work.

use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};

use application::accounts::ports::AccountRepository;
use application::{RepoError, RepoResult};
use domain::accounts::WhatsAppAccount;
use domain::{AccountId, PhoneNumber, PhoneNumberId, ShopId, WabaId};

use super::entities::whatsapp_accounts::{Column, Entity};
use super::{mapping, queries};
use crate::persistence::repo_err;
use crate::persistence::sql::Txn;

pub struct SeaAccountRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl AccountRepository for SeaAccountRepository {
    async fn insert(&mut self, account: &WhatsAppAccount, encrypted_token: &str) -> RepoResult<()> {
        mapping::account_row(account, Some(encrypted_token), 0).insert(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn update(&mut self, account: &WhatsAppAccount, encrypted_token: Option<&str>) -> RepoResult<()> {
        let loaded = account.snapshot().version;
        let mut row = mapping::account_row(account, encrypted_token, 1);
        row.id = sea_orm::ActiveValue::NotSet;
        let res = Entity::update_many()
            .set(row)
            .filter(Column::Id.eq(account.id().as_uuid()))
            .filter(Column::Version.eq(loaded))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected != 1 {
            return Err(RepoError::Concurrency(format!("account {} changed since it was read", account.id()).into()));
        }
        Ok(())
    }

    async fn lock(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
        queries::one(self.tx.as_ref(), queries::locked(queries::by_id(shop, id))).await
    }

    async fn lock_by_phone_number_id(&mut self, id: &PhoneNumberId) -> RepoResult<Option<WhatsAppAccount>> {
        queries::one(self.tx.as_ref(), queries::locked(queries::by_phone_number_ids(std::slice::from_ref(id)))).await
    }

    async fn lock_by_waba(&mut self, waba: &WabaId) -> RepoResult<Vec<WhatsAppAccount>> {
        queries::all(self.tx.as_ref(), queries::locked(queries::by_waba(waba))).await
    }

    async fn find_by_phone_number_ids(&mut self, ids: &[PhoneNumberId]) -> RepoResult<Vec<WhatsAppAccount>> {
        queries::all(self.tx.as_ref(), queries::by_phone_number_ids(ids)).await
    }

    async fn find_by_display_number(&mut self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>> {
        queries::one(self.tx.as_ref(), queries::by_display_number(shop, number)).await
    }

    async fn find(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
        queries::one(self.tx.as_ref(), queries::by_id(shop, id)).await
    }
}
