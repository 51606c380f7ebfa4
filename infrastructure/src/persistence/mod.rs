//! Persistence on sea-orm, for Postgres and SQLite alike: one folder per context (entities,
//! mappings, the queries that the write side and the read side share, and the adapters of the
//! context's ports), the unit of work, the outbox and the leases.
//!
//! SQLite runs in WAL mode with `synchronous=FULL` (an acknowledged write survives power loss)
//! and one writer at a time in this process (SQLite allows one writer; serialising in-process
//! avoids `SQLITE_BUSY` on read-then-write transactions). One process per SQLite file. Postgres
//! locks what a unit of work loads for a change (`SELECT … FOR UPDATE`); SQLite has nothing to
//! lock (one writer), and sea-query leaves the clause out there.

pub mod accounts;
pub mod audit;
pub mod billing;
pub mod customers;
pub mod inbound;
pub mod inbox;
pub mod leases;
pub mod media;
pub mod messaging;
pub mod outbox;
pub mod privacy;
pub mod team;
pub mod templates;
pub mod tenancy;
pub mod turns;
pub mod unit_of_work;
pub mod webhook_subscriptions;

mod entities;
pub mod nodelay;
mod sql;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use tokio::sync::Mutex;

use application::RepoError;
use migration::{Migrator, MigratorTrait};

/// A connected database plus what the adapters share.
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// SQLite only: one writer at a time in this process.
    pub write_lock: Option<Arc<Mutex<()>>>,
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let sqlite = url.starts_with("sqlite:");
        if sqlite {
            ensure_sqlite_dir(url);
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .max_connections(if sqlite { 8 } else { 20 })
            .min_connections(1);
        if !sqlite {
            opts.map_sqlx_postgres_pool_opts(|o| o.after_connect(|conn, _| Box::pin(nodelay::set_on(conn))));
        }
        if sqlite {
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        }
        let conn = Database::connect(opts).await?;
        Ok(Self { conn, write_lock: sqlite.then(|| Arc::new(Mutex::new(()))) })
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await
    }

    /// SQLite: hold the in-process writer lock around a write (one writer at a time); Postgres:
    /// nothing to hold.
    pub async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_lock {
            Some(l) => Some(l.lock().await),
            None => None,
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub fn is_sqlite(&self) -> bool {
        self.write_lock.is_some()
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ())
    }
}

fn ensure_sqlite_dir(url: &str) {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        return;
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        let _ = std::fs::create_dir_all(parent);
    }
}

/// A database error as the ports see it. Postgres deadlocks and serialization failures are
/// concurrent changes (the pipeline runs the command again); unique violations are conflicts.
pub(crate) fn repo_err(e: DbErr) -> RepoError {
    use application::Cause;
    if let Some(sea_orm::SqlErr::UniqueConstraintViolation(m)) = e.sql_err() {
        return RepoError::Conflict(Cause::caused_by(m, e));
    }
    // 40P01 deadlock_detected, 40001 serialization_failure (Postgres); 5 SQLITE_BUSY.
    if matches!(sqlstate(&e).as_deref(), Some("40P01" | "40001" | "5" | "517")) {
        return RepoError::Concurrency(Cause::caused_by("the database saw a concurrent change", e));
    }
    // 57014 query_canceled: the statement ran past its `statement_timeout` (Postgres).
    if sqlstate(&e).as_deref() == Some("57014") {
        return RepoError::TimedOut(Cause::caused_by("the statement ran past its timeout", e));
    }
    match &e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => RepoError::Unavailable(Cause::caused_by("no connection to the database", e)),
        _ => RepoError::Other(Cause::caused_by("the database refused a statement", e)),
    }
}

fn sqlstate(e: &DbErr) -> Option<String> {
    let rt = match e {
        DbErr::Exec(rt) | DbErr::Query(rt) | DbErr::Conn(rt) => rt,
        _ => return None,
    };
    match rt {
        sea_orm::RuntimeErr::SqlxError(err) => err.as_database_error()?.code().map(|c| c.into_owned()),
        _ => None,
    }
}

pub(crate) fn corrupt(what: &str, v: impl std::fmt::Display) -> RepoError {
    RepoError::Corrupt(format!("{what}: {v}").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[tokio::test]
    async fn a_database_error_stays_the_source_of_the_storage_error() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        let e = db.conn.execute_unprepared("SELECT * FROM no_such_table").await.map(|_| ()).map_err(repo_err).unwrap_err();
        assert!(matches!(e, RepoError::Other(_)), "{e:?}");
        let source = e.source().expect("the driver's error is kept");
        assert!(source.downcast_ref::<DbErr>().is_some());
        assert!(application::Chain(&e).to_string().contains("no such table: no_such_table"), "{}", application::Chain(&e));
    }

    /// A real Postgres statement past its timeout (with `TEST_POSTGRES_URL`).
    #[tokio::test]
    async fn a_statement_past_its_timeout_is_timed_out() {
        let Ok(url) = std::env::var("TEST_POSTGRES_URL") else { return };
        let db = Db::connect(&url).await.unwrap();
        let e = async {
            let txn = sea_orm::TransactionTrait::begin(&db.conn).await?;
            txn.execute_unprepared("SET LOCAL statement_timeout = 50").await?;
            txn.execute_unprepared("SELECT pg_sleep(2)").await?;
            txn.commit().await
        }
        .await
        .map_err(repo_err)
        .unwrap_err();
        assert!(matches!(e, RepoError::TimedOut(_)), "{e:?}");
        assert!(application::Chain(&e).to_string().contains("statement timeout"), "{}", application::Chain(&e));
    }

    #[test]
    fn a_lost_connection_is_unavailable_with_its_cause() {
        let e = repo_err(DbErr::Conn(sea_orm::RuntimeErr::Internal("connection refused".into())));
        assert!(matches!(e, RepoError::Unavailable(_)), "{e:?}");
        assert!(e.source().unwrap().to_string().contains("connection refused"));
    }
}
