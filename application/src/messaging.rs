//! Messaging use cases: inbound webhook processing, outbound sends, statuses, read receipts.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use validator::Validate;

use crate::delivery::{Decision, FailReason, decide};
use crate::error::AppError;
use crate::pipeline::{Command, CommandHandler, Pipeline, RequestContext};
use crate::ports::{
    Clock, CloudApi, CloudApiError, CloudApiErrorKind, Delivery, SecretCipher, SendReceipt, SenderCredentials, StoredStatus,
    TemplateStatusRecord, UnitOfWork, WebhookState,
};
use crate::webhook::{self, Contact, MessagesValue};
use domain::account::WhatsAppAccount;
use domain::content::{MessageContent, TemplateRef};
use domain::conversation::{Conversation, Origin, SendRefusal, choose_outbound};
use domain::customer::{ConsentSource, Customer, OptInStatus};
use domain::events::{DomainEvent, MessageStatusUpdated};
use domain::message::{Direction, Message, MessageError, MessageKind, MessageStatus};
use domain::phone::{PhoneNumber, PhoneNumberId, WaId};
use domain::window;
use domain::{MessageId, ShopId};

// ---------------------------------------------------------------- outbound

/// Step 1 of a send: decide free-form or template by the window and record the message as
/// `queued`, in one transaction. Nothing reaches Meta if this refuses.
#[derive(Validate)]
pub struct PrepareOutbound {
    pub shop_id: ShopId,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub content: Option<MessageContent>,
    pub template: Option<TemplateRef>,
    pub force_template: bool,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub user_id: Option<String>,
    #[validate(length(min = 1, max = 256, message = "must be a wamid"))]
    pub reply_to: Option<String>,
}

impl fmt::Debug for PrepareOutbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Message bodies are customer data: only their type is logged.
        f.debug_struct("PrepareOutbound")
            .field("shop_id", &self.shop_id)
            .field("content_type", &self.content.as_ref().map(MessageContent::type_name))
            .field("template", &self.template.as_ref().map(|t| (&t.name, &t.language)))
            .field("force_template", &self.force_template)
            .finish_non_exhaustive()
    }
}

impl Command for PrepareOutbound {
    type Output = Message;
    const NAME: &'static str = "SendMessage";
}

/// What the Cloud API answered for one queued message.
#[derive(Debug)]
pub struct DeliveryOutcome {
    pub message_id: MessageId,
    pub shop_id: ShopId,
    pub result: Result<SendReceipt, CloudApiError>,
}

/// Step 2 of a send (the dispatcher): record a batch of outcomes in one transaction, applying
/// the delivery policy (`crate::delivery::decide`).
#[derive(Debug, Validate)]
pub struct RecordDeliveryOutcomes {
    pub outcomes: Vec<DeliveryOutcome>,
    /// Backoff base for transient failures (seed 002: 500 ms).
    pub retry_base: std::time::Duration,
}

/// Where a message ended up after an outcome.
#[derive(Debug, Clone)]
pub enum Settled {
    Sent(Message),
    Failed {
        message: Message,
        error: CloudApiError,
        decision: Decision,
    },
    Rescheduled {
        message_id: MessageId,
        decision: Decision,
    },
    /// No queue row any more (already settled, e.g. by crash recovery).
    Gone(MessageId),
}

impl Command for RecordDeliveryOutcomes {
    type Output = Vec<Settled>;
    const NAME: &'static str = "RecordDeliveryOutcomes";
}

/// An inbound message was read by the business.
#[derive(Debug, Validate)]
pub struct RecordRead {
    pub shop_id: ShopId,
    pub message_id: MessageId,
}

impl Command for RecordRead {
    type Output = Message;
    const NAME: &'static str = "MarkMessageRead";
}

// ---------------------------------------------------------------- inbound

/// Process one stored webhook delivery: customers, conversations, messages, statuses.
#[derive(Validate)]
pub struct ProcessWebhookEvent {
    pub event_id: uuid::Uuid,
    pub body: String,
}

impl fmt::Debug for ProcessWebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies hold customers' messages: never logged.
        f.debug_struct("ProcessWebhookEvent").field("event_id", &self.event_id).field("body_len", &self.body.len()).finish()
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WebhookOutcome {
    pub messages_stored: u32,
    pub duplicate_messages: u32,
    pub statuses_applied: u32,
    pub duplicate_statuses: u32,
    /// Statuses that did not move the message forward (late or out of order).
    pub stale_statuses: u32,
    /// Statuses for a wamid we have not recorded yet (applied when the send is recorded).
    pub early_statuses: u32,
    pub unroutable: Vec<String>,
    pub fields: BTreeSet<String>,
    pub notes: Vec<String>,
    pub dead: Option<String>,
}

impl Command for ProcessWebhookEvent {
    type Output = WebhookOutcome;
    const NAME: &'static str = "ProcessWebhookEvent";
}

pub struct MessagingHandlers {
    pub clock: Arc<dyn Clock>,
}

fn status_event(m: &Message, previous: MessageStatus, meta_timestamp: Option<DateTime<Utc>>) -> DomainEvent {
    DomainEvent::MessageStatusUpdated(MessageStatusUpdated {
        shop_id: m.shop_id,
        account_id: m.account_id,
        conversation_id: m.conversation_id,
        message_id: m.id,
        wamid: m.wamid.clone(),
        wa_id: m.wa_id.to_string(),
        status: m.status.as_str().to_owned(),
        previous_status: previous.as_str().to_owned(),
        error: m.error.clone(),
        pricing: m.pricing.clone(),
        meta_timestamp,
    })
}

fn refusal(r: SendRefusal) -> AppError {
    match r {
        SendRefusal::WindowClosed { expired_at } => AppError::WindowClosed { expired_at },
        SendRefusal::TemplateRequired => AppError::validation("template", "is required when forceTemplate is true"),
        SendRefusal::NothingToSend => AppError::validation("content", "is required"),
    }
}

/// Find or create the customer; the event (if new) is pushed to `events`.
async fn customer_for(
    uow: &mut dyn UnitOfWork,
    shop: ShopId,
    wa_id: &WaId,
    name: Option<&str>,
    now: DateTime<Utc>,
    events: &mut Vec<DomainEvent>,
) -> Result<(Customer, bool), AppError> {
    match uow.customer_by_wa_id(shop, wa_id).await? {
        Some(mut c) => {
            c.update_profile_name(name, now);
            Ok((c, false))
        }
        None => {
            let (c, e) = Customer::first_contact(shop, wa_id.clone(), name.map(str::to_owned), now);
            events.push(e);
            Ok((c, true))
        }
    }
}

/// The active conversation with this customer on this number, or a new one. An active
/// conversation whose window has expired is closed first (`conversation.closed`).
async fn conversation_for(
    uow: &mut dyn UnitOfWork,
    account: &WhatsAppAccount,
    customer: &Customer,
    origin: Origin,
    now: DateTime<Utc>,
    events: &mut Vec<DomainEvent>,
) -> Result<(Conversation, bool, Option<Conversation>), AppError> {
    let latest = uow.latest_conversation(account.id, &customer.wa_id).await?;
    let mut expired = None;
    if let Some(mut c) = latest
        && c.is_active()
    {
        match c.check_expiry(now) {
            None => return Ok((c, false, None)),
            Some(e) => {
                events.push(e);
                expired = Some(c);
            }
        }
    }
    let (c, e) = Conversation::start(account.shop_id, account.id, customer.id, customer.wa_id.clone(), origin, now);
    events.push(e);
    Ok((c, true, expired))
}

#[async_trait]
impl CommandHandler<PrepareOutbound> for MessagingHandlers {
    async fn handle(&self, cmd: PrepareOutbound, uow: &mut dyn UnitOfWork) -> Result<Message, AppError> {
        let now = self.clock.now();
        if let Some(c) = &cmd.content {
            c.validate_outbound()?;
        }
        if let Some(t) = &cmd.template {
            t.validate("template")?;
        }
        if cmd.content.is_none() && cmd.template.is_none() {
            return Err(AppError::validation("content", "is required"));
        }
        let account = uow
            .account_by_display_number(cmd.shop_id, &cmd.from)
            .await?
            .ok_or_else(|| AppError::InvalidPhoneNumber(format!("{} is not a WhatsApp number connected to this shop", cmd.from)))?;
        account.ensure_can_send().map_err(|e| AppError::AccountNotActive(e.to_string()))?;
        let wa_id = cmd.to.to_wa_id();
        let latest = uow.latest_conversation(account.id, &wa_id).await?;
        let window = latest.as_ref().map_or_else(|| window::evaluate(None, None, now), |c| c.window(now));
        let (kind, content) = choose_outbound(&window, cmd.content, cmd.template, cmd.force_template).map_err(refusal)?;

        let mut events = Vec::new();
        let (mut customer, new_customer) = customer_for(uow, cmd.shop_id, &wa_id, None, now, &mut events).await?;
        let attached = cmd.user_id.as_deref().is_some_and(|u| customer.attach_user_id(u, now));
        let (conversation, new_conversation, expired) =
            conversation_for(uow, &account, &customer, Origin::Business, now, &mut events).await?;
        let message = Message {
            id: MessageId::new(),
            shop_id: cmd.shop_id,
            account_id: account.id,
            conversation_id: conversation.id,
            customer_id: customer.id,
            wa_id: wa_id.clone(),
            direction: Direction::Outbound,
            wamid: None,
            kind,
            content,
            status: MessageStatus::Queued,
            error: None,
            pricing: None,
            context: cmd.reply_to.map(|w| json!({ "message_id": w })),
            referral: None,
            user_id: cmd.user_id.or_else(|| customer.user_id.clone()),
            from: account.display_phone_number.to_string(),
            to: cmd.to.to_string(),
            timestamp: now,
            created_at: now,
            updated_at: now,
        };
        if new_customer || attached {
            uow.save_customer(&customer, new_customer).await?;
        }
        if let Some(old) = &expired {
            uow.save_conversation(old, false).await?;
        }
        if new_conversation {
            uow.save_conversation(&conversation, true).await?;
        }
        uow.insert_message(&message).await?;
        uow.enqueue_delivery(&Delivery {
            message_id: message.id,
            shop_id: message.shop_id,
            account_id: account.id,
            wa_id: message.wa_id.clone(),
            priority: match message.kind {
                MessageKind::Free => crate::delivery::PRIORITY_REPLY,
                MessageKind::Template => crate::delivery::PRIORITY_TEMPLATE,
            },
            attempts: 0,
            pair_retries: 0,
            next_attempt_at: now,
            created_at: now,
        })
        .await?;
        uow.append(&events, now).await?;
        Ok(message)
    }
}

fn stored_error(payload: &Value) -> (Option<MessageError>, Option<Value>) {
    webhook::status_update(payload).map_or((None, None), |s| (s.error, s.pricing))
}

fn failure_error(e: &CloudApiError, reason: Option<FailReason>) -> MessageError {
    let title = match (e.kind, reason) {
        (CloudApiErrorKind::OutcomeUnknown, _) | (_, Some(FailReason::OutcomeUnknown)) => {
            format!("outcome unknown, not resent: {}", e.title)
        }
        (_, Some(FailReason::RetriesExhausted)) => format!("retries exhausted: {}", e.title),
        _ => e.title.clone(),
    };
    MessageError { code: e.code.unwrap_or(0), title, details: e.details.clone() }
}

impl MessagingHandlers {
    async fn settle(
        &self,
        uow: &mut dyn UnitOfWork,
        o: DeliveryOutcome,
        base: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Settled, AppError> {
        let Some(mut delivery) = uow.delivery(o.message_id).await? else { return Ok(Settled::Gone(o.message_id)) };
        let mut message = uow.message(o.shop_id, o.message_id).await?.ok_or(AppError::NotFound("message"))?;
        let mut events = Vec::new();
        let settled = match o.result {
            Ok(receipt) => {
                let mut conversation =
                    uow.conversation(o.shop_id, message.conversation_id).await?.ok_or(AppError::NotFound("conversation"))?;
                message.wamid = Some(receipt.wamid.clone());
                message.apply_status(MessageStatus::Sent, None, None, now);
                events.push(conversation.record_sent(&message, now));
                // Statuses that arrived before this record was visible.
                let mut early = uow.statuses_for(&receipt.wamid).await?;
                early.sort_by_key(|s| s.occurred_at);
                for s in early {
                    let (error, pricing) = stored_error(&s.payload);
                    if let Some(prev) = message.apply_status(s.status, error, pricing, now) {
                        events.push(status_event(&message, prev, s.occurred_at));
                    }
                }
                uow.save_conversation(&conversation, false).await?;
                uow.update_message(&message).await?;
                uow.finish_delivery(message.id).await?;
                Settled::Sent(message)
            }
            Err(error) => {
                let attempts = delivery.attempts as u32 + 1;
                let decision = decide(&error, attempts, delivery.pair_retries as u32, base);
                let reschedule = |d: &mut Delivery, after: std::time::Duration| {
                    d.next_attempt_at = now + chrono::Duration::from_std(after).unwrap_or_default();
                };
                match decision.clone() {
                    Decision::Retry { after, counts } => {
                        if counts {
                            delivery.attempts = attempts as i32;
                        }
                        reschedule(&mut delivery, after);
                    }
                    Decision::DelayRecipient { after } => {
                        delivery.pair_retries += 1;
                        reschedule(&mut delivery, after);
                    }
                    Decision::SlowNumber { after } => reschedule(&mut delivery, after),
                    Decision::Fail(_) | Decision::FailAndOptOut | Decision::FailAndPauseAccount => {}
                }
                match decision {
                    Decision::Retry { .. } | Decision::DelayRecipient { .. } | Decision::SlowNumber { .. } => {
                        uow.reschedule_delivery(&delivery, Some(&error.to_string())).await?;
                        Settled::Rescheduled { message_id: message.id, decision }
                    }
                    fail => {
                        let reason = if let Decision::Fail(r) = fail { Some(r) } else { None };
                        if let Some(prev) = message.apply_status(MessageStatus::Failed, Some(failure_error(&error, reason)), None, now) {
                            events.push(status_event(&message, prev, None));
                        }
                        if fail == Decision::FailAndOptOut
                            && let Some(mut c) = uow.customer_by_wa_id(message.shop_id, &message.wa_id).await?
                            && let Some(e) = c.update_opt_in(OptInStatus::OptedOut, ConsentSource::Whatsapp, now)
                        {
                            uow.save_customer(&c, false).await?;
                            events.push(e);
                        }
                        if fail == Decision::FailAndPauseAccount
                            && let Some(mut a) = uow.account(message.shop_id, message.account_id).await?
                            && let Ok(Some(e)) = a.suspend(Some(format!("paused after Meta error {}", error.code.unwrap_or(0))), now)
                        {
                            uow.update_account(&a, None).await?;
                            events.push(e);
                        }
                        uow.update_message(&message).await?;
                        uow.finish_delivery(message.id).await?;
                        Settled::Failed { message, error, decision: fail }
                    }
                }
            }
        };
        uow.append(&events, now).await?;
        Ok(settled)
    }
}

#[async_trait]
impl CommandHandler<RecordDeliveryOutcomes> for MessagingHandlers {
    async fn handle(&self, cmd: RecordDeliveryOutcomes, uow: &mut dyn UnitOfWork) -> Result<Vec<Settled>, AppError> {
        let now = self.clock.now();
        let mut out = Vec::with_capacity(cmd.outcomes.len());
        for o in cmd.outcomes {
            out.push(self.settle(uow, o, cmd.retry_base, now).await?);
        }
        Ok(out)
    }
}

#[async_trait]
impl CommandHandler<RecordRead> for MessagingHandlers {
    async fn handle(&self, cmd: RecordRead, uow: &mut dyn UnitOfWork) -> Result<Message, AppError> {
        let now = self.clock.now();
        let mut message = uow.message(cmd.shop_id, cmd.message_id).await?.ok_or(AppError::NotFound("message"))?;
        if message.apply_status(MessageStatus::Read, None, None, now).is_some() {
            uow.update_message(&message).await?;
        }
        Ok(message)
    }
}

impl MessagingHandlers {
    /// `phone_number_quality_update`: the number's quality (FLAGGED / UNFLAGGED) and tier.
    async fn quality_update(
        &self,
        uow: &mut dyn UnitOfWork,
        waba: Option<&domain::phone::WabaId>,
        value: &Value,
        now: DateTime<Utc>,
        out: &mut WebhookOutcome,
    ) -> Result<(), AppError> {
        let digits = value.get("display_phone_number").and_then(Value::as_str).unwrap_or("").trim_start_matches('+').to_owned();
        let accounts = match waba {
            Some(w) => uow.accounts_by_waba(w).await?,
            None => Vec::new(),
        };
        let Some(mut account) = accounts.into_iter().find(|a| a.display_phone_number.digits() == digits) else {
            out.unroutable.push(format!("quality update for {digits}"));
            return Ok(());
        };
        let rating = match value.get("event").and_then(Value::as_str) {
            Some("FLAGGED") => domain::account::QualityRating::Red,
            Some("UNFLAGGED") => domain::account::QualityRating::Green,
            _ => account.quality_rating,
        };
        let tier = value.get("current_limit").and_then(Value::as_str).and_then(domain::account::MessagingTier::parse);
        if let Some(e) = account.update_quality(rating, tier, now) {
            uow.update_account(&account, None).await?;
            uow.append(&[e], now).await?;
        }
        Ok(())
    }

    /// `message_template_status_update`: record the status per shop of that WABA; only a
    /// change emits `template.status.updated`.
    async fn template_status(
        &self,
        uow: &mut dyn UnitOfWork,
        waba: Option<&domain::phone::WabaId>,
        value: &Value,
        now: DateTime<Utc>,
        out: &mut WebhookOutcome,
    ) -> Result<(), AppError> {
        let str_of = |k: &str| value.get(k).and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|n| n.to_string())));
        let (Some(waba), Some(id), Some(status)) = (waba, str_of("message_template_id"), str_of("event")) else {
            out.notes.push("a template status update without WABA, template id or event".into());
            return Ok(());
        };
        let mut shops: Vec<ShopId> = uow.accounts_by_waba(waba).await?.into_iter().map(|a| a.shop_id).collect();
        shops.sort();
        shops.dedup();
        if shops.is_empty() {
            out.unroutable.push(format!("template update for WABA {waba}"));
        }
        for shop in shops {
            let previous = uow.template_status(shop, &id).await?;
            let record = TemplateStatusRecord {
                shop_id: shop,
                waba_id: waba.to_string(),
                meta_template_id: id.clone(),
                name: str_of("message_template_name").unwrap_or_default(),
                language: str_of("message_template_language").unwrap_or_default(),
                status: status.to_ascii_lowercase(),
                reason: str_of("reason").filter(|r| r != "NONE"),
                updated_at: now,
            };
            if previous.as_ref().is_some_and(|p| p.status == record.status) {
                continue;
            }
            uow.save_template_status(&record).await?;
            let event = DomainEvent::TemplateStatusUpdated(domain::events::TemplateStatusUpdated {
                shop_id: shop,
                waba_id: record.waba_id.clone(),
                template_id: record.meta_template_id.clone(),
                template_name: record.name.clone(),
                language: record.language.clone(),
                status: record.status.clone(),
                previous_status: previous.map(|p| p.status),
                reason: record.reason.clone(),
            });
            uow.append(&[event], now).await?;
        }
        Ok(())
    }

    async fn incoming(
        &self,
        uow: &mut dyn UnitOfWork,
        account: &WhatsAppAccount,
        contacts: &[Contact],
        raw: &Value,
        now: DateTime<Utc>,
        out: &mut WebhookOutcome,
    ) -> Result<(), AppError> {
        let Some(inbound) = webhook::inbound_message(raw) else {
            out.notes.push("a message without id or from was skipped".into());
            return Ok(());
        };
        let Ok(wa_id) = WaId::parse(&inbound.from) else {
            out.notes.push(format!("message {} has an invalid sender", inbound.wamid));
            return Ok(());
        };
        if uow.message_by_wamid(&inbound.wamid).await?.is_some() {
            out.duplicate_messages += 1;
            return Ok(());
        }
        let name = contacts
            .iter()
            .find(|c| c.wa_id.as_deref() == Some(wa_id.as_str()))
            .or(contacts.first())
            .and_then(|c| c.profile.as_ref())
            .and_then(|p| p.name.as_deref());
        let mut events = Vec::new();
        let (mut customer, new_customer) = customer_for(uow, account.shop_id, &wa_id, name, now, &mut events).await?;
        customer.record_inbound(inbound.timestamp);
        let (mut conversation, new_conversation, expired) =
            conversation_for(uow, account, &customer, Origin::Customer, now, &mut events).await?;
        let message = Message {
            id: MessageId::new(),
            shop_id: account.shop_id,
            account_id: account.id,
            conversation_id: conversation.id,
            customer_id: customer.id,
            wa_id: wa_id.clone(),
            direction: Direction::Inbound,
            wamid: Some(inbound.wamid.clone()),
            kind: MessageKind::Free,
            content: inbound.content,
            status: MessageStatus::Received,
            error: None,
            pricing: None,
            context: inbound.context,
            referral: inbound.referral,
            user_id: customer.user_id.clone(),
            from: wa_id.to_phone(),
            to: account.display_phone_number.to_string(),
            timestamp: inbound.timestamp,
            created_at: now,
            updated_at: now,
        };
        // The insert is the first write: a concurrent duplicate stops here, having changed nothing.
        if !uow.insert_message(&message).await? {
            out.duplicate_messages += 1;
            return Ok(());
        }
        events.push(conversation.receive(&message));
        uow.save_customer(&customer, new_customer).await?;
        if let Some(old) = &expired {
            uow.save_conversation(old, false).await?;
        }
        uow.save_conversation(&conversation, new_conversation).await?;
        uow.append(&events, now).await?;
        out.messages_stored += 1;
        Ok(())
    }

    async fn status(
        &self,
        uow: &mut dyn UnitOfWork,
        account: &WhatsAppAccount,
        raw: &Value,
        now: DateTime<Utc>,
        out: &mut WebhookOutcome,
    ) -> Result<(), AppError> {
        let Some(update) = webhook::status_update(raw) else {
            out.notes.push("a status without id or status was skipped".into());
            return Ok(());
        };
        let Some(status) = update.status else {
            out.notes.push(format!("status '{}' is not tracked", update.raw_status));
            return Ok(());
        };
        let stored = StoredStatus { status, occurred_at: update.timestamp, payload: update.raw.clone() };
        if !uow.insert_status(&update.wamid, &stored, now).await? {
            out.duplicate_statuses += 1;
            return Ok(());
        }
        match uow.message_by_wamid(&update.wamid).await? {
            None => out.early_statuses += 1,
            Some(m) if m.account_id != account.id => {
                out.notes.push(format!("status for {} came through another number; ignored", update.wamid));
            }
            Some(mut m) => {
                let had_pricing = update.pricing.is_some();
                match m.apply_status(status, update.error, update.pricing, now) {
                    Some(prev) => {
                        uow.update_message(&m).await?;
                        uow.append(&[status_event(&m, prev, update.timestamp)], now).await?;
                        out.statuses_applied += 1;
                    }
                    None => {
                        if had_pricing {
                            uow.update_message(&m).await?;
                        }
                        out.stale_statuses += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Several stored deliveries in one transaction (one commit for the batch). If any fails, the
/// whole batch rolls back and the worker processes them one by one.
#[derive(Validate)]
pub struct ProcessWebhookBatch {
    pub events: Vec<ProcessWebhookEvent>,
}

impl fmt::Debug for ProcessWebhookBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessWebhookBatch").field("events", &self.events.len()).finish()
    }
}

impl Command for ProcessWebhookBatch {
    type Output = Vec<WebhookOutcome>;
    const NAME: &'static str = "ProcessWebhookBatch";
}

#[async_trait]
impl CommandHandler<ProcessWebhookBatch> for MessagingHandlers {
    async fn handle(&self, cmd: ProcessWebhookBatch, uow: &mut dyn UnitOfWork) -> Result<Vec<WebhookOutcome>, AppError> {
        let mut out = Vec::with_capacity(cmd.events.len());
        for e in cmd.events {
            out.push(self.process_event(e, uow).await?);
        }
        Ok(out)
    }
}

#[async_trait]
impl CommandHandler<ProcessWebhookEvent> for MessagingHandlers {
    async fn handle(&self, cmd: ProcessWebhookEvent, uow: &mut dyn UnitOfWork) -> Result<WebhookOutcome, AppError> {
        self.process_event(cmd, uow).await
    }
}

impl MessagingHandlers {
    async fn process_event(&self, cmd: ProcessWebhookEvent, uow: &mut dyn UnitOfWork) -> Result<WebhookOutcome, AppError> {
        let now = self.clock.now();
        let mut out = WebhookOutcome::default();
        let payload = match webhook::parse_payload(&cmd.body) {
            Ok(p) => p,
            Err(e) => {
                let reason = e.to_string();
                uow.mark_webhook(cmd.event_id, WebhookState::Dead, None, Some(&reason), now).await?;
                out.dead = Some(reason);
                return Ok(out);
            }
        };
        for entry in payload.entry {
            let waba = entry.id.as_deref().and_then(|w| domain::phone::WabaId::parse(w).ok());
            for change in entry.changes {
                out.fields.insert(change.field.clone());
                match change.field.as_str() {
                    "messages" => {}
                    "phone_number_quality_update" => {
                        self.quality_update(uow, waba.as_ref(), &change.value, now, &mut out).await?;
                        continue;
                    }
                    "message_template_status_update" => {
                        self.template_status(uow, waba.as_ref(), &change.value, now, &mut out).await?;
                        continue;
                    }
                    // Other fields (account updates, ...) stay stored in the raw event for the
                    // issues that handle them; nothing is lost.
                    _ => continue,
                }
                let value: MessagesValue = match serde_json::from_value(change.value) {
                    Ok(v) => v,
                    Err(e) => {
                        out.notes.push(format!("unreadable messages change: {e}"));
                        continue;
                    }
                };
                let pnid = value.metadata.phone_number_id.clone().unwrap_or_default();
                let account = match PhoneNumberId::parse(&pnid) {
                    Ok(id) => uow.account_by_phone_number_id(&id).await?,
                    Err(_) => None,
                };
                let Some(account) = account else {
                    out.unroutable.push(if pnid.is_empty() { "(missing)".into() } else { pnid });
                    continue;
                };
                for m in &value.messages {
                    self.incoming(uow, &account, &value.contacts, m, now, &mut out).await?;
                }
                for s in &value.statuses {
                    self.status(uow, &account, s, now, &mut out).await?;
                }
            }
        }
        let fields = out.fields.iter().cloned().collect::<Vec<_>>().join(",");
        let mut notes = out.notes.clone();
        if !out.unroutable.is_empty() {
            notes.insert(0, format!("unroutable phone_number_id: {}", out.unroutable.join(",")));
        }
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        uow.mark_webhook(cmd.event_id, WebhookState::Processed, Some(&fields), note.as_deref(), now).await?;
        Ok(out)
    }
}

// ---------------------------------------------------------------- the service

/// Orchestrates sends: prepare (transaction) → Cloud API (no transaction held) → record.
pub struct MessagingService {
    pub pipeline: Pipeline,
    pub handlers: MessagingHandlers,
    pub cloud: Arc<dyn CloudApi>,
    pub cipher: Arc<dyn SecretCipher>,
}

/// Map Meta's refusal of a message to the error the caller sees.
pub fn send_error(e: CloudApiError, message: &Message) -> AppError {
    match (e.code, &message.content) {
        (Some(131047), _) => AppError::WindowClosed { expired_at: None },
        (Some(132001), MessageContent::Template(t)) => {
            AppError::TemplateNotFound { name: t.name.clone(), language: t.language.clone(), meta_code: e.code }
        }
        _ => AppError::WhatsApp { error: e, message_id: Some(message.id) },
    }
}

impl MessagingService {
    /// Decide free-form or template by the window and queue the message durably. The
    /// dispatcher sends it, paced per number and per recipient.
    #[tracing::instrument(name = "send_message", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn send(&self, ctx: &RequestContext, cmd: PrepareOutbound) -> Result<Message, AppError> {
        self.pipeline.execute(ctx, &self.handlers, cmd).await
    }

    /// Mark an inbound message read (and optionally show the typing indicator).
    #[tracing::instrument(name = "mark_read", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn mark_read(&self, ctx: &RequestContext, shop_id: ShopId, message_id: MessageId, typing: bool) -> Result<Message, AppError> {
        let reads = self.pipeline.reads();
        let message = reads.message(shop_id, message_id).await?.ok_or(AppError::NotFound("message"))?;
        if message.direction != Direction::Inbound {
            return Err(AppError::validation("messageId", "only a message the customer sent can be marked read"));
        }
        let wamid = message.wamid.clone().ok_or(AppError::NotFound("message"))?;
        let account = reads.account(shop_id, message.account_id).await?.ok_or(AppError::NotFound("account"))?;
        account.ensure_can_send().map_err(|e| AppError::AccountNotActive(e.to_string()))?;
        let encrypted = reads.encrypted_token(account.id).await?.ok_or_else(|| AppError::Internal("account has no token".into()))?;
        let token = self.cipher.decrypt(&encrypted).map_err(AppError::Internal)?;
        let creds = SenderCredentials { phone_number_id: account.phone_number_id.clone(), access_token: token };
        self.cloud.mark_read(&creds, &wamid, typing).await.map_err(|error| AppError::WhatsApp { error, message_id: Some(message_id) })?;
        self.pipeline.execute(ctx, &self.handlers, RecordRead { shop_id, message_id }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_never_print_message_bodies() {
        let cmd = PrepareOutbound {
            shop_id: ShopId::new(),
            from: PhoneNumber::parse("+15550001111").unwrap(),
            to: PhoneNumber::parse("+5511987654321").unwrap(),
            content: Some(MessageContent::Text { text: "my card is 4111".into(), preview_url: false }),
            template: None,
            force_template: false,
            user_id: None,
            reply_to: None,
        };
        let printed = format!("{cmd:?}");
        assert!(!printed.contains("4111") && printed.contains("text"), "{printed}");
        let w = ProcessWebhookEvent { event_id: uuid::Uuid::nil(), body: "{\"text\":\"secret\"}".into() };
        assert!(!format!("{w:?}").contains("secret"));
    }
}
