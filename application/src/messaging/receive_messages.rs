//! ReceiveMessages: customers' messages from a batch of webhooks become messages of their
//! conversations. Set-based: the customers, the conversations and the duplicates of the whole
//! batch are read in one query each; messages, conversations and events are written with
//! multi-row statements. Runs inside the inbound batch's transaction.
//!
//! Meta redelivers and reorders: a wamid already stored (or twice in the batch) is skipped, and
//! the window only moves forward to the latest customer message, whatever the arrival order.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::delivery_policy::PRIORITY_REPLY;
use super::ports::Delivery;
use super::send_message::{continue_or_start, store_conversations};
use crate::customers::identify::{Contact, identify, record_consent_signals};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{ConsentChange, ConsentSource, KeywordMatch, Purpose};
use domain::media::{MediaFile, MediaKind};
use domain::messaging::{Conversation, InboundMessage, Message, MessageContent, MessageKind, Origin, Outbound};
use domain::{AccountId, ConversationId, Events, ShopId, WaId};

use crate::accounts::routed::Routed;
use crate::customers::ports::CustomersUnitOfWork;
use crate::media::ports::MediaUnitOfWork;
use crate::messaging::ports::MessagingUnitOfWork;

#[derive(Validate)]
pub struct ReceiveMessages {
    /// In the order Meta delivered them.
    pub messages: Vec<Routed<InboundMessage>>,
}

impl fmt::Debug for ReceiveMessages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies are customers' messages: never logged.
        f.debug_struct("ReceiveMessages").field("messages", &self.messages.len()).finish()
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReceiveOutcome {
    pub stored: u32,
    pub duplicates: u32,
    /// Opt-outs and opt-ins by keyword.
    pub consent_changes: u32,
    /// Customers' files to fetch from Meta.
    pub media: u32,
    /// The messages stored now (not redeliveries), in Meta's order: what answering contexts
    /// (turns) start from.
    pub received: Vec<Received>,
}

/// A customer's message stored now, with its thread and what it means to whoever answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub customer_id: domain::CustomerId,
    pub wa_id: WaId,
    pub conversation_id: domain::ConversationId,
    pub message_id: domain::MessageId,
    pub wamid: String,
    /// The customer was first seen with this batch: their first message ever.
    pub first_contact: bool,
    /// A whole-message opt-out or opt-in keyword (answered by the consent feature).
    pub keyword: bool,
}

/// Keywords are short: a longer text is never one, and costs no settings lookup.
const KEYWORD_SCAN_CHARS: usize = 80;

/// A whole-message opt-out ("STOP") or opt-in ("START") keyword of the customer's shop records
/// the change of marketing consent (source `whatsapp`, the message as evidence) and queues one
/// confirmation, a free-form reply inside the window the message opened. A keyword that changes
/// nothing (a second STOP) is not confirmed again.
async fn consent_keywords(
    uow: &mut dyn UnitOfWork,
    fresh: &[&Routed<InboundMessage>],
    conversations: &HashMap<Key, (Conversation, bool)>,
    events: &mut Events,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(u32, HashSet<String>), RepoError> {
    let candidates: Vec<(&Routed<InboundMessage>, &str)> = fresh
        .iter()
        .filter_map(|m| match &m.item.content {
            MessageContent::Text { text, .. } if text.chars().count() <= KEYWORD_SCAN_CHARS => Some((*m, text.as_str())),
            _ => None,
        })
        .collect();
    if candidates.is_empty() {
        return Ok((0, HashSet::new()));
    }
    let mut shops: Vec<ShopId> = candidates.iter().map(|(m, _)| m.account.shop_id()).collect();
    shops.sort();
    shops.dedup();
    let settings = uow.customers().consent_settings(&shops).await?;
    // In Meta's time order, so "STOP" then "START" ends opted in whatever the delivery order.
    let mut matched: Vec<(&Routed<InboundMessage>, KeywordMatch)> = candidates
        .into_iter()
        .filter_map(|(m, text)| settings.get(&m.account.shop_id()).and_then(|s| s.classify(text)).map(|k| (m, k)))
        .collect();
    if matched.is_empty() {
        return Ok((0, HashSet::new()));
    }
    let keywords: HashSet<String> = matched.iter().map(|(m, _)| m.item.wamid.clone()).collect();
    matched.sort_by(|a, b| (a.0.item.timestamp, &a.0.item.wamid).cmp(&(b.0.item.timestamp, &b.0.item.wamid)));
    let changes: Vec<((ShopId, WaId), ConsentChange)> = matched
        .iter()
        .map(|(m, k)| {
            let change = ConsentChange {
                purpose: Purpose::Marketing,
                status: k.status,
                source: ConsentSource::Whatsapp,
                evidence: Some(format!("message {} \"{}\"", m.item.wamid, k.keyword)),
                actor: None,
            };
            ((m.account.shop_id(), m.item.from.clone()), change)
        })
        .collect();
    let (recorded, consent_events) = record_consent_signals(uow, &changes, now).await?;
    events.append(consent_events);
    let mut replies: HashMap<Key, Message> = HashMap::new();
    for ((m, k), customer) in matched.iter().zip(&recorded) {
        let Some(customer) = customer else { continue };
        let key = (m.account.id(), m.item.from.clone());
        if let Some((conversation, _)) = conversations.get(&key) {
            let outbound = Outbound {
                kind: MessageKind::Free,
                content: MessageContent::Text { text: k.reply.clone(), preview_url: false },
                reply_to: Some(m.item.wamid.clone()),
                user_id: customer.user_id().map(str::to_owned),
                from: m.account.display_phone_number().clone(),
                sent_by: domain::messaging::Sender::consent_confirmation(),
            };
            // One confirmation per customer and batch: the last keyword's.
            replies.insert(key, conversation.queue(outbound, now));
        }
    }
    let changed = recorded.iter().filter(|r| r.is_some()).count();
    if changed == 0 {
        return Ok((0, keywords));
    }
    let mut replies: Vec<(Key, Message)> = replies.into_iter().collect();
    replies.sort_by(|a, b| a.0.cmp(&b.0));
    let queued: Vec<Message> = replies.iter().map(|(_, m)| m.clone()).collect();
    if uow.messages().insert_many(&queued).await?.len() != queued.len() {
        return Err(RepoError::Other("a confirmation was not stored".into()));
    }
    for ((account_id, wa_id), m) in replies {
        uow.deliveries()
            .enqueue(&Delivery {
                message_id: m.id(),
                shop_id: m.shop_id(),
                account_id,
                wa_id,
                priority: PRIORITY_REPLY,
                attempts: 0,
                pair_retries: 0,
                next_attempt_at: now,
                created_at: now,
            })
            .await?;
    }
    Ok((changed as u32, keywords))
}

/// A customer's file, named by Meta's id: it gets our id (in the stored message's content, so
/// the message shows where to read it) and is fetched by the media job. Returns our id, its
/// kind and what Meta said about it.
fn announce_media(item: &mut InboundMessage) -> Option<(domain::MediaId, MediaKind, domain::messaging::Media)> {
    let (kind, media) = match &mut item.content {
        MessageContent::Image(m) => (MediaKind::Image, m),
        MessageContent::Video(m) => (MediaKind::Video, m),
        MessageContent::Audio(m) => (MediaKind::Audio, m),
        MessageContent::Document(m) => (MediaKind::Document, m),
        MessageContent::Sticker(m) => (MediaKind::Sticker, m),
        _ => return None,
    };
    media.id.as_ref().filter(|id| !id.is_empty())?;
    let id = domain::MediaId::new();
    media.media_id = Some(id);
    Some((id, kind, media.clone()))
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiveMessagesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the messages")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ReceiveMessagesError);

impl Command for ReceiveMessages {
    type Output = ReceiveOutcome;
    type Error = ReceiveMessagesError;
    const NAME: &'static str = "ReceiveMessages";
}

pub struct ReceiveMessagesHandler {
    pub clock: Arc<dyn Clock>,
}

type Key = (AccountId, WaId);

#[async_trait]
impl CommandHandler<ReceiveMessages> for ReceiveMessagesHandler {
    async fn handle(&self, cmd: &ReceiveMessages, uow: &mut dyn UnitOfWork) -> Result<ReceiveOutcome, ReceiveMessagesError> {
        let now = self.clock.now();
        let mut out = ReceiveOutcome::default();
        // Duplicates: within the batch, then against what is stored.
        let wamids: Vec<String> = cmd.messages.iter().map(|m| m.item.wamid.clone()).collect();
        let stored = if wamids.is_empty() { HashSet::new() } else { uow.messages().existing_wamids(&wamids).await? };
        let mut seen = HashSet::new();
        let fresh: Vec<&Routed<InboundMessage>> =
            cmd.messages.iter().filter(|m| !stored.contains(&m.item.wamid) && seen.insert(m.item.wamid.clone())).collect();
        out.duplicates = (cmd.messages.len() - fresh.len()) as u32;
        if fresh.is_empty() {
            return Ok(out);
        }

        let contacts: Vec<Contact> = fresh
            .iter()
            .map(|m| Contact {
                shop_id: m.account.shop_id(),
                wa_id: m.item.from.clone(),
                profile_name: m.item.profile_name.clone(),
                inbound_at: Some(m.item.timestamp),
                user_id: None,
            })
            .collect();
        let mut identified = identify(uow, &contacts, now).await?;
        let first_seen: HashSet<(ShopId, WaId)> = identified.created.iter().map(|(k, _)| k.clone()).collect();

        let mut keys: Vec<Key> = fresh.iter().map(|m| (m.account.id(), m.item.from.clone())).collect();
        keys.sort();
        keys.dedup();
        let mut active: HashMap<Key, Conversation> =
            uow.conversations().lock_active(&keys).await?.into_iter().map(|c| ((c.account_id(), c.wa_id().clone()), c)).collect();

        // Per message, in Meta's order: its customer's and conversation's first events, then its own.
        let mut events = Events::new();
        let mut conversations: HashMap<Key, (Conversation, bool)> = HashMap::new();
        let mut expired: Vec<Conversation> = Vec::new();
        let mut messages: Vec<Message> = Vec::with_capacity(fresh.len());
        let mut files: Vec<MediaFile> = Vec::new();
        for m in &fresh {
            let shop = m.account.shop_id();
            let customer_key = (shop, m.item.from.clone());
            if let Some(i) = identified.created.iter().position(|(k, _)| *k == customer_key) {
                events.append(identified.created.swap_remove(i).1);
            }
            let customer = identified.customers.get(&customer_key).ok_or_else(|| RepoError::Other("customer vanished".into()))?;
            let key = (m.account.id(), m.item.from.clone());
            if !conversations.contains_key(&key) {
                let (c, new, old) =
                    continue_or_start(active.remove(&key), &m.account, customer.id(), &m.item.from, Origin::Customer, now, &mut events);
                expired.extend(old);
                conversations.insert(key.clone(), (c, new));
            }
            let (conversation, _) = conversations.get_mut(&key).ok_or_else(|| RepoError::Other("conversation vanished".into()))?;
            let mut item = m.item.clone();
            let announced = announce_media(&mut item);
            let (message, event) = conversation.receive(item, customer.user_id().map(str::to_owned), m.account.display_phone_number(), now);
            if let Some((id, kind, meta)) = announced {
                files.push(MediaFile::announced(
                    id,
                    shop,
                    m.account.id(),
                    message.id(),
                    kind,
                    &meta.id.unwrap_or_default(),
                    meta.mime_type,
                    meta.sha256.as_deref(),
                    meta.filename,
                    now,
                ));
            }
            events.push(event);
            out.received.push(Received {
                shop_id: shop,
                account_id: m.account.id(),
                customer_id: customer.id(),
                wa_id: m.item.from.clone(),
                conversation_id: conversation.id(),
                message_id: message.id(),
                wamid: m.item.wamid.clone(),
                first_contact: first_seen.contains(&customer_key),
                keyword: false,
            });
            messages.push(message);
        }

        let mut updated: Vec<&Conversation> = expired.iter().collect();
        updated.extend(conversations.values().filter(|(_, new)| !new).map(|(c, _)| c));
        updated.sort_by_key(|c| c.id());
        let started: Vec<Conversation> = conversations.values().filter(|(_, new)| *new).map(|(c, _)| c.clone()).collect();
        store_conversations(uow, &updated, &started).await?;
        // In wamid order, so two transactions storing the same redelivered messages queue on the
        // unique rule instead of deadlocking.
        messages.sort_by(|a, b| a.wamid().cmp(&b.wamid()));
        let inserted = uow.messages().insert_many(&messages).await?;
        if inserted.len() != messages.len() {
            // Another transaction stored one of these wamids since we looked: run again, and
            // it is a duplicate then.
            return Err(RepoError::Concurrency("a message was stored by a concurrent transaction".into()).into());
        }
        // Each conversation's unread count grows by what its customer just wrote (set-based).
        let mut unread: HashMap<ConversationId, u32> = HashMap::new();
        for m in &messages {
            *unread.entry(m.snapshot().conversation_id).or_default() += 1;
        }
        let mut unread: Vec<(ConversationId, u32)> = unread.into_iter().collect();
        unread.sort();
        uow.conversations().add_unread(&unread).await?;
        if !files.is_empty() {
            uow.media().insert_many(&files).await?;
            out.media = files.len() as u32;
        }
        let (changes, keywords) = consent_keywords(uow, &fresh, &conversations, &mut events, now).await?;
        out.consent_changes = changes;
        for r in &mut out.received {
            r.keyword = keywords.contains(&r.wamid);
        }
        uow.outbox().append(&events, now).await?;
        out.stored = messages.len() as u32;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{BUSINESS, PNID, Scenario, text_from};
    use chrono::Duration;
    use domain::accounts::WhatsAppAccount;

    fn routed(account: &WhatsAppAccount, items: Vec<InboundMessage>) -> ReceiveMessages {
        let account = Arc::new(account.clone());
        ReceiveMessages { messages: items.into_iter().map(|item| Routed { account: account.clone(), item }).collect() }
    }

    #[tokio::test]
    async fn given_a_new_customer_when_they_write_then_customer_conversation_and_message_in_that_order() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let out = s
            .when(
                &ReceiveMessagesHandler { clock: s.clock() },
                routed(&account, vec![text_from("5511987654321", "wamid.1", s.now(), "oi")]),
            )
            .await
            .unwrap();
        assert_eq!((out.stored, out.duplicates), (1, 0));
        assert_eq!(out.received.len(), 1);
        assert!(out.received[0].first_contact && !out.received[0].keyword, "a first message, not a keyword");
        assert_eq!(s.then_events(), ["customer.created", "conversation.started", "message.received"]);
    }

    #[tokio::test]
    async fn given_a_customer_writes_stop_then_opted_out_once_with_one_confirmation_and_start_opts_back_in() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let h = ReceiveMessagesHandler { clock: s.clock() };
        let wa = "5511987654321";
        let t = s.now();
        let out = s.when(&h, routed(&account, vec![text_from(wa, "wamid.1", t, " Stop! ")])).await.unwrap();
        assert_eq!(out.consent_changes, 1);
        assert!(out.received[0].keyword);
        assert_eq!(s.then_events(), ["customer.created", "conversation.started", "message.received", "customer.opt_in.changed"]);
        let customer = s.memory.read(|st| st.customers.values().next().unwrap().clone());
        assert_eq!(customer.consent().marketing.status, domain::customers::OptInStatus::OptedOut);
        let confirmations = |st: &crate::testing::memory::State| {
            st.messages.values().filter(|m| m.direction() == domain::messaging::Direction::Outbound).cloned().collect::<Vec<_>>()
        };
        let sent = s.memory.read(confirmations);
        assert_eq!(sent.len(), 1, "one confirmation");
        assert!(matches!(sent[0].content(), MessageContent::Text { text, .. } if text.contains("START")));
        assert!(s.memory.read(|st| st.deliveries.contains_key(&sent[0].id())), "queued for the dispatcher");
        let entry = s.memory.read(|st| st.consent_ledger[0].clone());
        assert_eq!((entry.source, entry.evidence.as_deref()), (ConsentSource::Whatsapp, Some("message wamid.1 \"STOP\"")));

        // A second STOP changes nothing and is not confirmed again; a sentence is not a keyword.
        let out = s
            .when(&h, routed(&account, vec![text_from(wa, "wamid.2", t, "STOP"), text_from(wa, "wamid.3", t, "stop sending me the bill")]))
            .await
            .unwrap();
        let keywords: Vec<bool> = out.received.iter().map(|r| r.keyword).collect();
        assert_eq!(keywords, [true, false], "a second STOP is still a keyword (nothing else answers it); a sentence is not");
        assert_eq!(s.then_events(), ["message.received", "message.received"]);
        assert_eq!(s.memory.read(confirmations).len(), 1);

        let out = s.when(&h, routed(&account, vec![text_from(wa, "wamid.4", t, "start")])).await.unwrap();
        assert_eq!(out.consent_changes, 1);
        assert_eq!(
            s.memory.read(|st| st.customers.values().next().unwrap().consent().marketing.status),
            domain::customers::OptInStatus::OptedIn
        );
        assert_eq!(s.memory.read(confirmations).len(), 2);
    }

    #[tokio::test]
    async fn redeliveries_within_a_batch_and_across_batches_are_stored_once() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let m = text_from("5511987654321", "wamid.1", s.now(), "oi");
        let h = ReceiveMessagesHandler { clock: s.clock() };
        let out = s.when(&h, routed(&account, vec![m.clone(), m.clone()])).await.unwrap();
        assert_eq!((out.stored, out.duplicates, out.received.len()), (1, 1, 1));
        let out = s.when(&h, routed(&account, vec![m])).await.unwrap();
        assert_eq!((out.stored, out.duplicates, out.received.len()), (0, 1, 0), "a redelivery starts nothing");
        assert_eq!(s.memory.read(|st| st.messages.len()), 1);
        assert_eq!(s.then_events().iter().filter(|t| **t == "message.received").count(), 1, "a redelivery emits nothing");
    }

    #[tokio::test]
    async fn out_of_order_messages_leave_the_window_at_the_latest_one() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let (t, h) = (s.now(), ReceiveMessagesHandler { clock: s.clock() });
        let latest = text_from("5511987654321", "wamid.late", t - Duration::minutes(1), "second");
        let earlier = text_from("5511987654321", "wamid.early", t - Duration::minutes(9), "first");
        s.when(&h, routed(&account, vec![latest])).await.unwrap();
        s.when(&h, routed(&account, vec![earlier])).await.unwrap();
        let (conversation, customer) =
            s.memory.read(|st| (st.conversations.values().next().unwrap().clone(), st.customers.values().next().unwrap().clone()));
        assert_eq!(conversation.last_inbound_at(), Some(t - Duration::minutes(1)));
        assert_eq!(customer.snapshot().last_inbound_at, Some(t - Duration::minutes(1)));
        assert_eq!(s.memory.read(|st| st.conversations.len()), 1);
    }

    #[tokio::test]
    async fn one_batch_serves_several_customers_with_one_conversation_each() {
        let s = Scenario::new();
        let account = s.given_account(BUSINESS, PNID).await;
        let batch = vec![
            text_from("5511900000001", "wamid.a1", s.now(), "a"),
            text_from("5511900000002", "wamid.b1", s.now(), "b"),
            text_from("5511900000001", "wamid.a2", s.now(), "a again"),
        ];
        let out = s.when(&ReceiveMessagesHandler { clock: s.clock() }, routed(&account, batch)).await.unwrap();
        assert_eq!(out.stored, 3);
        assert_eq!(s.memory.read(|st| (st.customers.len(), st.conversations.len())), (2, 2));
        assert_eq!(
            s.then_events(),
            [
                "customer.created",
                "conversation.started",
                "message.received",
                "customer.created",
                "conversation.started",
                "message.received",
                "message.received"
            ]
        );
    }
}
