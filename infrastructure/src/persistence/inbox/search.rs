//! The inbox's full-text search (docs/INBOX.md): `search_documents`, one row per message with
//! text and per customer name, folded as consent keywords are, written beside the messages and
//! customers in their transactions; searched with Postgres `tsvector` (GIN) or SQLite FTS5.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Select, Statement};
use serde_json::Value;

use application::RepoResult;
use domain::ShopId;
use domain::customers::Customer;
use domain::customers::keywords::fold;
use domain::messaging::Message;

use crate::persistence::repo_err;
use crate::persistence::sql::chunks;

pub mod search_documents {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "search_documents")]
    pub struct Model {
        /// The message's id, or the customer's for their name.
        #[sea_orm(primary_key, auto_increment = false)]
        pub doc_id: Uuid,
        pub shop_id: Uuid,
        pub customer_id: Uuid,
        /// Null for a customer's name.
        pub conversation_id: Option<Uuid>,
        /// Folded text.
        pub body: String,
    }
    crate::persistence::entities::no_relations!();
}
use search_documents as docs;

/// A message's searchable text: its text, caption or body, folded.
pub(crate) fn message_text(content: &Value) -> Option<String> {
    let parts: Vec<&str> = ["text", "caption", "body"].iter().filter_map(|k| content[*k].as_str()).collect();
    let folded = fold(&parts.join(" "));
    (!folded.is_empty()).then_some(folded)
}

fn customer_text(c: &Customer) -> Option<String> {
    let s = c.snapshot();
    name_text(s.display_name.as_deref(), s.name.as_deref(), c.is_erased())
}

/// A customer's searchable name: the WhatsApp profile's and the merchant's, folded; none once
/// erased.
pub(crate) fn name_text(display_name: Option<&str>, name: Option<&str>, erased: bool) -> Option<String> {
    let folded = fold(&[display_name, name].into_iter().flatten().collect::<Vec<_>>().join(" "));
    (!folded.is_empty() && !erased).then_some(folded)
}

async fn insert(db: &impl ConnectionTrait, rows: Vec<docs::ActiveModel>) -> RepoResult<()> {
    for chunk in chunks(&rows, 5, |r| 80 + r.body.as_ref().len()) {
        docs::Entity::insert_many(chunk.iter().cloned()).exec_without_returning(db).await.map_err(repo_err)?;
    }
    Ok(())
}

/// Index messages just stored (those with text).
pub(crate) async fn index_messages(db: &impl ConnectionTrait, stored: &[&Message]) -> RepoResult<()> {
    insert(db, message_rows(stored)).await
}

/// Write documents, leaving those indexed already as they are (the backfill): how many were
/// written.
pub(crate) async fn insert_new(db: &impl ConnectionTrait, rows: Vec<docs::ActiveModel>) -> RepoResult<u64> {
    use sea_orm::sea_query::OnConflict;
    let mut written = 0;
    for chunk in chunks(&rows, 5, |r| 80 + r.body.as_ref().len()) {
        written += docs::Entity::insert_many(chunk.iter().cloned())
            .on_conflict(OnConflict::column(docs::Column::DocId).do_nothing().to_owned())
            .exec_without_returning(db)
            .await
            .map_err(repo_err)?;
    }
    Ok(written)
}

fn message_rows(stored: &[&Message]) -> Vec<docs::ActiveModel> {
    use sea_orm::ActiveValue::Set;
    stored
        .iter()
        .filter_map(|m| {
            let s = m.snapshot();
            message_text(&serde_json::to_value(&s.content).ok()?).map(|body| docs::ActiveModel {
                doc_id: Set(s.id.as_uuid()),
                shop_id: Set(s.shop_id.as_uuid()),
                customer_id: Set(s.customer_id.as_uuid()),
                conversation_id: Set(Some(s.conversation_id.as_uuid())),
                body: Set(body),
            })
        })
        .collect()
}

/// Keep customers' names searchable: only the names that changed are written again (customers
/// are saved on every message they send).
pub(crate) async fn index_names(db: &impl ConnectionTrait, customers: &[&Customer]) -> RepoResult<u64> {
    use sea_orm::ActiveValue::Set;
    if customers.is_empty() {
        return Ok(0);
    }
    let mut indexed: HashMap<uuid::Uuid, String> = HashMap::new();
    for chunk in chunks(customers, 1, |_| 24) {
        let ids: Vec<uuid::Uuid> = chunk.iter().map(|c| c.id().as_uuid()).collect();
        let rows = docs::Entity::find().filter(docs::Column::DocId.is_in(ids)).all(db).await.map_err(repo_err)?;
        indexed.extend(rows.into_iter().map(|r| (r.doc_id, r.body)));
    }
    let mut stale = Vec::new();
    let mut rows = Vec::new();
    for c in customers {
        let id = c.id().as_uuid();
        let want = customer_text(c);
        if indexed.get(&id) == want.as_ref() {
            continue;
        }
        if indexed.contains_key(&id) {
            stale.push(id);
        }
        if let Some(body) = want {
            rows.push(docs::ActiveModel {
                doc_id: Set(id),
                shop_id: Set(c.shop_id().as_uuid()),
                customer_id: Set(id),
                conversation_id: Set(None),
                body: Set(body),
            });
        }
    }
    if !stale.is_empty() {
        docs::Entity::delete_many().filter(docs::Column::DocId.is_in(stale)).exec(db).await.map_err(repo_err)?;
    }
    let written = rows.len() as u64;
    insert(db, rows).await?;
    Ok(written)
}

/// Erasure: every document of the customer goes. SQLite's FTS5 keeps deleted terms in its
/// segments until they are merged: merge them now, so the index holds nothing of them.
pub(crate) async fn forget_customer(db: &impl ConnectionTrait, shop: ShopId, customer: domain::CustomerId) -> RepoResult<u64> {
    let r = docs::Entity::delete_many()
        .filter(docs::Column::ShopId.eq(shop.as_uuid()))
        .filter(docs::Column::CustomerId.eq(customer.as_uuid()))
        .exec(db)
        .await
        .map_err(repo_err)?;
    if db.get_database_backend() == DbBackend::Sqlite && r.rows_affected > 0 {
        db.execute_raw(Statement::from_string(DbBackend::Sqlite, "INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
            .await
            .map_err(repo_err)?;
    }
    Ok(r.rows_affected)
}

/// How long one statement of a search may run (Postgres): a search too broad to answer in time
/// is refused (503, narrow it) instead of holding a connection.
pub const SEARCH_STATEMENT_TIMEOUT_MS: u64 = 3_000;

/// Sets the search's statement timeout for the rest of the transaction `txn`.
pub(crate) async fn limit_time(txn: &impl ConnectionTrait) -> RepoResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SET LOCAL statement_timeout = {SEARCH_STATEMENT_TIMEOUT_MS}")).await.map_err(repo_err)?;
    }
    Ok(())
}

/// The words of a search, folded; each matches a word that starts with it.
pub fn words(q: &str) -> Vec<String> {
    fold(q).split(' ').filter(|w| !w.is_empty()).take(10).map(str::to_owned).collect()
}

/// Conversations of the shop with a message matching every word, or whose customer's name does.
pub(crate) fn matching<E: EntityTrait>(q: Select<E>, backend: DbBackend, shop: ShopId, words: &[String]) -> Select<E> {
    let shop = shop.as_uuid();
    let cond: SimpleExpr = match backend {
        DbBackend::Postgres => {
            let query = words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ");
            // One IN over a UNION, not two INs joined by OR: an OR keeps Postgres from planning
            // semi-joins, and a subquery too large to hash then runs once per conversation.
            Expr::cust_with_values(
                "conversations.id IN (SELECT conversation_id FROM search_documents WHERE shop_id = $1 AND conversation_id IS NOT NULL \
                 AND tsv @@ to_tsquery('simple', $2) \
                 UNION SELECT c.id FROM conversations c JOIN search_documents d ON d.customer_id = c.customer_id \
                 WHERE d.shop_id = $3 AND d.conversation_id IS NULL AND d.tsv @@ to_tsquery('simple', $4))",
                [sea_orm::Value::from(shop), query.clone().into(), shop.into(), query.into()],
            )
        }
        _ => {
            let query = words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ");
            Expr::cust_with_values(
                "conversations.id IN (SELECT d.conversation_id FROM search_fts JOIN search_documents d ON d.rowid = search_fts.rowid \
                 WHERE search_fts MATCH ? AND d.shop_id = ? AND d.conversation_id IS NOT NULL \
                 UNION SELECT c.id FROM search_fts JOIN search_documents d ON d.rowid = search_fts.rowid \
                 JOIN conversations c ON c.customer_id = d.customer_id \
                 WHERE search_fts MATCH ? AND d.shop_id = ? AND d.conversation_id IS NULL)",
                [sea_orm::Value::from(query.clone()), shop.into(), query.into(), shop.into()],
            )
        }
    };
    q.filter(cond)
}
