//! The unit of work: one database transaction implementing every write-side repository port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, TransactionTrait, TryInsertResult,
};
use tokio::sync::OwnedMutexGuard;

use application::ports::*;
use domain::account::WhatsAppAccount;
use domain::conversation::Conversation;
use domain::customer::Customer;
use domain::events::DomainEvent;
use domain::message::{Message, MessageStatus};
use domain::phone::{PhoneNumber, PhoneNumberId, WaId};
use domain::{AccountId, ConversationId, MessageId, ShopId};

use super::entities::*;
use super::{Db, mapping, repo_err};

pub struct SeaUnitOfWorkFactory {
    db: Db,
}

impl SeaUnitOfWorkFactory {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UnitOfWorkFactory for SeaUnitOfWorkFactory {
    async fn begin(&self) -> RepoResult<Box<dyn UnitOfWork>> {
        let guard = match &self.db.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self.db.conn.begin().await.map_err(repo_err)?;
        Ok(Box::new(SeaUnitOfWork { txn, _guard: guard }))
    }
}

pub struct SeaUnitOfWork {
    txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

#[async_trait]
impl UnitOfWork for SeaUnitOfWork {
    async fn commit(self: Box<Self>) -> RepoResult<()> {
        self.txn.commit().await.map_err(repo_err)
    }
}

#[async_trait]
impl ShopRepository for SeaUnitOfWork {
    async fn insert_shop(&mut self, shop: &Shop) -> RepoResult<()> {
        shops::ActiveModel { id: Set(shop.id.as_uuid()), name: Set(shop.name.clone()), created_at: Set(shop.created_at) }
            .insert(&self.txn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn shop_exists(&mut self, id: ShopId) -> RepoResult<bool> {
        Ok(shops::Entity::find_by_id(id.as_uuid()).one(&self.txn).await.map_err(repo_err)?.is_some())
    }

    async fn insert_api_key(&mut self, key: &ApiKeyRecord) -> RepoResult<()> {
        api_keys::ActiveModel {
            id: Set(key.id.as_uuid()),
            shop_id: Set(key.shop_id.as_uuid()),
            name: Set(key.name.clone()),
            role: Set(key.role.as_str().to_owned()),
            key_hash: Set(key.key_hash.clone()),
            key_prefix: Set(key.key_prefix.clone()),
            created_at: Set(key.created_at),
            revoked_at: Set(None),
        }
        .insert(&self.txn)
        .await
        .map(|_| ())
        .map_err(repo_err)
    }
}

#[async_trait]
impl AccountRepository for SeaUnitOfWork {
    async fn insert_account(&mut self, account: &WhatsAppAccount, encrypted_token: &str) -> RepoResult<()> {
        mapping::account_row(account, Some(encrypted_token)).insert(&self.txn).await.map(|_| ()).map_err(repo_err)
    }

    async fn update_account(&mut self, account: &WhatsAppAccount, encrypted_token: Option<&str>) -> RepoResult<()> {
        mapping::account_row(account, encrypted_token).update(&self.txn).await.map(|_| ()).map_err(repo_err)
    }

    async fn account(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
        whatsapp_accounts::Entity::find_by_id(id.as_uuid())
            .filter(whatsapp_accounts::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::account)
            .transpose()
    }

    async fn account_by_phone_number_id(&mut self, id: &PhoneNumberId) -> RepoResult<Option<WhatsAppAccount>> {
        whatsapp_accounts::Entity::find()
            .filter(whatsapp_accounts::Column::PhoneNumberId.eq(id.as_str()))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::account)
            .transpose()
    }

    async fn account_by_display_number(&mut self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>> {
        whatsapp_accounts::Entity::find()
            .filter(whatsapp_accounts::Column::ShopId.eq(shop.as_uuid()))
            .filter(whatsapp_accounts::Column::DisplayPhoneNumber.eq(number.as_str()))
            .filter(whatsapp_accounts::Column::Status.ne("disconnected"))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::account)
            .transpose()
    }

    async fn accounts_by_waba(&mut self, waba: &domain::phone::WabaId) -> RepoResult<Vec<WhatsAppAccount>> {
        whatsapp_accounts::Entity::find()
            .filter(whatsapp_accounts::Column::WabaId.eq(waba.as_str()))
            .filter(whatsapp_accounts::Column::Status.ne("disconnected"))
            .all(&self.txn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::account)
            .collect()
    }

    async fn encrypted_token(&mut self, id: AccountId) -> RepoResult<Option<String>> {
        Ok(whatsapp_accounts::Entity::find_by_id(id.as_uuid()).one(&self.txn).await.map_err(repo_err)?.map(|m| m.access_token_encrypted))
    }
}

#[async_trait]
impl CustomerRepository for SeaUnitOfWork {
    async fn customer_by_wa_id(&mut self, shop: ShopId, wa_id: &WaId) -> RepoResult<Option<Customer>> {
        customers::Entity::find()
            .filter(customers::Column::ShopId.eq(shop.as_uuid()))
            .filter(customers::Column::WaId.eq(wa_id.as_str()))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::customer)
            .transpose()
    }

    async fn save_customer(&mut self, customer: &Customer, is_new: bool) -> RepoResult<()> {
        let row = mapping::customer_row(customer);
        if is_new { row.insert(&self.txn).await.map(|_| ()) } else { row.update(&self.txn).await.map(|_| ()) }.map_err(repo_err)
    }
}

#[async_trait]
impl ConversationRepository for SeaUnitOfWork {
    async fn conversation(&mut self, shop: ShopId, id: ConversationId) -> RepoResult<Option<Conversation>> {
        conversations::Entity::find_by_id(id.as_uuid())
            .filter(conversations::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::conversation)
            .transpose()
    }

    async fn latest_conversation(&mut self, account: AccountId, wa_id: &WaId) -> RepoResult<Option<Conversation>> {
        conversations::Entity::find()
            .filter(conversations::Column::AccountId.eq(account.as_uuid()))
            .filter(conversations::Column::WaId.eq(wa_id.as_str()))
            .order_by_desc(conversations::Column::StartedAt)
            .order_by_desc(conversations::Column::Id)
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::conversation)
            .transpose()
    }

    async fn save_conversation(&mut self, c: &Conversation, is_new: bool) -> RepoResult<()> {
        let row = mapping::conversation_row(c);
        if is_new { row.insert(&self.txn).await.map(|_| ()) } else { row.update(&self.txn).await.map(|_| ()) }.map_err(repo_err)
    }
}

#[async_trait]
impl DeliveryRepository for SeaUnitOfWork {
    async fn enqueue_delivery(&mut self, d: &Delivery) -> RepoResult<()> {
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
        .insert(&self.txn)
        .await
        .map(|_| ())
        .map_err(repo_err)
    }

    async fn delivery(&mut self, message: MessageId) -> RepoResult<Option<Delivery>> {
        deliveries::Entity::find_by_id(message.as_uuid()).one(&self.txn).await.map_err(repo_err)?.map(mapping::delivery).transpose()
    }

    async fn reschedule_delivery(&mut self, d: &Delivery, last_error: Option<&str>) -> RepoResult<()> {
        use sea_orm::sea_query::Expr;
        deliveries::Entity::update_many()
            .col_expr(deliveries::Column::State, Expr::value("pending"))
            .col_expr(deliveries::Column::Attempts, Expr::value(d.attempts))
            .col_expr(deliveries::Column::PairRetries, Expr::value(d.pair_retries))
            .col_expr(deliveries::Column::NextAttemptAt, Expr::value(d.next_attempt_at))
            .col_expr(deliveries::Column::ClaimedBy, Expr::value(Option::<String>::None))
            .col_expr(deliveries::Column::LastError, Expr::value(last_error.map(str::to_owned)))
            .filter(deliveries::Column::MessageId.eq(d.message_id.as_uuid()))
            .exec(&self.txn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }

    async fn finish_delivery(&mut self, message: MessageId) -> RepoResult<()> {
        deliveries::Entity::delete_by_id(message.as_uuid()).exec(&self.txn).await.map(|_| ()).map_err(repo_err)
    }
}

#[async_trait]
impl TemplateRepository for SeaUnitOfWork {
    async fn template_status(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<TemplateStatusRecord>> {
        Ok(templates::Entity::find()
            .filter(templates::Column::ShopId.eq(shop.as_uuid()))
            .filter(templates::Column::MetaTemplateId.eq(meta_template_id))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(|m| TemplateStatusRecord {
                shop_id: m.shop_id.into(),
                waba_id: m.waba_id,
                meta_template_id: m.meta_template_id,
                name: m.name,
                language: m.language,
                status: m.status,
                reason: m.reason,
                updated_at: m.updated_at,
            }))
    }

    async fn save_template_status(&mut self, r: &TemplateStatusRecord) -> RepoResult<()> {
        use sea_orm::sea_query::OnConflict;
        let row = templates::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            shop_id: Set(r.shop_id.as_uuid()),
            waba_id: Set(r.waba_id.clone()),
            meta_template_id: Set(r.meta_template_id.clone()),
            name: Set(r.name.clone()),
            language: Set(r.language.clone()),
            status: Set(r.status.clone()),
            reason: Set(r.reason.clone()),
            updated_at: Set(r.updated_at),
        };
        templates::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([templates::Column::ShopId, templates::Column::MetaTemplateId])
                    .update_columns([
                        templates::Column::Name,
                        templates::Column::Language,
                        templates::Column::Status,
                        templates::Column::Reason,
                        templates::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.txn)
            .await
            .map(|_| ())
            .map_err(repo_err)
    }
}

#[async_trait]
impl ConversationMaintenance for SeaUnitOfWork {
    async fn stale_active_conversations(&mut self, before: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Conversation>> {
        use sea_orm::QuerySelect;
        use sea_orm::sea_query::Condition;
        conversations::Entity::find()
            .filter(conversations::Column::Status.eq("active"))
            .filter(
                Condition::any().add(conversations::Column::LastInboundAt.lt(before)).add(
                    Condition::all().add(conversations::Column::LastInboundAt.is_null()).add(conversations::Column::StartedAt.lt(before)),
                ),
            )
            .order_by_asc(conversations::Column::LastMessageAt)
            .limit(limit)
            .all(&self.txn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(mapping::conversation)
            .collect()
    }
}

#[async_trait]
impl MessageRepository for SeaUnitOfWork {
    async fn insert_message(&mut self, message: &Message) -> RepoResult<bool> {
        let res = messages::Entity::insert(mapping::message_row(message))
            .on_conflict_do_nothing_on([messages::Column::Wamid])
            .exec_without_returning(&self.txn)
            .await
            .map_err(repo_err)?;
        Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
    }

    async fn update_message(&mut self, message: &Message) -> RepoResult<()> {
        mapping::message_row(message).update(&self.txn).await.map(|_| ()).map_err(repo_err)
    }

    async fn message(&mut self, shop: ShopId, id: MessageId) -> RepoResult<Option<Message>> {
        messages::Entity::find_by_id(id.as_uuid())
            .filter(messages::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::message)
            .transpose()
    }

    async fn message_by_wamid(&mut self, wamid: &str) -> RepoResult<Option<Message>> {
        messages::Entity::find()
            .filter(messages::Column::Wamid.eq(wamid))
            .one(&self.txn)
            .await
            .map_err(repo_err)?
            .map(mapping::message)
            .transpose()
    }

    async fn insert_status(&mut self, wamid: &str, status: &StoredStatus, received_at: DateTime<Utc>) -> RepoResult<bool> {
        let row = message_statuses::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            wamid: Set(wamid.to_owned()),
            status: Set(status.status.as_str().to_owned()),
            occurred_at: Set(status.occurred_at),
            payload: Set(status.payload.clone()),
            received_at: Set(received_at),
        };
        let res = message_statuses::Entity::insert(row)
            .on_conflict_do_nothing_on([message_statuses::Column::Wamid, message_statuses::Column::Status])
            .exec_without_returning(&self.txn)
            .await
            .map_err(repo_err)?;
        Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
    }

    async fn statuses_for(&mut self, wamid: &str) -> RepoResult<Vec<StoredStatus>> {
        let rows =
            message_statuses::Entity::find().filter(message_statuses::Column::Wamid.eq(wamid)).all(&self.txn).await.map_err(repo_err)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Some(StoredStatus { status: MessageStatus::parse(&r.status)?, occurred_at: r.occurred_at, payload: r.payload }))
            .collect())
    }
}

#[async_trait]
impl Outbox for SeaUnitOfWork {
    async fn append(&mut self, events: &[DomainEvent], recorded_at: DateTime<Utc>) -> RepoResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let rows = events.iter().map(|e| {
            let id = uuid::Uuid::now_v7();
            outbox::ActiveModel {
                seq: Default::default(),
                event_id: Set(id),
                shop_id: Set(e.shop_id().as_uuid()),
                event_type: Set(e.short_type().to_owned()),
                subject: Set(e.subject()),
                envelope: Set(mapping::cloud_event(e, id, recorded_at)),
                created_at: Set(recorded_at),
                published_at: Set(None),
            }
        });
        outbox::Entity::insert_many(rows).exec_without_returning(&self.txn).await.map(|_| ()).map_err(repo_err)
    }
}

#[async_trait]
impl WebhookEventRepository for SeaUnitOfWork {
    async fn mark_webhook(
        &mut self,
        id: uuid::Uuid,
        state: WebhookState,
        fields: Option<&str>,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> RepoResult<()> {
        // One statement: the stored body is not read back just to change its state.
        use sea_orm::sea_query::{Expr, ExprTrait};
        let res = webhook_events::Entity::update_many()
            .col_expr(webhook_events::Column::State, Expr::value(state.as_str()))
            .col_expr(webhook_events::Column::Fields, Expr::value(fields.map(str::to_owned)))
            .col_expr(webhook_events::Column::Note, Expr::value(note.map(str::to_owned)))
            .col_expr(webhook_events::Column::ProcessedAt, Expr::value(Some(at)))
            .col_expr(webhook_events::Column::Attempts, Expr::col(webhook_events::Column::Attempts).add(1))
            .filter(webhook_events::Column::Id.eq(id))
            .exec(&self.txn)
            .await
            .map_err(repo_err)?;
        if res.rows_affected == 0 {
            return Err(RepoError::Other(format!("webhook event {id} not found")));
        }
        Ok(())
    }
}
