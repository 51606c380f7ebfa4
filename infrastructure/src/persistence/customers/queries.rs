//! Queries of the customers context that the write side and the read side share.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select};

use application::RepoResult;
use application::customers::ports::{CustomerSort, SortKey};
use chrono::{DateTime, Utc};
use domain::customers::{Customer, Group};
use domain::{CustomerId, ShopId, WaId};

use super::audience::Intersections;
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

pub(crate) fn by_id(shop: ShopId, id: CustomerId) -> Select<Entity> {
    Entity::find().filter(Column::ShopId.eq(shop.as_uuid())).filter(Column::Id.eq(id.as_uuid()))
}

/// A shop's customers in an audience, the same on Postgres and SQLite (`how`: see
/// [`Intersections`]).
pub(crate) fn matching(shop: ShopId, audience: &Group, now: DateTime<Utc>, how: Intersections) -> Select<Entity> {
    Entity::find().filter(Column::ShopId.eq(shop.as_uuid())).filter(super::audience::condition(shop, audience, now, how))
}

/// `q` in `sort` order, ties by id (pages never overlap).
pub(crate) fn sorted(q: Select<Entity>, sort: CustomerSort) -> Select<Entity> {
    use sea_orm::sea_query::{Expr, Func, NullOrdering, Order};
    let order = if sort.descending { Order::Desc } else { Order::Asc };
    let q = match sort.by {
        SortKey::FirstContactedAt => q.order_by(Column::FirstContactedAt, order.clone()),
        SortKey::UpdatedAt => q.order_by(Column::UpdatedAt, order.clone()),
        SortKey::LastInboundAt => q.order_by_with_nulls(Column::LastInboundAt, order.clone(), NullOrdering::Last),
        SortKey::Name => q.order_by_with_nulls(
            Expr::expr(Func::lower(Func::coalesce([Expr::col(Column::DisplayName), Expr::col(Column::Name)]))),
            order.clone(),
            NullOrdering::Last,
        ),
    };
    q.order_by(Column::Id, order)
}

pub(crate) async fn one<C: ConnectionTrait>(db: &C, q: Select<Entity>) -> RepoResult<Option<Customer>> {
    q.one(db).await.map_err(repo_err)?.map(mapping::customer).transpose()
}

pub(crate) async fn all<C: ConnectionTrait>(db: &C, q: Select<Entity>) -> RepoResult<Vec<Customer>> {
    q.all(db).await.map_err(repo_err)?.into_iter().map(mapping::customer).collect()
}

/// A shop's custom field definitions, in the order they were made.
pub(crate) async fn definitions<C: ConnectionTrait>(db: &C, shop: ShopId) -> RepoResult<Vec<domain::customers::FieldDefinition>> {
    use super::entities::custom_field_definitions::{Column as D, Entity as Defs};
    Defs::find()
        .filter(D::ShopId.eq(shop.as_uuid()))
        .order_by_asc(D::CreatedAt)
        .order_by_asc(D::Id)
        .all(db)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(mapping::definition)
        .collect()
}
