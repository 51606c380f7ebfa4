//! The messaging write side, inside a unit of work: conversations, messages and their status
//! reports, and the durable outbound queue. Reads of many rows are one query; writes of many
//! rows are multi-row statements.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use application::RepoResult;
use application::messaging::ports::{
    ConversationRepository, Delivery, DeliveryRepository, IdempotencyRepository, MessageRepository, StatusRecord,
};
use domain::messaging::{Conversation, FirstAnswer, IdempotencyKey, IdempotencyRecord, Message, MessageStatus};
use domain::{AccountId, ConversationId, MessageId, ShopId, WaId};

use super::entities::{conversations, deliveries, idempotency_keys, message_statuses, messages};
use super::{mapping, queries};
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks, insert_returning_ids, json_len, padded, update_columns};

pub struct SeaConversationRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl ConversationRepository for SeaConversationRepository {
    async fn lock_active(&mut self, keys: &[(AccountId, WaId)]) -> RepoResult<Vec<Conversation>> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in chunks(keys, 2, |(_, w)| 40 + w.as_str().len()) {
            out.extend(queries::all_conversations(self.tx.as_ref(), queries::active_by_keys(chunk).lock_exclusive()).await?);
        }
        Ok(out)
    }

    async fn latest(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Conversation>> {
        queries::one_conversation(self.tx.as_ref(), queries::latest(None, Some(account), wa_id)).await
    }

    async fn find(&mut self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>> {
        queries::one_conversation(self.tx.as_ref(), queries::conversation(shop, id)).await
    }

    async fn lock_many(&mut self, ids: &[ConversationId]) -> RepoResult<Vec<Conversation>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in chunks(ids, 1, |_| 24) {
            out.extend(queries::all_conversations(self.tx.as_ref(), queries::conversations_by_ids(chunk).lock_exclusive()).await?);
        }
        Ok(out)
    }

    async fn lock_stale_active(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Conversation>> {
        use sea_orm::sea_query::{LockBehavior, LockType};
        let q = queries::stale_active(before).limit(limit).lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        queries::all_conversations(self.tx.as_ref(), q).await
    }

    async fn insert_many(&mut self, new: &[Conversation]) -> RepoResult<Vec<ConversationId>> {
        let mut inserted = Vec::with_capacity(new.len());
        for chunk in chunks(new, mapping::CONVERSATION_COLUMNS, |_| mapping::CONVERSATION_BYTES) {
            // At most one active conversation per number and customer (a partial unique index).
            let stmt = conversations::Entity::insert_many(chunk.iter().map(mapping::conversation_row))
                .on_conflict(
                    OnConflict::columns([conversations::Column::AccountId, conversations::Column::WaId])
                        .target_and_where(Expr::cust("status = 'active'"))
                        .do_nothing()
                        .to_owned(),
                )
                .into_query();
            let ids = insert_returning_ids(self.tx.as_ref(), stmt, conversations::Column::Id).await.map_err(repo_err)?;
            inserted.extend(ids.into_iter().map(ConversationId::from));
        }
        Ok(inserted)
    }

    async fn update_many(&mut self, changed: &[&Conversation]) -> RepoResult<()> {
        let rows = changed.iter().map(|c| mapping::conversation_changes(c)).collect();
        update_columns(self.tx.as_ref(), "conversations", &mapping::CONVERSATION_CHANGING_COLUMNS, rows).await
    }

    async fn add_unread(&mut self, counts: &[(ConversationId, u32)]) -> RepoResult<()> {
        for (id, n) in counts.iter().filter(|(_, n)| *n > 0) {
            conversations::Entity::update_many()
                .col_expr(conversations::Column::UnreadCount, Expr::col(conversations::Column::UnreadCount).add(*n as i32))
                .filter(conversations::Column::Id.eq(id.as_uuid()))
                .exec(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
        }
        Ok(())
    }

    async fn recount_unread(&mut self, conversation: ConversationId) -> RepoResult<()> {
        use sea_orm::PaginatorTrait;
        // The row first: a batch storing the customer's messages holds it until it commits, so
        // the count below sees them.
        conversations::Entity::find_by_id(conversation.as_uuid()).lock_exclusive().one(self.tx.as_ref()).await.map_err(repo_err)?;
        let unread = messages::Entity::find()
            .filter(messages::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(messages::Column::Direction.eq("inbound"))
            .filter(messages::Column::Status.eq(MessageStatus::Received.as_str()))
            .count(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        conversations::Entity::update_many()
            .col_expr(conversations::Column::UnreadCount, Expr::value(unread as i32))
            .filter(conversations::Column::Id.eq(conversation.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}

pub struct SeaMessageRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl MessageRepository for SeaMessageRepository {
    async fn mark_read_through(&mut self, conversation: ConversationId, through: &Message, now: DateTime<Utc>) -> RepoResult<u64> {
        use sea_orm::Condition;
        let (at, id) = (through.snapshot().timestamp, through.id().as_uuid());
        let earlier = Condition::any()
            .add(messages::Column::Timestamp.lt(at))
            .add(Condition::all().add(messages::Column::Timestamp.eq(at)).add(messages::Column::Id.lte(id)));
        let res = messages::Entity::update_many()
            .col_expr(messages::Column::Status, Expr::value(MessageStatus::Read.as_str()))
            .col_expr(messages::Column::UpdatedAt, Expr::value(now))
            .col_expr(messages::Column::Version, Expr::col(messages::Column::Version).add(1))
            .filter(messages::Column::ConversationId.eq(conversation.as_uuid()))
            .filter(messages::Column::Direction.eq("inbound"))
            .filter(messages::Column::Status.eq(MessageStatus::Received.as_str()))
            .filter(earlier)
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(res.rows_affected)
    }

    async fn existing_wamids(&mut self, wamids: &[String]) -> RepoResult<HashSet<String>> {
        let mut out = HashSet::new();
        for chunk in chunks(wamids, 1, |w| 8 + w.len()) {
            let found: Vec<Option<String>> = messages::Entity::find()
                .select_only()
                .column(messages::Column::Wamid)
                .filter(messages::Column::Wamid.is_in(padded(chunk)))
                .into_tuple()
                .all(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            out.extend(found.into_iter().flatten());
        }
        Ok(out)
    }

    async fn insert_many(&mut self, new: &[Message]) -> RepoResult<Vec<MessageId>> {
        let mut inserted = Vec::with_capacity(new.len());
        for chunk in chunks(new, mapping::MESSAGE_COLUMNS, mapping::message_bytes) {
            let stmt = messages::Entity::insert_many(chunk.iter().map(mapping::message_row))
                .on_conflict(OnConflict::column(messages::Column::Wamid).do_nothing().to_owned())
                .into_query();
            let ids = insert_returning_ids(self.tx.as_ref(), stmt, messages::Column::Id).await.map_err(repo_err)?;
            inserted.extend(ids.into_iter().map(MessageId::from));
        }
        // Searchable in the same transaction (docs/INBOX.md); a duplicate was not stored.
        let stored: HashSet<MessageId> = inserted.iter().copied().collect();
        let stored: Vec<&Message> = new.iter().filter(|m| stored.contains(&m.id())).collect();
        crate::persistence::inbox::search::index_messages(self.tx.as_ref(), &stored).await?;
        Ok(inserted)
    }

    async fn lock(&mut self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>> {
        queries::one_message(self.tx.as_ref(), queries::message(shop, id).lock_exclusive()).await
    }

    async fn lock_many(&mut self, ids: &[MessageId]) -> RepoResult<Vec<Message>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in chunks(ids, 1, |_| 24) {
            out.extend(queries::all_messages(self.tx.as_ref(), queries::messages_by_ids(chunk).lock_exclusive()).await?);
        }
        Ok(out)
    }

    async fn lock_by_wamids(&mut self, wamids: &[String]) -> RepoResult<Vec<Message>> {
        let mut out = Vec::with_capacity(wamids.len());
        for chunk in chunks(wamids, 1, |w| 8 + w.len()) {
            out.extend(queries::all_messages(self.tx.as_ref(), queries::messages_by_wamids(chunk).lock_exclusive()).await?);
        }
        Ok(out)
    }

    async fn update_many(&mut self, changed: &[&Message]) -> RepoResult<()> {
        // After it is stored, only a message's delivery facts change: only they are written.
        let rows = changed.iter().map(|m| mapping::message_changes(m)).collect();
        update_columns(self.tx.as_ref(), "messages", &mapping::MESSAGE_CHANGING_COLUMNS, rows).await
    }

    async fn insert_statuses(&mut self, statuses: &[StatusRecord], received_at: DateTime<Utc>) -> RepoResult<Vec<(String, MessageStatus)>> {
        let mut by_id: HashMap<uuid::Uuid, (String, MessageStatus)> = HashMap::with_capacity(statuses.len());
        let mut inserted = Vec::with_capacity(statuses.len());
        for chunk in chunks(statuses, mapping::STATUS_COLUMNS, |s| 110 + s.wamid.len() + json_len(&s.payload)) {
            let rows: Vec<message_statuses::ActiveModel> = chunk
                .iter()
                .map(|s| {
                    let id = uuid::Uuid::now_v7();
                    by_id.insert(id, (s.wamid.clone(), s.status));
                    message_statuses::ActiveModel {
                        id: Set(id),
                        wamid: Set(s.wamid.clone()),
                        status: Set(s.status.as_str().to_owned()),
                        occurred_at: Set(s.occurred_at),
                        payload: Set(s.payload.clone()),
                        received_at: Set(received_at),
                    }
                })
                .collect();
            let stmt = message_statuses::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([message_statuses::Column::Wamid, message_statuses::Column::Status]).do_nothing().to_owned(),
                )
                .into_query();
            let ids = insert_returning_ids(self.tx.as_ref(), stmt, message_statuses::Column::Id).await.map_err(repo_err)?;
            inserted.extend(ids.into_iter().filter_map(|id| by_id.remove(&id)));
        }
        Ok(inserted)
    }

    async fn statuses_for(&mut self, wamids: &[String]) -> RepoResult<Vec<StatusRecord>> {
        let mut out = Vec::new();
        for chunk in chunks(wamids, 1, |w| 8 + w.len()) {
            let rows = message_statuses::Entity::find()
                .filter(message_statuses::Column::Wamid.is_in(padded(chunk)))
                .all(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            out.extend(rows.into_iter().filter_map(mapping::status));
        }
        Ok(out)
    }

    async fn erase_customer(&mut self, shop: ShopId, customer: domain::CustomerId, pseudonym: &WaId) -> RepoResult<u64> {
        use messages::Column as M;
        crate::persistence::inbox::search::forget_customer(self.tx.as_ref(), shop, customer).await?;
        let erased = serde_json::to_value(domain::messaging::MessageContent::Erased).unwrap_or_default();
        let phone = pseudonym.to_phone();
        let mine = || messages::Entity::update_many().filter(M::ShopId.eq(shop.as_uuid())).filter(M::CustomerId.eq(customer.as_uuid()));
        let r = mine()
            .col_expr(M::Content, Expr::value(erased))
            .col_expr(M::ContentType, Expr::value("erased"))
            .col_expr(M::Context, Expr::value(Option::<serde_json::Value>::None))
            .col_expr(M::Referral, Expr::value(Option::<serde_json::Value>::None))
            .col_expr(M::UserId, Expr::value(Option::<String>::None))
            .col_expr(M::WaId, Expr::value(pseudonym.as_str()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        mine()
            .filter(M::Direction.eq("inbound"))
            .col_expr(M::FromNumber, Expr::value(phone.as_str()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        mine()
            .filter(M::Direction.eq("outbound"))
            .col_expr(M::ToNumber, Expr::value(phone.as_str()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        conversations::Entity::update_many()
            .filter(conversations::Column::ShopId.eq(shop.as_uuid()))
            .filter(conversations::Column::CustomerId.eq(customer.as_uuid()))
            .col_expr(conversations::Column::WaId, Expr::value(pseudonym.as_str()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        let queued = messages::Entity::find()
            .select_only()
            .column(M::Id)
            .filter(M::ShopId.eq(shop.as_uuid()))
            .filter(M::CustomerId.eq(customer.as_uuid()))
            .into_query();
        idempotency_keys::Entity::delete_many()
            .filter(idempotency_keys::Column::ShopId.eq(shop.as_uuid()))
            .filter(idempotency_keys::Column::MessageId.in_subquery(queued.clone()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        deliveries::Entity::update_many()
            .filter(deliveries::Column::MessageId.in_subquery(queued))
            .col_expr(deliveries::Column::WaId, Expr::value(pseudonym.as_str()))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        Ok(r.rows_affected)
    }
}

pub struct SeaDeliveryRepository {
    pub(crate) tx: Txn,
}

#[async_trait]
impl DeliveryRepository for SeaDeliveryRepository {
    async fn enqueue(&mut self, d: &Delivery) -> RepoResult<()> {
        deliveries::ActiveModel {
            message_id: Set(d.message_id.as_uuid()),
            shop_id: Set(d.shop_id.as_uuid()),
            account_id: Set(d.account_id.as_uuid()),
            wa_id: Set(d.wa_id.to_string()),
            priority: Set(d.priority),
            state: Set("pending".into()),
            attempts: Set(d.attempts),
            pair_retries: Set(d.pair_retries),
            next_attempt_at: Set(d.next_attempt_at),
            claimed_by: Set(None),
            claimed_at: Set(None),
            last_error: Set(None),
            created_at: Set(d.created_at),
        }
        .insert(self.tx.as_ref())
        .await
        .map(|_| ())
        .map_err(repo_err)
    }

    async fn get_many(&mut self, ids: &[MessageId]) -> RepoResult<Vec<Delivery>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in chunks(ids, 1, |_| 24) {
            let rows = deliveries::Entity::find()
                .filter(deliveries::Column::MessageId.is_in(padded(chunk).into_iter().map(|i| i.as_uuid())))
                .all(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
            for r in rows {
                out.push(mapping::delivery(r)?);
            }
        }
        Ok(out)
    }

    async fn reschedule(&mut self, d: &Delivery, last_error: Option<&str>) -> RepoResult<()> {
        deliveries::Entity::update_many()
            .col_expr(deliveries::Column::State, Expr::value("pending"))
            .col_expr(deliveries::Column::Attempts, Expr::value(d.attempts))
            .col_expr(deliveries::Column::PairRetries, Expr::value(d.pair_retries))
            .col_expr(deliveries::Column::NextAttemptAt, Expr::value(d.next_attempt_at))
            .col_expr(deliveries::Column::ClaimedBy, Expr::value(Option::<String>::None))
            .col_expr(deliveries::Column::LastError, Expr::value(last_error.map(str::to_owned)))
            .filter(deliveries::Column::MessageId.eq(d.message_id.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn finish_many(&mut self, ids: &[MessageId]) -> RepoResult<()> {
        for chunk in chunks(ids, 1, |_| 24) {
            deliveries::Entity::delete_many()
                .filter(deliveries::Column::MessageId.is_in(padded(chunk).into_iter().map(|i| i.as_uuid())))
                .exec(self.tx.as_ref())
                .await
                .map_err(repo_err)?;
        }
        Ok(())
    }
}

pub struct SeaIdempotencyRepository {
    pub(crate) tx: Txn,
}

pub(crate) fn idempotency_record(m: idempotency_keys::Model) -> RepoResult<IdempotencyRecord> {
    let corrupt = |what: &str| application::RepoError::Corrupt(format!("idempotency key of shop {}: {what}", m.shop_id).into());
    let key = IdempotencyKey::parse(&m.key).map_err(|_| corrupt("the key does not parse"))?;
    let answer = match (m.answer_status, &m.answer_body) {
        (Some(status), Some(body)) => Some(FirstAnswer {
            status: u16::try_from(status).map_err(|_| corrupt("the answer's status"))?,
            body: serde_json::from_str(body).map_err(|_| corrupt("the answer's body"))?,
        }),
        _ => None,
    };
    Ok(IdempotencyRecord {
        shop_id: m.shop_id.into(),
        key,
        fingerprint: m.fingerprint,
        message_id: m.message_id.map(Into::into),
        answer,
        created_at: m.created_at,
    })
}

#[async_trait]
impl IdempotencyRepository for SeaIdempotencyRepository {
    async fn claim(&mut self, r: &IdempotencyRecord) -> RepoResult<Option<IdempotencyRecord>> {
        use idempotency_keys::Column as K;
        let row = idempotency_keys::ActiveModel {
            shop_id: Set(r.shop_id.as_uuid()),
            key: Set(r.key.as_str().to_owned()),
            fingerprint: Set(r.fingerprint.clone()),
            message_id: Set(r.message_id.map(|m| m.as_uuid())),
            answer_status: Set(None),
            answer_body: Set(None),
            created_at: Set(r.created_at),
        };
        // Postgres waits here for a concurrent transaction that inserted the same key, then
        // does nothing if it committed; the read below sees its row.
        let inserted = idempotency_keys::Entity::insert(row)
            .on_conflict(OnConflict::columns([K::ShopId, K::Key]).do_nothing().to_owned())
            .exec_without_returning(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if inserted == 1 {
            return Ok(None);
        }
        let known = idempotency_keys::Entity::find_by_id((r.shop_id.as_uuid(), r.key.as_str().to_owned()))
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?
            .ok_or_else(|| application::RepoError::Concurrency("an idempotency key was forgotten while it was claimed".into()))?;
        idempotency_record(known).map(Some)
    }

    async fn renew(&mut self, expired: &IdempotencyRecord, r: &IdempotencyRecord) -> RepoResult<()> {
        use idempotency_keys::Column as K;
        let done = idempotency_keys::Entity::update_many()
            .filter(K::ShopId.eq(r.shop_id.as_uuid()))
            .filter(K::Key.eq(r.key.as_str()))
            .filter(K::CreatedAt.eq(expired.created_at))
            .col_expr(K::Fingerprint, Expr::value(r.fingerprint.as_str()))
            .col_expr(K::MessageId, Expr::value(Option::<uuid::Uuid>::None))
            .col_expr(K::AnswerStatus, Expr::value(Option::<i32>::None))
            .col_expr(K::AnswerBody, Expr::value(Option::<String>::None))
            .col_expr(K::CreatedAt, Expr::value(r.created_at))
            .exec(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        if done.rows_affected != 1 {
            return Err(application::RepoError::Concurrency("an expired idempotency key was renewed by a concurrent request".into()));
        }
        Ok(())
    }

    async fn attach(&mut self, shop: ShopId, key: &IdempotencyKey, message: MessageId) -> RepoResult<()> {
        use idempotency_keys::Column as K;
        idempotency_keys::Entity::update_many()
            .filter(K::ShopId.eq(shop.as_uuid()))
            .filter(K::Key.eq(key.as_str()))
            .col_expr(K::MessageId, Expr::value(message.as_uuid()))
            .exec(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn answer(&mut self, shop: ShopId, key: &IdempotencyKey, answer: &FirstAnswer) -> RepoResult<()> {
        use idempotency_keys::Column as K;
        idempotency_keys::Entity::update_many()
            .filter(K::ShopId.eq(shop.as_uuid()))
            .filter(K::Key.eq(key.as_str()))
            .filter(K::AnswerStatus.is_null())
            .col_expr(K::AnswerStatus, Expr::value(i32::from(answer.status)))
            .col_expr(K::AnswerBody, Expr::value(answer.body.to_string()))
            .exec(self.tx.as_ref())
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn prune(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<u64> {
        use idempotency_keys::Column as K;
        // The batch ends at the `limit`-th oldest key (ties go with it).
        let edge: Option<DateTime<Utc>> = idempotency_keys::Entity::find()
            .select_only()
            .column(K::CreatedAt)
            .filter(K::CreatedAt.lt(before))
            .order_by_asc(K::CreatedAt)
            .offset(limit.saturating_sub(1))
            .limit(1)
            .into_tuple()
            .one(self.tx.as_ref())
            .await
            .map_err(repo_err)?;
        let q = idempotency_keys::Entity::delete_many().filter(K::CreatedAt.lt(before));
        let q = match edge {
            Some(edge) => q.filter(K::CreatedAt.lte(edge)),
            None => q,
        };
        Ok(q.exec(self.tx.as_ref()).await.map_err(repo_err)?.rows_affected)
    }
}
