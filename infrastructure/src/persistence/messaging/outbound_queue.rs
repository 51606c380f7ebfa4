//! The dispatcher's side of the durable outbound queue.
//!
//! A claim is a conditional update (`state = 'pending'` → `'sending'`, returning the rows it
//! changed), so two replicas never take the same message. `sending` is written before Meta is
//! called: a row still `sending` long after its claim belongs to a process that died mid-call,
//! and its outcome is unknown (docs/adr/0006).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};

use application::RepoResult;
use application::messaging::ports::{Delivery, OutboundQueue};
use domain::accounts::WhatsAppAccount;
use domain::messaging::Message;
use domain::{AccountId, MessageId};

use super::entities::{deliveries, messages};
use super::mapping;
use crate::persistence::accounts::entities::whatsapp_accounts;
use crate::persistence::sql::chunks;
use crate::persistence::{Db, repo_err};

#[derive(Clone)]
pub struct SeaOutboundQueue {
    db: Db,
}

impl SeaOutboundQueue {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    async fn mark_chunk_sending(&self, ids: &[MessageId], holder: &str, now: DateTime<Utc>) -> RepoResult<Vec<MessageId>> {
        let backend = self.db.backend();
        let placeholders: Vec<String> = (0..ids.len())
            .map(|i| match backend {
                DbBackend::Postgres => format!("${}", i + 3),
                _ => format!("?{}", i + 3),
            })
            .collect();
        let (p1, p2) = match backend {
            DbBackend::Postgres => ("$1", "$2"),
            _ => ("?1", "?2"),
        };
        let sql = format!(
            "UPDATE deliveries SET state = 'sending', claimed_by = {p1}, claimed_at = {p2} \
             WHERE state = 'pending' AND message_id IN ({}) RETURNING message_id",
            placeholders.join(", ")
        );
        let mut values: Vec<sea_orm::Value> = vec![holder.into(), now.into()];
        values.extend(ids.iter().map(|i| sea_orm::Value::from(i.as_uuid())));
        let _guard = self.db.write_guard().await;
        let rows = self.db.conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await.map_err(repo_err)?;
        rows.iter().map(|r| r.try_get_by_index::<uuid::Uuid>(0).map(MessageId::from).map_err(repo_err)).collect()
    }
}

#[async_trait]
impl OutboundQueue for SeaOutboundQueue {
    /// Accounts with at least one due message.
    async fn due_accounts(&self, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<AccountId>> {
        let rows: Vec<uuid::Uuid> = deliveries::Entity::find()
            .select_only()
            .column(deliveries::Column::AccountId)
            .distinct()
            .filter(deliveries::Column::State.eq("pending"))
            .filter(deliveries::Column::NextAttemptAt.lte(now))
            .limit(limit)
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(AccountId::from).collect())
    }

    /// Accounts (with their encrypted tokens) by id.
    async fn accounts(&self, ids: &[AccountId]) -> RepoResult<Vec<(WhatsAppAccount, String)>> {
        let rows = whatsapp_accounts::Entity::find()
            .filter(whatsapp_accounts::Column::Id.is_in(ids.iter().map(|a| a.as_uuid())))
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        rows.into_iter()
            .map(|r| {
                let token = r.access_token_encrypted.clone();
                crate::persistence::accounts::mapping::account(r).map(|a| (a, token))
            })
            .collect()
    }

    /// Due messages of one account, most urgent first.
    async fn candidates(&self, account: AccountId, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Delivery>> {
        deliveries::Entity::find()
            .filter(deliveries::Column::AccountId.eq(account.as_uuid()))
            .filter(deliveries::Column::State.eq("pending"))
            .filter(deliveries::Column::NextAttemptAt.lte(now))
            .order_by_desc(deliveries::Column::Priority)
            .order_by_asc(deliveries::Column::CreatedAt)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::delivery)
            .collect()
    }

    /// Claim these for sending; returns the ids this holder got.
    async fn mark_sending(&self, ids: &[MessageId], holder: &str, now: DateTime<Utc>) -> RepoResult<Vec<MessageId>> {
        let mut claimed = Vec::with_capacity(ids.len());
        for chunk in chunks(ids, 1, |_| 24) {
            claimed.extend(self.mark_chunk_sending(chunk, holder, now).await?);
        }
        Ok(claimed)
    }

    /// Not now: due again at `at` (the pair rate for that recipient).
    async fn defer(&self, id: MessageId, at: DateTime<Utc>) -> RepoResult<()> {
        let _guard = self.db.write_guard().await;
        deliveries::Entity::update_many()
            .col_expr(deliveries::Column::NextAttemptAt, Expr::value(at))
            .filter(deliveries::Column::MessageId.eq(id.as_uuid()))
            .filter(deliveries::Column::State.eq("pending"))
            .exec(&self.db.conn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    /// Messages to send, by id (system-wide: the dispatcher serves every shop).
    async fn messages(&self, ids: &[MessageId]) -> RepoResult<Vec<Message>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in chunks(ids, 1, |_| 24) {
            let rows = messages::Entity::find()
                .filter(messages::Column::Id.is_in(chunk.iter().map(|i| i.as_uuid())))
                .all(&self.db.conn)
                .await
                .map_err(repo_err)?;
            for r in rows {
                out.push(mapping::message(r)?);
            }
        }
        Ok(out)
    }

    /// Rows claimed before `before` and still `sending`: their process died mid-call.
    async fn stale_sending(&self, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Delivery>> {
        deliveries::Entity::find()
            .filter(deliveries::Column::State.eq("sending"))
            .filter(deliveries::Column::ClaimedAt.lt(before))
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::delivery)
            .collect()
    }

    /// How many messages wait (for the backlog gauge).
    async fn pending_count(&self) -> RepoResult<u64> {
        use sea_orm::PaginatorTrait;
        deliveries::Entity::find().filter(deliveries::Column::State.eq("pending")).count(&self.db.conn).await.map_err(repo_err)
    }
}
