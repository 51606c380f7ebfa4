//! Helpers for set-based statements that run the same on Postgres and SQLite.

use std::sync::Arc;

use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, IntoIden, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Value};

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

/// Writes larger than this in all are bulk writes: their statements may be up to
/// `BULK_STATEMENT_BYTES`, where one possible 40 ms stall is small beside the round trips saved.
pub(crate) const BULK_BYTES: usize = 256 * 1024;
pub(crate) const BULK_STATEMENT_BYTES: usize = 1024 * 1024;

/// Split `items` into chunks of at most `columns`' parameter limit and, as far as one item
/// allows, `STATEMENT_BYTES` by the estimate `bytes`. Chunk lengths come from a short ladder
/// (1, 2, 3, 4, 6, 8, 12, 16, …), so the same few statement texts come back and stay prepared on
/// the server (a new text is parsed and planned again).
pub(crate) fn chunks<T>(items: &[T], columns: usize, bytes: impl Fn(&T) -> usize) -> Vec<&[T]> {
    // A bulk write (an import) trades the odd 40 ms stall for far fewer round trips: a few large
    // statements instead of hundreds of small ones (docs/adr/0008).
    let total: usize = items.iter().take(BULK_BYTES / 16 + 1).map(&bytes).sum();
    split(items, columns, bytes, if total > BULK_BYTES { BULK_STATEMENT_BYTES } else { STATEMENT_BYTES })
}

/// `chunks` that never trades latency for round trips: every statement stays under
/// `STATEMENT_BYTES` however large the write (the webhook inbox, on the acknowledgement path).
pub(crate) fn latency_chunks<T>(items: &[T], columns: usize, bytes: impl Fn(&T) -> usize) -> Vec<&[T]> {
    split(items, columns, bytes, STATEMENT_BYTES)
}

fn split<T>(items: &[T], columns: usize, bytes: impl Fn(&T) -> usize, budget: usize) -> Vec<&[T]> {
    let max_rows = rows_per_statement(columns);
    let mut out = Vec::new();
    let mut start = 0;
    while start < items.len() {
        let (mut n, mut size) = (0, 0);
        while start + n < items.len() && n < max_rows {
            let b = bytes(&items[start + n]);
            if n > 0 && size + b > budget {
                break;
            }
            size += b;
            n += 1;
        }
        let n = ladder_floor(n);
        out.push(&items[start..start + n]);
        start += n;
    }
    out
}

/// The largest length of the ladder 1, 2, 3, 4, 6, 8, 12, 16, 24, … (powers of two and one and a
/// half times them) not above `n` (`n` ≥ 1).
fn ladder_floor(n: usize) -> usize {
    let p = 1usize << (usize::BITS - 1 - n.leading_zeros());
    if p >= 2 && n >= p + p / 2 { p + p / 2 } else { p }
}

/// The smallest length of the ladder not below `n` (`n` ≥ 1).
fn ladder_ceil(n: usize) -> usize {
    let f = ladder_floor(n);
    match (f == n, f.is_power_of_two()) {
        (true, _) => n,
        (false, true) if f >= 2 => f + f / 2,
        (false, true) => 2,
        (false, false) => f / 3 * 4,
    }
}

/// `items` repeated at the end up to a length of the ladder, for `IN (…)` lists: the same few
/// statement texts stay prepared, and a repeated value changes nothing.
pub(crate) fn padded<T: Clone>(items: &[T]) -> Vec<T> {
    let mut out = items.to_vec();
    if let Some(last) = items.last() {
        out.resize(ladder_ceil(items.len()), last.clone());
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

/// Version-checked updates of some columns of many rows, a statement per chunk:
/// `UPDATE t SET c = v.column3, …, version = v.column2 + 1 FROM (VALUES (id, version, …), …) AS v
/// WHERE t.id = v.column1 AND t.version = v.column2` (both databases name a `VALUES` list's
/// columns `column1`, `column2`, …; sqlx sends each parameter with its type). Each row is its id,
/// the version it was loaded with, its new values in `columns`' order, and an estimate of its
/// encoded size. Fewer rows changed than given: `RepoError::Concurrency`.
pub(crate) async fn update_columns<C: ConnectionTrait>(
    db: &C,
    table: &'static str,
    columns: &[&str],
    rows: Vec<(uuid::Uuid, i64, Vec<Value>, usize)>,
) -> RepoResult<()> {
    let expected = rows.len() as u64;
    if expected == 0 {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let width = columns.len() + 2;
    let set: Vec<String> = columns.iter().enumerate().map(|(i, c)| format!("\"{c}\" = v.column{}", i + 3)).collect();
    let mut changed = 0;
    for chunk in chunks(&rows, width, |r| r.3) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * width);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (id, version, new, _) in chunk {
            let first = values.len();
            values.push((*id).into());
            values.push((*version).into());
            values.extend(new.iter().cloned());
            let marks: Vec<String> = (first..values.len())
                .map(|i| match backend {
                    sea_orm::DbBackend::Postgres => format!("${}", i + 1),
                    _ => format!("?{}", i + 1),
                })
                .collect();
            tuples.push(format!("({})", marks.join(", ")));
        }
        let sql = format!(
            "UPDATE \"{table}\" SET {}, \"version\" = v.column2 + 1 FROM (VALUES {}) AS v WHERE \"{table}\".\"id\" = v.column1 AND \"{table}\".\"version\" = v.column2",
            set.join(", "),
            tuples.join(", ")
        );
        let res = db.execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await.map_err(repo_err)?;
        changed += res.rows_affected();
    }
    if changed != expected {
        return Err(RepoError::Concurrency(
            format!("{table}: {} of {expected} rows changed since they were read", expected - changed).into(),
        ));
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
        assert_eq!(parts, [vec![1000, 3000, 3000], vec![2000], vec![9000], vec![10]], "lengths of the ladder");
        assert_eq!(padded(&[1, 2, 3, 4, 5]), [1, 2, 3, 4, 5, 5]);
        assert_eq!(padded(&[1, 2, 3]), [1, 2, 3]);
        let ladder: Vec<usize> = (1..=100).map(ladder_floor).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        assert_eq!(ladder, [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96]);
        for n in 1..=100 {
            assert!(ladder_ceil(n) >= n && (ladder.contains(&ladder_ceil(n)) || ladder_ceil(n) == 128), "{n} -> {}", ladder_ceil(n));
            assert!(ladder_floor(n) <= n);
        }
        assert!(chunks(&[] as &[usize], 1, |s| *s).is_empty());
        let bulk = vec![1000usize; 1000];
        assert!(chunks(&bulk, 1, |s| *s).iter().any(|c| c.len() > 64), "a bulk write uses large statements");
        assert!(latency_chunks(&bulk, 1, |s| *s).iter().all(|c| c.iter().sum::<usize>() <= STATEMENT_BYTES), "the inbox never does");
        let many = vec![1usize; 70_000];
        assert!(chunks(&many, 2, |s| *s).iter().all(|c| c.len() <= rows_per_statement(2)), "and the parameter limit holds");
    }
}
