//! Queries of the accounts context that the write side (in a transaction, locking) and the read
//! side share.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use application::RepoResult;
use domain::accounts::WhatsAppAccount;
use domain::{AccountId, PhoneNumber, PhoneNumberId, ShopId, WabaId};

use super::entities::whatsapp_accounts::{Column, Entity};
use super::mapping;
use crate::persistence::repo_err;
use crate::persistence::sql::padded;

pub(crate) fn by_id(shop: ShopId, id: AccountId) -> Select<Entity> {
    Entity::find_by_id(id.as_uuid()).filter(Column::ShopId.eq(shop.as_uuid()))
}

pub(crate) fn by_phone_number_ids(ids: &[PhoneNumberId]) -> Select<Entity> {
    Entity::find().filter(Column::PhoneNumberId.is_in(padded(ids).into_iter().map(|i| i.as_str().to_owned())))
}

/// A connected (not disconnected) number of the shop.
pub(crate) fn by_display_number(shop: ShopId, number: &PhoneNumber) -> Select<Entity> {
    Entity::find()
        .filter(Column::ShopId.eq(shop.as_uuid()))
        .filter(Column::DisplayPhoneNumber.eq(number.as_str()))
        .filter(Column::Status.ne("disconnected"))
}

pub(crate) fn by_waba(waba: &WabaId) -> Select<Entity> {
    Entity::find().filter(Column::WabaId.eq(waba.as_str())).filter(Column::Status.ne("disconnected")).order_by_asc(Column::Id)
}

pub(crate) fn of_shop(shop: ShopId) -> Select<Entity> {
    Entity::find().filter(Column::ShopId.eq(shop.as_uuid())).order_by_asc(Column::ConnectedAt)
}

/// Locks the rows on Postgres (`FOR UPDATE`).
pub(crate) fn locked(q: Select<Entity>) -> Select<Entity> {
    q.lock_exclusive()
}

pub(crate) async fn one<C: ConnectionTrait>(db: &C, q: Select<Entity>) -> RepoResult<Option<WhatsAppAccount>> {
    q.one(db).await.map_err(repo_err)?.map(mapping::account).transpose()
}

pub(crate) async fn all<C: ConnectionTrait>(db: &C, q: Select<Entity>) -> RepoResult<Vec<WhatsAppAccount>> {
    q.all(db).await.map_err(repo_err)?.into_iter().map(mapping::account).collect()
}

pub(crate) async fn encrypted_token<C: ConnectionTrait>(db: &C, id: AccountId) -> RepoResult<Option<String>> {
    Ok(Entity::find_by_id(id.as_uuid()).one(db).await.map_err(repo_err)?.map(|m| m.access_token_encrypted))
}
