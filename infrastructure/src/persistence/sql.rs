//! Helpers for set-based statements that run the same on Postgres and SQLite.

use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, IntoIden, OnConflict, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn, Value,
};

use application::{RepoError, RepoResult};

use super::repo_err;

/// The transaction a unit of work's repositories share.
pub(crate) type Txn = Arc<DatabaseTransaction>;

/// Rows per multi-row statement, so that it stays under the drivers' bound-parameter limits
/// (Postgres 65,535; SQLite 32,766).
pub(crate) fn rows_per_statement(columns: usize) -> usize {
    (30_000 / columns.max(1)).max(1)
}

/// Run an `INSERT` with `RETURNING <id>`: the ids of the rows actually inserted (a row skipped by
/// `ON CONFLICT DO NOTHING` returns nothing).
pub(crate) async fn insert_returning_ids<C: ConnectionTrait>(
    db: &C,
    mut stmt: InsertStatement,
    id: impl IntoIden,
) -> Result<Vec<uuid::Uuid>, DbErr> {
    stmt.returning_col(id);
    let rows = db.query_all(&stmt).await?;
    rows.iter().map(|r| r.try_get_by_index::<uuid::Uuid>(0)).collect()
}

/// Version-checked updates of whole rows, many per statement: an upsert on the primary key whose
/// update applies only where the stored `version` is the one the row was loaded with (each row
/// carries `loaded + 1`). Fewer rows changed than given means another transaction changed one
/// first: `RepoError::Concurrency`.
pub(crate) async fn update_versioned<E, A, C>(db: &C, table: &'static str, rows: Vec<A>, columns: usize) -> RepoResult<()>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Clone + Send,
    C: ConnectionTrait,
{
    let expected = rows.len() as u64;
    if expected == 0 {
        return Ok(());
    }
    let pk: Vec<E::Column> = E::PrimaryKey::iter().map(|p| p.into_column()).collect();
    let update: Vec<E::Column> = E::Column::iter().filter(|c| !pk.iter().any(|p| p.as_str() == c.as_str())).collect();
    let mut changed = 0;
    for chunk in rows.chunks(rows_per_statement(columns)) {
        let mut on_conflict = OnConflict::columns(pk.clone());
        on_conflict.update_columns(update.clone()).action_and_where(Expr::cust(format!("{table}.version + 1 = excluded.version")));
        changed += E::insert_many(chunk.to_vec()).on_conflict(on_conflict).exec_without_returning(db).await.map_err(repo_err)?;
    }
    if changed != expected {
        return Err(RepoError::Concurrency(format!("{table}: {} of {expected} rows changed since they were read", expected - changed)));
    }
    Ok(())
}

/// `(a, b) IN ((x1, y1), (x2, y2), …)`: row values, which both databases accept.
pub(crate) fn pairs_in(a: impl IntoIden, b: impl IntoIden, pairs: impl IntoIterator<Item = (Value, Value)>) -> SimpleExpr {
    let (a, b) = (a.into_iden(), b.into_iden());
    Expr::tuple([Expr::col(a), Expr::col(b)]).is_in(pairs.into_iter().map(|(x, y)| Expr::tuple([Expr::val(x), Expr::val(y)])))
}
