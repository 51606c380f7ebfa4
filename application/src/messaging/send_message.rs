//! SendMessage: decide free-form or template by the 24-hour window and queue the message
//! durably, in one transaction. Nothing reaches Meta if this refuses; the dispatcher sends what
//! it queued, paced per number and recipient (`RecordDeliveryOutcomes` records the answer).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use validator::Validate;

use super::delivery_policy::{PRIORITY_REPLY, PRIORITY_TEMPLATE};
use super::ports::Delivery;
pub use super::via::Via;
use crate::accounts::ports::AccountsUnitOfWork;
use crate::customers::identify::{Contact, identify};
use crate::customers::ports::CustomersUnitOfWork;
use crate::messaging::ports::MessagingUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::{RepoError, RepoResult};
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::accounts::WhatsAppAccount;
use domain::customers::{ConsentRefusal, Outgoing, may_send};
use domain::messaging::{
    Conversation, IdempotencyKey, IdempotencyRecord, Message, MessageContent, MessageKind, MessageStatus, Origin, Outbound, Reuse,
    SendRefusal, Sender, TemplateRef, choose_outbound, window,
};
use domain::{Events, MessageId, PhoneNumber, ShopId, WaId};

#[derive(Clone, Validate)]
pub struct SendMessage {
    pub shop_id: ShopId,
    /// The number it goes out from and the customer it goes to.
    pub via: Via,
    pub content: Option<MessageContent>,
    pub template: Option<TemplateRef>,
    pub force_template: bool,
    #[validate(length(min = 1, max = 128, message = "must be 1 to 128 characters"))]
    pub user_id: Option<String>,
    #[validate(length(min = 1, max = 256, message = "must be a wamid"))]
    pub reply_to: Option<String>,
    /// The caller's `Idempotency-Key`, with a fingerprint of its request.
    pub idempotency: Option<Idempotent>,
    /// Who sends it (recorded on the message, published with `message.sent`).
    pub sent_by: Sender,
}

/// A send named by the caller: the same key and fingerprint within 24 hours replay the first
/// answer; another fingerprint under the key is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Idempotent {
    pub key: IdempotencyKey,
    /// A hash of the operation and its request, as the caller's side defines it.
    pub fingerprint: String,
}

/// What a send did.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// Queued now.
    Queued(Message),
    /// The key's request was made before: nothing is queued; here is what it did (its message,
    /// and the first answer once it was recorded).
    Replayed(IdempotencyRecord),
}

impl SendOutcome {
    /// The message queued now, if any.
    pub fn queued(self) -> Option<Message> {
        match self {
            Self::Queued(m) => Some(m),
            Self::Replayed(_) => None,
        }
    }
}

impl fmt::Debug for SendMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Message bodies are customer data: only their type is logged.
        f.debug_struct("SendMessage")
            .field("shop_id", &self.shop_id)
            .field("content_type", &self.content.as_ref().map(MessageContent::type_name))
            .field("template", &self.template.as_ref().map(|t| (&t.name, &t.language)))
            .field("force_template", &self.force_template)
            .field("sent_by", &self.sent_by)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendMessageError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The 24-hour window is closed and no template was given.
    #[error("Cannot send free message. Conversation window expired.")]
    WindowClosed { expired_at: Option<DateTime<Utc>> },
    /// `from` is not a business number connected to this shop.
    #[error("{0} is not a WhatsApp number connected to this shop")]
    UnknownSender(PhoneNumber),
    /// `Via::Account` names no number of this shop.
    #[error("no such WhatsApp number in this shop")]
    AccountNotFound,
    /// `Via::Conversation` names no conversation of this shop.
    #[error("no such conversation in this shop")]
    ConversationNotFound,
    #[error("the account is not active: {0}")]
    AccountNotActive(String),
    /// Consent refuses it: the customer opted out of its purpose.
    #[error("{0}")]
    OptedOut(ConsentRefusal),
    /// Consent refuses it: a marketing template needs the customer's opt-in.
    #[error("{0}")]
    ConsentRequired(ConsentRefusal),
    #[error("template '{name}' ({language}) does not exist or is not approved")]
    TemplateNotFound { name: String, language: String, meta_code: Option<i64> },
    /// The service keeps this number's WABA's templates and not this one (yet): the service
    /// reads Meta's list once (`SendMessageService`) before calling it not found.
    #[error("template '{name}' ({language}) is not among the WABA's templates")]
    TemplateUnknown { name: String, language: String },
    /// The service keeps this template, and it is not approved (pending, rejected, paused, …).
    #[error(transparent)]
    TemplateNotApproved(domain::templates::NotApproved),
    /// The parameters do not fit the template: each problem names where.
    #[error("the parameters do not fit the template")]
    TemplateParameters(Vec<domain::shared::problem::Problem>),
    /// Meta refused or failed the send. The message is stored as failed.
    #[error("WhatsApp Cloud API error: {error}")]
    WhatsApp {
        #[source]
        error: CloudApiError,
        message_id: MessageId,
    },
    /// The file named by `content.mediaId` could not be made ready for Meta.
    #[error("the file could not be uploaded to Meta")]
    Media(#[source] crate::messaging::send_media::SendMediaError),
    /// The `Idempotency-Key` named another request within the last 24 hours.
    #[error("the Idempotency-Key was used with another request")]
    IdempotencyKeyReused,
    #[error("could not queue the message")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SendMessageError);

impl From<crate::messaging::send_media::SendMediaError> for SendMessageError {
    fn from(e: crate::messaging::send_media::SendMediaError) -> Self {
        use crate::messaging::send_media::SendMediaError as E;
        match e {
            E::Invalid(i) => Self::Invalid(i),
            E::Storage(s) => Self::Storage(s),
            other => Self::Media(other),
        }
    }
}

impl SendMessageError {
    /// What the caller sees when Meta refused a queued message.
    pub fn from_meta(error: CloudApiError, message: &Message) -> Self {
        match (error.code, message.content()) {
            (Some(131047), _) => Self::WindowClosed { expired_at: None },
            (Some(132001), MessageContent::Template(t)) => {
                Self::TemplateNotFound { name: t.name.clone(), language: t.language.clone(), meta_code: error.code }
            }
            _ => Self::WhatsApp { error, message_id: message.id() },
        }
    }

    /// A message that settled as failed, as the caller sees it.
    pub fn from_failed(message: &Message) -> Self {
        let e = message.error().cloned().unwrap_or(domain::messaging::MessageError { code: 0, title: "failed".into(), details: None });
        let error = CloudApiError::reported(Some(e.code).filter(|c| *c != 0), e.title, e.details);
        Self::from_meta(error, message)
    }
}

/// The whole use case: the send, and once, when it names a template the service does not know
/// on a WABA whose templates it keeps, Meta's list read again first (a template made in Meta's
/// own tools since the last sync), outside the transaction.
pub struct SendMessageService {
    pub pipeline: crate::shared::pipeline::Pipeline,
    pub handler: SendMessageHandler,
    pub sync: Arc<crate::templates::sync_templates::SyncTemplatesService>,
    /// Resolves `content.mediaId` to Meta's id of the file.
    pub media: Arc<crate::messaging::send_media::SendMediaService>,
}

impl SendMessageService {
    pub async fn run(&self, ctx: &crate::RequestContext, mut cmd: SendMessage) -> Result<SendOutcome, SendMessageError> {
        let shop = cmd.shop_id;
        if let Some(content) = cmd.content.as_mut()
            && crate::messaging::send_media::names_our_file(content)
        {
            // Making a file ready may upload it to Meta: a retry of a named send that went
            // answers from its key first (the send's transaction decides again anyway).
            if let Some(i) = &cmd.idempotency
                && let Some(known) = self.media.conversations.idempotency_key(shop, &i.key).await?
            {
                match known.reuse(&i.fingerprint, self.media.clock.now()) {
                    Reuse::Replay => return Ok(SendOutcome::Replayed(known)),
                    Reuse::Mismatch => return Err(SendMessageError::IdempotencyKeyReused),
                    Reuse::Expired => {}
                }
            }
            self.media.resolve(ctx, shop, &cmd.via, content).await?;
        }
        match self.pipeline.execute(ctx, &self.handler, cmd.clone()).await {
            Err(SendMessageError::TemplateUnknown { .. }) => {
                if let Err(e) = self.sync.run(ctx, shop).await {
                    tracing::warn!(%shop, error = %crate::Chain(&e), "the template list could not be read again before a send");
                }
                self.pipeline.execute(ctx, &self.handler, cmd).await.map_err(|e| match e {
                    SendMessageError::TemplateUnknown { name, language } => {
                        SendMessageError::TemplateNotFound { name, language, meta_code: None }
                    }
                    other => other,
                })
            }
            other => other,
        }
    }
}

fn refusal(r: SendRefusal) -> SendMessageError {
    match r {
        SendRefusal::WindowClosed { expired_at } => SendMessageError::WindowClosed { expired_at },
        SendRefusal::TemplateRequired => Invalid::new("template", "is required when forceTemplate is true").into(),
        SendRefusal::NothingToSend => Invalid::new("content", "is required").into(),
    }
}

impl Command for SendMessage {
    type Output = SendOutcome;
    type Error = SendMessageError;
    const NAME: &'static str = "SendMessage";
}

pub struct SendMessageHandler {
    pub clock: Arc<dyn Clock>,
}

/// The active conversation of this number and customer, or a new one (an active one whose
/// window has expired is closed first). Returns it, whether it is new, and the expired one.
pub(crate) fn continue_or_start(
    active: Option<Conversation>,
    account: &WhatsAppAccount,
    customer_id: domain::CustomerId,
    wa_id: &WaId,
    origin: Origin,
    now: DateTime<Utc>,
    events: &mut Events,
) -> (Conversation, bool, Option<Conversation>) {
    let mut expired = None;
    if let Some(mut c) = active {
        match c.check_expiry(now) {
            None => return (c, false, None),
            Some(e) => {
                events.push(e);
                expired = Some(c);
            }
        }
    }
    let (c, e) = Conversation::start(account.shop_id(), account.id(), customer_id, wa_id.clone(), origin, now);
    events.push(e);
    (c, true, expired)
}

/// Store a conversation change: the expired one first (it frees the "one active" rule), then a
/// new one, which a concurrent transaction may have beaten us to (run again).
pub(crate) async fn store_conversations(uow: &mut dyn UnitOfWork, updated: &[&Conversation], new: &[Conversation]) -> RepoResult<()> {
    if !updated.is_empty() {
        uow.conversations().update_many(updated).await?;
    }
    if !new.is_empty() {
        // Inserted in key order, so two transactions starting the same conversations queue on
        // the unique rule instead of deadlocking.
        let mut new: Vec<&Conversation> = new.iter().collect();
        new.sort_by(|a, b| (a.account_id(), a.wa_id()).cmp(&(b.account_id(), b.wa_id())));
        let new: Vec<Conversation> = new.into_iter().cloned().collect();
        let inserted = uow.conversations().insert_many(&new).await?;
        if inserted.len() != new.len() {
            return Err(RepoError::Concurrency("a conversation was started by a concurrent transaction".into()));
        }
    }
    Ok(())
}

#[async_trait]
impl CommandHandler<SendMessage> for SendMessageHandler {
    async fn handle(&self, cmd: &SendMessage, uow: &mut dyn UnitOfWork) -> Result<SendOutcome, SendMessageError> {
        let now = self.clock.now();
        if let Some(c) = &cmd.content {
            c.validate_outbound().map_err(Invalid::from)?;
        }
        if let Some(t) = &cmd.template {
            t.validate("template").map_err(Invalid::from)?;
        }
        if cmd.content.is_none() && cmd.template.is_none() {
            return Err(Invalid::new("content", "is required").into());
        }
        // A named send is remembered first: a concurrent request with the same key waits here
        // for this transaction, then finds the key taken.
        if let Some(i) = &cmd.idempotency {
            let record = IdempotencyRecord::new(cmd.shop_id, i.key.clone(), i.fingerprint.clone(), now);
            if let Some(known) = uow.idempotency().claim(&record).await? {
                match known.reuse(&i.fingerprint, now) {
                    Reuse::Replay => return Ok(SendOutcome::Replayed(known)),
                    Reuse::Mismatch => return Err(SendMessageError::IdempotencyKeyReused),
                    Reuse::Expired => uow.idempotency().renew(&known, &record).await?,
                }
            }
        }
        let (account, wa_id) = match &cmd.via {
            Via::Numbers { from, to } => {
                let account = uow.accounts().find_by_display_number(cmd.shop_id, from).await?;
                (account.ok_or_else(|| SendMessageError::UnknownSender(from.clone()))?, to.to_wa_id())
            }
            Via::Account { account, to } => {
                (uow.accounts().find(cmd.shop_id, *account).await?.ok_or(SendMessageError::AccountNotFound)?, to.clone())
            }
            Via::Conversation(id) => {
                let c = uow.conversations().find(cmd.shop_id, *id).await?.ok_or(SendMessageError::ConversationNotFound)?;
                (uow.accounts().find(cmd.shop_id, c.account_id()).await?.ok_or(SendMessageError::AccountNotFound)?, c.wa_id().clone())
            }
        };
        account.ensure_can_send().map_err(|e| SendMessageError::AccountNotActive(e.to_string()))?;
        // Rows are locked in one order everywhere (customers, then conversations, then
        // messages), so concurrent transactions queue instead of deadlocking.
        let contact =
            Contact { shop_id: cmd.shop_id, wa_id: wa_id.clone(), profile_name: None, inbound_at: None, user_id: cmd.user_id.clone() };
        let identified = identify(uow, std::slice::from_ref(&contact), now).await?;
        let active = uow.conversations().lock_active(&[(account.id(), wa_id.clone())]).await?.into_iter().next();
        let window = match &active {
            Some(c) => c.window(now),
            None => {
                uow.conversations().latest(account.id(), &wa_id).await?.map_or_else(|| window::evaluate(None, None, now), |c| c.window(now))
            }
        };
        let (kind, content) = choose_outbound(&window, cmd.content.clone(), cmd.template.clone(), cmd.force_template).map_err(refusal)?;
        let mut events = Events::new();
        for (_, e) in identified.created {
            events.append(e);
        }
        let customer =
            identified.customers.get(&(cmd.shop_id, wa_id.clone())).ok_or_else(|| RepoError::Other("customer vanished".into()))?;
        if let MessageContent::Template(t) = &content {
            // A template the service keeps for this number's WABA: only an approved one goes,
            // with parameters that fit it. A name it does not know on a WABA whose templates it
            // keeps is unknown; on a WABA it knows nothing of, Meta decides.
            let waba = account.snapshot().waba_id.to_string();
            let stored = uow.templates().by_name(cmd.shop_id, &t.name, &t.language).await?.into_iter().find(|s| s.waba_id() == waba);
            if stored.is_none() && uow.templates().any_on_waba(cmd.shop_id, &waba).await? {
                return Err(SendMessageError::TemplateUnknown { name: t.name.clone(), language: t.language.clone() });
            }
            if let Some(stored) = &stored {
                stored.ensure_sendable().map_err(SendMessageError::TemplateNotApproved)?;
                if let Some(Err(problems)) = stored.render(&t.components) {
                    return Err(SendMessageError::TemplateParameters(problems));
                }
            }
            // Consent, for every business-initiated template (free-form replies always pass).
            let category = uow.templates().category_of(cmd.shop_id, &t.name, &t.language).await?.or(stored.and_then(|s| s.category()));
            let settings = uow.customers().consent_settings(&[cmd.shop_id]).await?.remove(&cmd.shop_id).unwrap_or_default();
            may_send(Outgoing::Template(category), customer.consent(), window.is_open, settings.require_marketing_opt_in).map_err(|r| {
                match r {
                    ConsentRefusal::OptedOut(_) => SendMessageError::OptedOut(r),
                    ConsentRefusal::OptInRequired(_) => SendMessageError::ConsentRequired(r),
                }
            })?;
        }
        let (conversation, new, expired) = continue_or_start(active, &account, customer.id(), &wa_id, Origin::Business, now, &mut events);
        let outbound = Outbound {
            kind,
            content,
            reply_to: cmd.reply_to.clone(),
            user_id: cmd.user_id.clone().or_else(|| customer.user_id().map(str::to_owned)),
            from: account.display_phone_number().clone(),
            sent_by: cmd.sent_by.clone(),
        };
        let message = conversation.queue(outbound, now);
        let updated: Vec<&Conversation> = expired.iter().collect();
        let started: Vec<Conversation> = if new { vec![conversation] } else { Vec::new() };
        store_conversations(uow, &updated, &started).await?;
        if uow.messages().insert_many(std::slice::from_ref(&message)).await?.len() != 1 {
            return Err(RepoError::Other("a new message was not stored".into()).into());
        }
        uow.deliveries()
            .enqueue(&Delivery {
                message_id: message.id(),
                shop_id: message.shop_id(),
                account_id: account.id(),
                wa_id,
                priority: match message.kind() {
                    MessageKind::Free => PRIORITY_REPLY,
                    MessageKind::Template => PRIORITY_TEMPLATE,
                },
                attempts: 0,
                pair_retries: 0,
                next_attempt_at: now,
                created_at: now,
            })
            .await?;
        if let Some(i) = &cmd.idempotency {
            uow.idempotency().attach(cmd.shop_id, &i.key, message.id()).await?;
        }
        uow.outbox().append(&events, now).await?;
        debug_assert_eq!(message.status(), MessageStatus::Queued);
        Ok(SendOutcome::Queued(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::routed::Routed;
    use crate::messaging::receive_messages::{ReceiveMessages, ReceiveMessagesHandler};
    use crate::testing::{BUSINESS, PNID, Scenario, text_from};
    use chrono::Duration;

    const CUSTOMER: &str = "+5511987654321";

    fn caller() -> domain::ApiKeyId {
        uuid::Uuid::from_u128(42).into()
    }

    fn text(shop: ShopId) -> SendMessage {
        SendMessage {
            shop_id: shop,
            via: Via::Numbers { from: PhoneNumber::parse(BUSINESS).unwrap(), to: PhoneNumber::parse(CUSTOMER).unwrap() },
            content: Some(MessageContent::Text { text: "my card is 4111".into(), preview_url: false }),
            template: None,
            force_template: false,
            user_id: None,
            reply_to: None,
            idempotency: None,
            sent_by: Sender::ApiKey(caller()),
        }
    }

    fn template() -> TemplateRef {
        TemplateRef { name: "order_update".into(), language: "en_US".into(), components: vec![] }
    }

    async fn given_the_customer_wrote(s: &Scenario, account: &WhatsAppAccount, minutes_ago: i64) {
        let receive = ReceiveMessagesHandler { clock: s.clock() };
        let msg = text_from(&CUSTOMER[1..], "wamid.IN1", s.now() - Duration::minutes(minutes_ago), "oi");
        s.when(&receive, ReceiveMessages { messages: vec![Routed { account: Arc::new(account.clone()), item: msg }] }).await.unwrap();
        s.then_events();
    }

    #[tokio::test]
    async fn given_the_customer_never_wrote_when_sending_text_then_refused_and_nothing_stored() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let r = s.when(&SendMessageHandler { clock: s.clock() }, text(s.shop)).await;
        assert!(matches!(r, Err(SendMessageError::WindowClosed { expired_at: None })), "{r:?}");
        assert!(s.then_events().is_empty());
        assert_eq!(s.memory.read(|m| (m.messages.len(), m.deliveries.len(), m.customers.len())), (0, 0, 0), "rolled back");
    }

    fn named(key: &str, fingerprint: &str) -> Option<Idempotent> {
        Some(Idempotent { key: IdempotencyKey::parse(key).unwrap(), fingerprint: fingerprint.into() })
    }

    #[tokio::test]
    async fn given_a_named_send_when_the_same_request_comes_again_then_nothing_more_is_queued() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 30).await;
        let send = SendMessageHandler { clock: s.clock() };
        let first = s.when(&send, SendMessage { idempotency: named("order-42", "fp1"), ..text(s.shop) }).await.unwrap().queued().unwrap();
        s.clock.advance(Duration::hours(23));
        let again = s.when(&send, SendMessage { idempotency: named("order-42", "fp1"), ..text(s.shop) }).await.unwrap();
        let SendOutcome::Replayed(record) = again else { panic!("sent twice: {again:?}") };
        assert_eq!(record.message_id, Some(first.id()), "the retry is told of the first message");
        let other = s.when(&send, SendMessage { idempotency: named("order-42", "fp2"), ..text(s.shop) }).await;
        assert!(matches!(other, Err(SendMessageError::IdempotencyKeyReused)), "{other:?}");
        assert_eq!(
            s.memory.read(|st| (
                st.messages.values().filter(|m| m.direction() == domain::messaging::Direction::Outbound).count(),
                st.deliveries.len()
            )),
            (1, 1)
        );
        let elsewhere = SendMessage { shop_id: ShopId::new(), idempotency: named("order-42", "fp1"), ..text(s.shop) };
        let r = s.when(&send, elsewhere).await;
        assert!(matches!(r, Err(SendMessageError::UnknownSender(_))), "another shop's key is its own: {r:?}");
    }

    #[tokio::test]
    async fn given_a_conversation_or_an_account_when_an_internal_sender_sends_then_the_same_rules_and_thread_apply() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 30).await;
        let send = SendMessageHandler { clock: s.clock() };
        let active = s.memory.read(|st| st.conversations.values().next().unwrap().id());
        let turn = Sender::System("turn".into());
        let by_conversation = SendMessage { via: Via::Conversation(active), sent_by: turn.clone(), ..text(s.shop) };
        let m = s.when(&send, by_conversation).await.unwrap().queued().unwrap();
        assert_eq!((m.conversation_id(), m.sent_by()), (active, Some(&turn)), "joins the thread's window");
        let wa = WaId::parse(&CUSTOMER[1..]).unwrap();
        let by_account = SendMessage { via: Via::Account { account: account.id(), to: wa.clone() }, ..text(s.shop) };
        assert_eq!(s.when(&send, by_account).await.unwrap().queued().unwrap().conversation_id(), active);
        // The window closes: the thread's old conversation still names it, and the rules hold.
        s.clock.advance(Duration::hours(25));
        let late = SendMessage { via: Via::Conversation(active), ..text(s.shop) };
        assert!(matches!(s.when(&send, late).await, Err(SendMessageError::WindowClosed { .. })));
        let with_template = SendMessage { via: Via::Conversation(active), template: Some(template()), ..text(s.shop) };
        let m = s.when(&send, with_template).await.unwrap().queued().unwrap();
        assert_ne!(m.conversation_id(), active, "a new window in the same thread");
        // Another shop's ids name nothing here.
        let foreign = SendMessage { shop_id: ShopId::new(), via: Via::Conversation(active), ..text(s.shop) };
        assert!(matches!(s.when(&send, foreign).await, Err(SendMessageError::ConversationNotFound)));
        let foreign = SendMessage { shop_id: ShopId::new(), via: Via::Account { account: account.id(), to: wa }, ..text(s.shop) };
        assert!(matches!(s.when(&send, foreign).await, Err(SendMessageError::AccountNotFound)));
    }

    #[tokio::test]
    async fn given_a_key_older_than_a_day_when_used_again_then_it_names_a_new_send() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 0).await;
        let send = SendMessageHandler { clock: s.clock() };
        let first = s.when(&send, SendMessage { idempotency: named("k", "fp1"), ..text(s.shop) }).await.unwrap().queued().unwrap();
        s.clock.advance(Duration::hours(24));
        // The window closed meanwhile: the template goes.
        let later = SendMessage { idempotency: named("k", "fp2"), template: Some(template()), ..text(s.shop) };
        let second = s.when(&send, later).await.unwrap().queued().expect("a new send");
        assert_ne!(first.id(), second.id());
        let kept = s.memory.read(|st| st.idempotency.values().map(|r| (r.fingerprint.clone(), r.message_id)).collect::<Vec<_>>());
        assert_eq!(kept, [("fp2".to_owned(), Some(second.id()))]);
    }

    #[tokio::test]
    async fn given_a_refused_named_send_when_retried_then_it_is_not_remembered() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let send = SendMessageHandler { clock: s.clock() };
        let r = s.when(&send, SendMessage { idempotency: named("k", "fp1"), ..text(s.shop) }).await;
        assert!(matches!(r, Err(SendMessageError::WindowClosed { .. })), "{r:?}");
        assert!(s.memory.read(|st| st.idempotency.is_empty()), "rolled back with the refusal");
    }

    #[tokio::test]
    async fn given_the_customer_wrote_when_replying_then_free_form_is_queued_ahead_of_templates() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 30).await;
        let m = s.when(&SendMessageHandler { clock: s.clock() }, text(s.shop)).await.unwrap().queued().unwrap();
        assert_eq!((m.kind(), m.status(), m.wamid()), (MessageKind::Free, MessageStatus::Queued, None));
        assert_eq!(m.sent_by(), Some(&Sender::ApiKey(caller())), "who sent it");
        let d = s.memory.read(|st| st.deliveries.get(&m.id()).cloned()).expect("queued durably");
        assert_eq!(d.priority, PRIORITY_REPLY);
        assert!(s.then_events().is_empty(), "an existing conversation goes on: nothing new to say yet");
    }

    #[tokio::test]
    async fn given_the_window_closed_when_a_template_is_given_then_a_new_business_conversation_carries_it() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 25 * 60).await;
        let cmd = SendMessage { template: Some(template()), ..text(s.shop) };
        let m = s.when(&SendMessageHandler { clock: s.clock() }, cmd).await.unwrap().queued().unwrap();
        assert_eq!(m.kind(), MessageKind::Template);
        assert_eq!(s.then_events(), ["conversation.closed", "conversation.started"], "the expired one closes first");
        let active: Vec<_> = s.memory.read(|st| st.conversations.values().filter(|c| c.is_active()).map(|c| c.id()).collect());
        assert_eq!(active, [m.conversation_id()], "one active conversation, the new one");
    }

    #[tokio::test]
    async fn given_a_kept_template_when_sending_then_only_approved_goes_with_parameters_that_fit() {
        use domain::templates::{ReviewStatus, Template, TemplateDefinition, TemplateSnapshot};
        use serde_json::json;
        // The template as stored later (Meta's review, another WABA), rebuilt as persistence would.
        let stored_as = |t: &Template, status: &str, waba: &str| {
            Template::restore(TemplateSnapshot { status: ReviewStatus::parse(status), waba_id: waba.into(), ..t.snapshot().clone() })
        };
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 25 * 60).await;
        let c = json!([{"type": "BODY", "text": "Hi {{1}}, your order ships.", "example": {"body_text": [["Ana"]]}}]);
        let def = TemplateDefinition::parse("order_update", "en_US", "UTILITY", None, &c).unwrap();
        let waba = account.snapshot().waba_id.to_string();
        let (kept, _) = Template::submitted(s.shop, account.id(), &waba, def, "77", &ReviewStatus::Pending, None, None, s.now());
        s.memory.write(|st| st.stored_templates.push(kept.clone()));
        let h = SendMessageHandler { clock: s.clock() };
        let with = |components: Vec<serde_json::Value>| SendMessage {
            template: Some(TemplateRef { name: "order_update".into(), language: "en_US".into(), components }),
            ..text(s.shop)
        };
        let body = vec![json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}]})];
        let before = s.memory.read(|st| st.messages.len());

        let r = s.when(&h, with(body.clone())).await;
        assert!(matches!(&r, Err(SendMessageError::TemplateNotApproved(e)) if e.status == "PENDING"), "{r:?}");
        let approved = stored_as(&kept, "approved", &waba);
        s.memory.write(|st| st.stored_templates = vec![approved.clone()]);
        let r = s.when(&h, with(vec![])).await;
        let Err(SendMessageError::TemplateParameters(problems)) = r else { panic!("{r:?}") };
        assert_eq!(problems[0].field, "template.components.body.parameters");
        assert_eq!(s.memory.read(|st| st.messages.len()), before, "refusals store nothing");
        s.when(&h, with(body)).await.expect("approved, and the parameters fit");
        let other = SendMessage {
            template: Some(TemplateRef { name: "not_kept".into(), language: "en_US".into(), components: vec![] }),
            ..text(s.shop)
        };
        let r = s.when(&h, other).await;
        assert!(matches!(&r, Err(SendMessageError::TemplateUnknown { name, .. }) if name == "not_kept"), "{r:?}");
        // A template of another WABA with the same name does not decide for this number.
        let elsewhere = stored_as(&approved, "paused", "other");
        s.memory.write(|st| st.stored_templates = vec![elsewhere]);
        s.when(&h, with(vec![])).await.expect("not kept for this WABA: Meta decides");
    }

    #[tokio::test]
    async fn an_unknown_or_suspended_number_cannot_send() {
        let s = Scenario::new();
        let r = s.when(&SendMessageHandler { clock: s.clock() }, SendMessage { template: Some(template()), ..text(s.shop) }).await;
        assert!(matches!(r, Err(SendMessageError::UnknownSender(_))), "{r:?}");
        let mut account = s.given_account(BUSINESS, PNID).await;
        account.suspend(None, s.now()).unwrap();
        s.memory.write(|st| st.accounts.get_mut(&account.id()).unwrap().0 = account.clone());
        let r = s.when(&SendMessageHandler { clock: s.clock() }, SendMessage { template: Some(template()), ..text(s.shop) }).await;
        assert!(matches!(r, Err(SendMessageError::AccountNotActive(_))), "{r:?}");
    }

    #[tokio::test]
    async fn a_user_id_is_attached_to_the_customer_and_the_message() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let cmd = SendMessage { template: Some(template()), user_id: Some("crm-42".into()), ..text(s.shop) };
        let m = s.when(&SendMessageHandler { clock: s.clock() }, cmd).await.unwrap().queued().unwrap();
        assert_eq!(m.snapshot().user_id.as_deref(), Some("crm-42"));
        assert_eq!(s.then_events(), ["customer.created", "conversation.started"]);
        assert_eq!(s.memory.read(|st| st.customers.values().next().unwrap().user_id().map(str::to_owned)), Some("crm-42".into()));
    }

    /// Given: the customer's marketing consent, recorded through the ledger.
    async fn given_marketing_consent(s: &Scenario, status: domain::customers::OptInStatus) {
        use crate::customers::record_consent::{RecordConsent, RecordConsentHandler};
        use domain::customers::{ConsentChange, ConsentSource, Purpose};
        let id = s.memory.read(|st| st.customers.values().next().map(|c| c.id())).expect("a customer");
        let change = ConsentChange { purpose: Purpose::Marketing, status, source: ConsentSource::Manual, evidence: None, actor: None };
        s.when(&RecordConsentHandler { clock: s.clock() }, RecordConsent { shop_id: s.shop, customer_id: id, change }).await.unwrap();
        s.then_events();
    }

    fn marketing_template(s: &Scenario) -> TemplateRef {
        let t = TemplateRef { name: "spring_sale".into(), language: "en_US".into(), components: vec![] };
        s.memory.write(|st| {
            st.template_categories.insert((s.shop, t.name.clone(), t.language.clone()), domain::templates::TemplateCategory::Marketing)
        });
        t
    }

    #[tokio::test]
    async fn given_consent_states_when_sending_templates_then_the_rule_decides_and_refusals_store_nothing() {
        use domain::customers::OptInStatus;
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 25 * 60).await;
        let h = SendMessageHandler { clock: s.clock() };
        let send = |t: TemplateRef| SendMessage { template: Some(t), ..text(s.shop) };
        let stored = || s.memory.read(|st| st.messages.len());
        let before = stored();

        // Pending: a marketing template needs an opt-in; an unknown (utility) one goes.
        let r = s.when(&h, send(marketing_template(&s))).await;
        assert!(matches!(r, Err(SendMessageError::ConsentRequired(_))), "{r:?}");
        assert_eq!(stored(), before, "nothing stored");
        s.when(&h, send(template())).await.unwrap();

        given_marketing_consent(&s, OptInStatus::OptedIn).await;
        s.when(&h, send(marketing_template(&s))).await.unwrap();

        given_marketing_consent(&s, OptInStatus::OptedOut).await;
        let r = s.when(&h, send(marketing_template(&s))).await;
        assert!(matches!(r, Err(SendMessageError::OptedOut(_))), "{r:?}");
        let r = s.when(&h, send(template())).await;
        assert!(matches!(r, Err(SendMessageError::OptedOut(_))), "a template of unknown category might be marketing: {r:?}");
        s.memory.write(|st| {
            st.template_categories.insert((s.shop, "order_update".into(), "en_US".into()), domain::templates::TemplateCategory::Utility)
        });
        s.when(&h, send(template())).await.expect("utility still reaches a customer who stopped marketing");
    }

    #[tokio::test]
    async fn a_shop_that_turns_the_opt_in_requirement_off_may_send_marketing_to_pending_customers() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        given_the_customer_wrote(&s, &account, 25 * 60).await;
        let settings = domain::customers::ConsentSettings { require_marketing_opt_in: false, ..Default::default() };
        s.memory.write(|st| st.consent_settings.insert(s.shop, settings));
        let cmd = SendMessage { template: Some(marketing_template(&s)), ..text(s.shop) };
        s.when(&SendMessageHandler { clock: s.clock() }, cmd).await.unwrap();
    }

    #[test]
    fn commands_never_print_message_bodies() {
        let printed = format!("{:?}", text(ShopId::new()));
        assert!(!printed.contains("4111") && printed.contains("text"), "{printed}");
    }
}
