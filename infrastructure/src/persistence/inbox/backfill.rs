//! The search's backfill (`SearchBackfill`): messages and customers stored before the search
//! existed get their documents, a batch at a time, from the cursor of `search_backfill`.
//! Documents that exist stay as they are (`ON CONFLICT DO NOTHING`), so running beside the
//! writers, twice, or after a crash is harmless. An erasure never loses to it: on Postgres a
//! batch takes its customers' rows `FOR SHARE` (an erasure holds its customer `FOR UPDATE` until
//! it commits) and reads the messages after that; on SQLite it holds the writer lock.

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait};

use application::RepoResult;
use application::inbox::ports::{BackfillStep, SearchBackfill};

use super::search::{insert_new, message_text, name_text, search_documents as docs};
use crate::persistence::{Db, repo_err};

pub struct SqlSearchBackfill {
    pub db: Db,
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

async fn rows(db: &impl ConnectionTrait, q: &SelectStatement) -> RepoResult<Vec<QueryResult>> {
    db.query_all(q).await.map_err(repo_err)
}

fn uuid(r: &QueryResult, col: &str) -> RepoResult<uuid::Uuid> {
    r.try_get::<uuid::Uuid>("", col).map_err(repo_err)
}

/// Where a kind's backfill is: `None` once done.
async fn cursor(db: &impl ConnectionTrait, kind: &str) -> RepoResult<Option<Option<uuid::Uuid>>> {
    let q =
        Query::select().columns([a("after_id"), a("done")]).from(a("search_backfill")).and_where(Expr::col(a("kind")).eq(kind)).to_owned();
    let Some(r) = rows(db, &q).await?.into_iter().next() else { return Ok(None) };
    if r.try_get::<bool>("", "done").map_err(repo_err)? {
        return Ok(None);
    }
    Ok(Some(r.try_get::<Option<uuid::Uuid>>("", "after_id").map_err(repo_err)?))
}

async fn advance(db: &impl ConnectionTrait, kind: &str, last: Option<uuid::Uuid>, done: bool) -> RepoResult<()> {
    let mut q = Query::update();
    q.table(a("search_backfill")).value(a("done"), done).and_where(Expr::col(a("kind")).eq(kind));
    if let Some(last) = last {
        q.value(a("after_id"), last);
    }
    db.execute(&q).await.map_err(repo_err)?;
    Ok(())
}

/// The next `batch` ids of `table` after the cursor.
fn after(table: &str, after: Option<uuid::Uuid>, batch: u64) -> SelectStatement {
    let mut q = Query::select();
    q.from(a(table)).order_by(a("id"), Order::Asc).limit(batch);
    if let Some(after) = after {
        q.and_where(Expr::col(a("id")).gt(after));
    }
    q.to_owned()
}

async fn messages(db: &impl ConnectionTrait, batch: u64) -> RepoResult<BackfillStep> {
    let Some(from) = cursor(db, "messages").await? else { return Ok(BackfillStep { done: true, ..Default::default() }) };
    let found = rows(db, after("messages", from, batch).columns([a("id"), a("customer_id")])).await?;
    let Some(last) = found.last().map(|r| uuid(r, "id")).transpose()? else {
        advance(db, "messages", None, true).await?;
        return Ok(BackfillStep { done: true, ..Default::default() });
    };
    let ids = found.iter().map(|r| uuid(r, "id")).collect::<RepoResult<Vec<_>>>()?;
    if db.get_database_backend() == DbBackend::Postgres {
        let customers = found.iter().map(|r| uuid(r, "customer_id")).collect::<RepoResult<Vec<_>>>()?;
        let lock =
            Query::select().column(a("id")).from(a("customers")).and_where(Expr::col(a("id")).is_in(customers)).lock_shared().to_owned();
        rows(db, &lock).await?;
    }
    // Read after the lock: an erasure that committed meanwhile left no text to index.
    let live =
        Query::select()
            .columns([a("id"), a("shop_id"), a("customer_id"), a("conversation_id"), a("content")])
            .from(a("messages"))
            .and_where(Expr::col(a("id")).is_in(ids))
            .and_where(Expr::col(a("customer_id")).in_subquery(
                Query::select().column(a("id")).from(a("customers")).and_where(Expr::col(a("erased_at")).is_null()).to_owned(),
            ))
            .to_owned();
    let mut docs = Vec::new();
    for r in rows(db, &live).await? {
        let content: serde_json::Value = r.try_get("", "content").map_err(repo_err)?;
        if let Some(body) = message_text(&content) {
            docs.push(document(uuid(&r, "id")?, uuid(&r, "shop_id")?, uuid(&r, "customer_id")?, Some(uuid(&r, "conversation_id")?), body));
        }
    }
    let indexed = insert_new(db, docs).await?;
    let done = (found.len() as u64) < batch;
    advance(db, "messages", Some(last), done).await?;
    Ok(BackfillStep { scanned: found.len() as u64, indexed, done })
}

async fn customers(db: &impl ConnectionTrait, batch: u64) -> RepoResult<BackfillStep> {
    let Some(from) = cursor(db, "customers").await? else { return Ok(BackfillStep { done: true, ..Default::default() }) };
    let mut q = after("customers", from, batch);
    q.columns([a("id"), a("shop_id"), a("name"), a("display_name"), a("erased_at")]);
    if db.get_database_backend() == DbBackend::Postgres {
        q.lock_shared();
    }
    let found = rows(db, &q).await?;
    let Some(last) = found.last().map(|r| uuid(r, "id")).transpose()? else {
        advance(db, "customers", None, true).await?;
        return Ok(BackfillStep { done: true, ..Default::default() });
    };
    let mut docs = Vec::new();
    for r in &found {
        let name: Option<String> = r.try_get("", "name").map_err(repo_err)?;
        let display: Option<String> = r.try_get("", "display_name").map_err(repo_err)?;
        let erased = r.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "erased_at").map_err(repo_err)?.is_some();
        if let Some(body) = name_text(display.as_deref(), name.as_deref(), erased) {
            let id = uuid(r, "id")?;
            docs.push(document(id, uuid(r, "shop_id")?, id, None, body));
        }
    }
    let indexed = insert_new(db, docs).await?;
    let done = (found.len() as u64) < batch;
    advance(db, "customers", Some(last), done).await?;
    Ok(BackfillStep { scanned: found.len() as u64, indexed, done })
}

fn document(doc: uuid::Uuid, shop: uuid::Uuid, customer: uuid::Uuid, conversation: Option<uuid::Uuid>, body: String) -> docs::ActiveModel {
    use sea_orm::ActiveValue::Set;
    docs::ActiveModel {
        doc_id: Set(doc),
        shop_id: Set(shop),
        customer_id: Set(customer),
        conversation_id: Set(conversation),
        body: Set(body),
    }
}

impl SqlSearchBackfill {
    /// One batch of one kind, in its own transaction.
    async fn batch(&self, of_messages: bool, batch: u64) -> RepoResult<BackfillStep> {
        let _writer = self.db.write_guard().await;
        let txn = self.db.conn.begin().await.map_err(repo_err)?;
        let step = if of_messages { messages(&txn, batch).await? } else { customers(&txn, batch).await? };
        txn.commit().await.map_err(repo_err)?;
        Ok(step)
    }
}

#[async_trait]
impl SearchBackfill for SqlSearchBackfill {
    async fn backfill(&self, batch: u64) -> RepoResult<BackfillStep> {
        let m = self.batch(true, batch).await?;
        let c = self.batch(false, batch).await?;
        Ok(BackfillStep { scanned: m.scanned + c.scanned, indexed: m.indexed + c.indexed, done: m.done && c.done })
    }
}
