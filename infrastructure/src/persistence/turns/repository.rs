//! The turns context's write side, inside a unit of work.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};

use application::turns::ports::{AutomatedResponseRepository, ThreadRepository, TurnOpening, TurnRepository};
use application::{RepoError, RepoResult};
use domain::turns::{AutomatedResponse, Thread, Turn};
use domain::{AccountId, AutomatedResponseId, CustomerId, ShopId, TurnId, WaId};

use super::entities::{automated_responses, threads, turn_messages, turns};
use super::mapping;
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks, pairs_in};

/// `$n` on Postgres, `?n` on SQLite.
pub(crate) fn mark(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => format!("?{n}"),
    }
}

pub struct SeaTurnRepository {
    pub(crate) tx: Txn,
}

const OPEN_COLUMNS: [&str; 16] = [
    "id",
    "shop_id",
    "account_id",
    "customer_id",
    "wa_id",
    "conversation_id",
    "state",
    "first_at",
    "last_at",
    "due_at",
    "cap_at",
    "messages",
    "first_contact",
    "keyword",
    "attempts",
    "replies",
];

#[async_trait]
impl TurnRepository for SeaTurnRepository {
    async fn open(&mut self, openings: &[TurnOpening]) -> RepoResult<()> {
        if openings.is_empty() {
            return Ok(());
        }
        let db = self.tx.as_ref();
        let backend = db.get_database_backend();
        let width = OPEN_COLUMNS.len() + 1;
        let mut ids: std::collections::HashMap<(uuid::Uuid, String), uuid::Uuid> = std::collections::HashMap::new();
        for chunk in chunks(openings, width, |_| 200) {
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * width);
            let mut tuples = Vec::with_capacity(chunk.len());
            for o in chunk {
                let first = values.len();
                values.extend([
                    o.id.as_uuid().into(),
                    o.shop_id.as_uuid().into(),
                    o.account_id.as_uuid().into(),
                    o.customer_id.as_uuid().into(),
                    o.wa_id.to_string().into(),
                    o.conversation_id.as_uuid().into(),
                    "open".into(),
                    o.at.into(),
                    o.at.into(),
                    o.due_at.into(),
                    o.cap_at.into(),
                    (o.messages as i32).into(),
                    o.first_contact.into(),
                    o.keyword.into(),
                    0i32.into(),
                    serde_json::json!([]).into(),
                    o.at.into(),
                ]);
                let marks: Vec<String> = (first..values.len()).map(|i| mark(backend, i + 1)).collect();
                tuples.push(format!("({})", marks.join(", ")));
            }
            // A thread's open turn is extended: due later (never past its cap), its flags or-ed.
            let sql = format!(
                "INSERT INTO turns ({}, created_at) VALUES {} \
                 ON CONFLICT (account_id, wa_id) WHERE state = 'open' DO UPDATE SET \
                 conversation_id = excluded.conversation_id, last_at = excluded.last_at, \
                 due_at = CASE WHEN excluded.due_at < turns.cap_at THEN excluded.due_at ELSE turns.cap_at END, \
                 messages = turns.messages + excluded.messages, \
                 first_contact = (turns.first_contact OR excluded.first_contact), \
                 keyword = (turns.keyword OR excluded.keyword) \
                 RETURNING id, account_id, wa_id",
                OPEN_COLUMNS.join(", "),
                tuples.join(", ")
            );
            let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(repo_err)?;
            for r in rows {
                let id: uuid::Uuid = r.try_get_by_index(0).map_err(repo_err)?;
                let account: uuid::Uuid = r.try_get_by_index(1).map_err(repo_err)?;
                let wa_id: String = r.try_get_by_index(2).map_err(repo_err)?;
                ids.insert((account, wa_id), id);
            }
        }
        let mut rows = Vec::new();
        for o in openings {
            let turn =
                *ids.get(&(o.account_id.as_uuid(), o.wa_id.to_string())).ok_or_else(|| RepoError::Other("a turn was not opened".into()))?;
            for (message, wamid) in &o.wamids {
                rows.push(turn_messages::ActiveModel {
                    message_id: sea_orm::ActiveValue::Set(message.as_uuid()),
                    turn_id: sea_orm::ActiveValue::Set(turn),
                    shop_id: sea_orm::ActiveValue::Set(o.shop_id.as_uuid()),
                    wamid: sea_orm::ActiveValue::Set(wamid.clone()),
                    received_at: sea_orm::ActiveValue::Set(o.at),
                });
            }
        }
        for chunk in rows.chunks(crate::persistence::sql::rows_per_statement(5)) {
            turn_messages::Entity::insert_many(chunk.to_vec()).exec_without_returning(db).await.map_err(repo_err)?;
        }
        Ok(())
    }

    async fn lock(&mut self, shop: ShopId, id: TurnId) -> RepoResult<Option<Turn>> {
        let q = turns::Entity::find_by_id(id.as_uuid()).filter(turns::Column::ShopId.eq(shop.as_uuid())).lock(LockType::Update);
        q.one(self.tx.as_ref()).await.map_err(repo_err)?.map(mapping::turn).transpose()
    }

    async fn save(&mut self, turn: &Turn) -> RepoResult<()> {
        let s = turn.snapshot();
        let res = turns::Entity::update_many()
            .col_expr(turns::Column::State, Expr::value(s.state.as_str()))
            .col_expr(turns::Column::Responder, Expr::value(s.responder.clone()))
            .col_expr(turns::Column::Outcome, Expr::value(s.outcome.map(|o| o.as_str().to_owned())))
            .col_expr(turns::Column::Reason, Expr::value(s.reason.clone()))
            .col_expr(turns::Column::Replies, Expr::value(serde_json::json!(s.replies.iter().map(|m| m.as_uuid()).collect::<Vec<_>>())))
            .col_expr(turns::Column::AnsweredAt, Expr::value(s.answered_at))
            .col_expr(turns::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(turns::Column::Id.eq(s.id.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected != 1 {
            return Err(RepoError::Other(format!("turn {} vanished", s.id).into()));
        }
        Ok(())
    }

    async fn texts(&mut self, id: TurnId) -> RepoResult<Vec<String>> {
        let db = self.tx.as_ref();
        let backend = db.get_database_backend();
        let sql = format!(
            "SELECT m.content FROM turn_messages tm JOIN messages m ON m.id = tm.message_id WHERE tm.turn_id = {} ORDER BY m.timestamp, m.wamid",
            mark(backend, 1)
        );
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [id.as_uuid().into()])).await.map_err(repo_err)?;
        let mut out = Vec::new();
        for r in rows {
            let content: serde_json::Value = r.try_get_by_index(0).map_err(repo_err)?;
            let text = content.get("text").or_else(|| content.get("caption")).and_then(|t| t.as_str());
            if let Some(t) = text {
                out.push(t.to_owned());
            }
        }
        Ok(out)
    }

    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64> {
        let db = self.tx.as_ref();
        let backend = db.get_database_backend();
        let sql = format!(
            "DELETE FROM turn_messages WHERE turn_id IN (SELECT id FROM turns WHERE shop_id = {} AND customer_id = {})",
            mark(backend, 1),
            mark(backend, 2)
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, [shop.as_uuid().into(), customer.as_uuid().into()]))
            .await
            .map_err(repo_err)?;
        let res = turns::Entity::delete_many()
            .filter(turns::Column::ShopId.eq(shop.as_uuid()))
            .filter(turns::Column::CustomerId.eq(customer.as_uuid()))
            .exec(db)
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected)
    }
}

pub struct SeaThreadRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl ThreadRepository for SeaThreadRepository {
    async fn lock(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Thread>> {
        let q = threads::Entity::find()
            .filter(threads::Column::AccountId.eq(account.as_uuid()))
            .filter(threads::Column::WaId.eq(wa_id.to_string()))
            .lock(LockType::Update);
        q.one(self.tx.as_ref()).await.map_err(repo_err)?.map(mapping::thread).transpose()
    }

    async fn lock_many(&mut self, keys: &[(AccountId, WaId)]) -> RepoResult<Vec<Thread>> {
        let mut out = Vec::new();
        for chunk in keys.chunks(500) {
            let pairs = chunk.iter().map(|(a, w)| (Value::from(a.as_uuid()), Value::from(w.to_string())));
            let rows = threads::Entity::find()
                .filter(pairs_in(threads::Column::AccountId, threads::Column::WaId, pairs))
                .order_by_asc(threads::Column::AccountId)
                .order_by_asc(threads::Column::WaId)
                .lock(LockType::Update)
                .all(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            for r in rows {
                out.push(mapping::thread(r)?);
            }
        }
        Ok(out)
    }

    async fn save(&mut self, thread: &Thread) -> RepoResult<()> {
        let loaded = thread.version();
        if loaded == 0 {
            // New: a concurrent transaction may have made the thread first (run again).
            return match mapping::thread_row(thread, 1).insert(self.tx.as_ref()).await.map_err(repo_err) {
                Err(RepoError::Conflict(c)) => Err(RepoError::Concurrency(c)),
                r => r.map(|_| ()),
            };
        }
        let mut row = mapping::thread_row(thread, loaded + 1);
        row.id = sea_orm::ActiveValue::NotSet;
        let res = threads::Entity::update_many()
            .set(row)
            .filter(threads::Column::Id.eq(thread.id().as_uuid()))
            .filter(threads::Column::Version.eq(loaded))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected != 1 {
            return Err(RepoError::Concurrency(format!("thread {} changed since it was read", thread.id()).into()));
        }
        Ok(())
    }

    async fn lock_expired(&mut self, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Thread>> {
        let rows = threads::Entity::find()
            .filter(threads::Column::OwnerExpiresAt.lte(now))
            .filter(threads::Column::Owner.ne("none"))
            .order_by_asc(threads::Column::OwnerExpiresAt)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(mapping::thread).collect()
    }

    async fn erase_customer(&mut self, shop: ShopId, customer: CustomerId) -> RepoResult<u64> {
        let res = threads::Entity::delete_many()
            .filter(threads::Column::ShopId.eq(shop.as_uuid()))
            .filter(threads::Column::CustomerId.eq(customer.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected)
    }
}

pub struct SeaAutomatedResponseRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl AutomatedResponseRepository for SeaAutomatedResponseRepository {
    async fn insert(&mut self, rule: &AutomatedResponse) -> RepoResult<()> {
        mapping::response_row(rule, 1).insert(self.tx.as_ref()).await.map(|_| ()).map_err(repo_err)
    }

    async fn lock(&mut self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<Option<AutomatedResponse>> {
        let q = automated_responses::Entity::find_by_id(id.as_uuid())
            .filter(automated_responses::Column::ShopId.eq(shop.as_uuid()))
            .lock(LockType::Update);
        q.one(self.tx.as_ref()).await.map_err(repo_err)?.map(mapping::response).transpose()
    }

    async fn update(&mut self, rule: &AutomatedResponse) -> RepoResult<()> {
        let loaded = rule.snapshot().version;
        let mut row = mapping::response_row(rule, loaded + 1);
        row.id = sea_orm::ActiveValue::NotSet;
        // The statistics are the matches' own (`record_match`), never overwritten by an edit.
        row.matched_count = sea_orm::ActiveValue::NotSet;
        row.last_matched_at = sea_orm::ActiveValue::NotSet;
        let res = automated_responses::Entity::update_many()
            .set(row)
            .filter(automated_responses::Column::Id.eq(rule.id().as_uuid()))
            .filter(automated_responses::Column::Version.eq(loaded))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if res.rows_affected != 1 {
            return Err(RepoError::Concurrency(format!("automated response {} changed since it was read", rule.id()).into()));
        }
        Ok(())
    }

    async fn delete(&mut self, shop: ShopId, id: AutomatedResponseId) -> RepoResult<bool> {
        let res = automated_responses::Entity::delete_many()
            .filter(automated_responses::Column::Id.eq(id.as_uuid()))
            .filter(automated_responses::Column::ShopId.eq(shop.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected == 1)
    }

    async fn of_shop(&mut self, shop: ShopId) -> RepoResult<Vec<AutomatedResponse>> {
        let rows = automated_responses::Entity::find()
            .filter(automated_responses::Column::ShopId.eq(shop.as_uuid()))
            .order_by_asc(automated_responses::Column::CreatedAt)
            .order_by_asc(automated_responses::Column::Id)
            .all(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(mapping::response).collect()
    }

    async fn record_match(&mut self, shop: ShopId, id: AutomatedResponseId, now: DateTime<Utc>) -> RepoResult<()> {
        use automated_responses::Column as C;
        automated_responses::Entity::update_many()
            .col_expr(C::MatchedCount, Expr::col(C::MatchedCount).add(1))
            .col_expr(C::LastMatchedAt, Expr::value(Some(now)))
            .filter(C::Id.eq(id.as_uuid()))
            .filter(C::ShopId.eq(shop.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(())
    }
}
