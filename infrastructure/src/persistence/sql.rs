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

/// The most bytes one statement sends. sqlx 0.9.0 leaves Nagle's algorithm on for TCP
/// (transact-rs/sqlx#4335): a statement larger than the socket's initial send buffer goes out in
/// two writes, and the second waits for the server's delayed ACK, 40 ms. Statements are kept
/// under this size so none waits (docs/adr/0008). Remove when sqlx sets `TCP_NODELAY` again.
pub(crate) const STATEMENT_BYTES: usize = 7 * 1024;

/// Split `items` into chunks of at most `columns`' parameter limit and, as far as one item
/// allows, `STATEMENT_BYTES` by the estimate `bytes`. Chunk lengths are powers of two, so the
/// same few statement texts come back and stay prepared on the server (a new text is parsed and
/// planned again).
pub(crate) fn chunks<T>(items: &[T], columns: usize, bytes: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let max_rows = rows_per_statement(columns);
    let mut out = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let (mut n, mut size) = (0, 0);
        while start + n < items.len() && n < max_rows {
            let b = bytes(&items[start + n]);
            if n > 0 && size + b > STATEMENT_BYTES {
                break;
            }
            size += b;
            n += 1;
        }
        let n = if n.is_power_of_two() { n } else { n.next_power_of_two() / 2 };
        out.push(&items[start..start + n]);
        start += n;
    }
    out
}

/// `items` repeated at the end up to a power-of-two length, for `IN (…)` lists: the same few
/// statement texts stay prepared, and a repeated value changes nothing.
pub(crate) fn padded<T: Clone>(items: &[T]) -> Vec<T> {
    let mut out = items.to_vec();
    if let Some(last) = items.last() {
        out.resize(items.len().next_power_of_two(), last.clone());
    }
    out
}

/// The encoded size of a JSON value, for [`chunks`].
pub(crate) fn json_len(v: &impl serde::Serialize) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
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
/// first: `RepoError::Concurrency`. Each row comes with an estimate of its encoded size.
pub(crate) async fn update_versioned<E, A, C>(db: &C, table: &'static str, rows: Vec<(A, usize)>, columns: usize) -> RepoResult<()>
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
    for chunk in chunks(&rows, columns, |(_, bytes)| *bytes) {
        let mut on_conflict = OnConflict::columns(pk.clone());
        on_conflict.update_columns(update.clone()).action_and_where(Expr::cust(format!("{table}.version + 1 = excluded.version")));
        let rows = chunk.iter().map(|(row, _)| row.clone());
        changed += E::insert_many(rows).on_conflict(on_conflict).exec_without_returning(db).await.map_err(repo_err)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_statements_small_but_never_split_an_item() {
        let sizes = [1000, 3000, 3000, 2000, 9000, 10];
        let parts: Vec<Vec<usize>> = chunks(&sizes, 1, |s| *s).into_iter().map(<[usize]>::to_vec).collect();
        assert_eq!(parts, [vec![1000, 3000], vec![3000, 2000], vec![9000], vec![10]], "power-of-two lengths");
        assert_eq!(padded(&[1, 2, 3]), [1, 2, 3, 3]);
        assert_eq!(padded(&[1, 2, 3, 4]), [1, 2, 3, 4]);
        assert!(chunks(&[] as &[usize], 1, |s| *s).is_empty());
        let many = vec![1usize; 70_000];
        assert!(chunks(&many, 2, |s| *s).iter().all(|c| c.len() <= rows_per_statement(2)), "and the parameter limit holds");
    }
}
