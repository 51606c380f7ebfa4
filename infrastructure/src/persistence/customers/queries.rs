//! Queries of the customers context that the write side and the read side share.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select};

use application::RepoResult;
use domain::customers::Customer;
use domain::{ShopId, WaId};

use super::entities::customers::{Column, Entity};
use super::mapping;
use crate::persistence::repo_err;
use crate::persistence::sql::pairs_in;

pub(crate) fn by_keys(keys: &[(ShopId, WaId)]) -> Select<Entity> {
    let pairs = keys.iter().map(|(s, w)| (s.as_uuid().into(), w.as_str().to_owned().into()));
    Entity::find().filter(pairs_in(Column::ShopId, Column::WaId, pairs)).order_by_asc(Column::Id)
}

pub(crate) fn by_user_id(shop: ShopId, user_id: &str) -> Select<Entity> {
    Entity::find().filter(Column::ShopId.eq(shop.as_uuid())).filter(Column::UserId.eq(user_id)).order_by_desc(Column::UpdatedAt)
}

pub(crate) async fn one<C: ConnectionTrait>(db: &C, q: Select<Entity>) -> RepoResult<Option<Customer>> {
    q.one(db).await.map_err(repo_err)?.map(mapping::customer).transpose()
}

pub(crate) async fn all<C: ConnectionTrait>(db: &C, q: Select<Entity>) -> RepoResult<Vec<Customer>> {
    q.all(db).await.map_err(repo_err)?.into_iter().map(mapping::customer).collect()
}
