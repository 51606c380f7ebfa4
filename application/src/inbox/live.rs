//! Live updates (`GET /api/v1/stream`): the shop's changes as they commit, for dashboards. Each
//! replica follows the outbox with one poll ([`LiveFeed`]), whoever committed the change: a
//! client on an API-only replica sees what a worker replica wrote. The feed keeps the last
//! minutes in memory, so a client that reconnects with `Last-Event-ID` gets what it missed, and
//! fans out to every connected client through one broadcast channel. What a client receives is
//! decided per client ([`Audience`]): its shop, the types it asked for, and, for a key bound to a
//! member, only the conversations that member may see (docs/INBOX.md).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::broadcast;

use crate::messaging::ports::MessagingReads;
use crate::shared::outbox::OutboxRecord;
use crate::shared::repo::RepoResult;
use crate::shared::subscription::{Cursor, GAP_GRACE, SubscriptionStore};
use domain::{ConversationId, MemberId, ShopId};

/// How long the feed keeps events for a reconnecting client.
pub const REPLAY_WINDOW: Duration = Duration::minutes(5);
/// The most events kept for replays (a burst beyond it keeps the newest).
pub const REPLAY_MAX: usize = 20_000;
/// How many rows one poll reads at most.
pub const POLL_BATCH: u64 = 1_000;

/// One change, as the stream sends it: `id` is the outbox's `seq`, `event` the short type,
/// `data` the CloudEvents envelope (docs/EVENTS.md).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    pub seq: i64,
    pub event_type: String,
    pub shop_id: ShopId,
    /// The conversation it is about, when it is about one.
    pub conversation_id: Option<ConversationId>,
    /// The CloudEvents envelope as JSON text, rendered once for every client of the replica.
    pub rendered: Arc<str>,
    pub recorded_at: DateTime<Utc>,
}

impl LiveEvent {
    /// The event of an outbox row; `None` for a row of no shop.
    pub fn of(r: &OutboxRecord) -> Option<Self> {
        let data = &r.envelope["data"];
        let shop = data["shopId"]
            .as_str()
            .or_else(|| r.envelope["source"].as_str().and_then(|s| s.strip_prefix("/shops/")))
            .and_then(|s| uuid::Uuid::parse_str(s).ok())?;
        let conversation = data["conversationId"].as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).map(ConversationId::from);
        Some(Self {
            seq: r.seq,
            event_type: r.event_type.clone(),
            shop_id: shop.into(),
            conversation_id: conversation,
            rendered: r.envelope.to_string().into(),
            recorded_at: r.created_at,
        })
    }

    /// Whether it changes who may see its conversation (a client's view of it is checked again).
    fn moves_conversation(&self) -> bool {
        matches!(self.event_type.as_str(), "conversation.assigned" | "conversation.owner.changed" | "conversation.handed_off")
    }
}

/// The last minutes of events, in the order the feed saw them.
#[derive(Debug, Default)]
pub struct Recent {
    events: VecDeque<Arc<LiveEvent>>,
}

impl Recent {
    pub fn push(&mut self, e: Arc<LiveEvent>, now: DateTime<Utc>) {
        self.events.push_back(e);
        while self.events.len() > REPLAY_MAX || self.events.front().is_some_and(|f| f.recorded_at + REPLAY_WINDOW < now) {
            self.events.pop_front();
        }
    }

    /// What came after the event `last` (its `seq`): everything the feed saw after it, in that
    /// order; when the feed never saw it (another replica's, or older), every kept event above it.
    pub fn after(&self, last: i64, now: DateTime<Utc>) -> Vec<Arc<LiveEvent>> {
        let fresh = |e: &&Arc<LiveEvent>| e.recorded_at + REPLAY_WINDOW >= now;
        match self.events.iter().position(|e| e.seq == last) {
            Some(at) => self.events.iter().skip(at + 1).filter(fresh).cloned().collect(),
            None => self.events.iter().filter(|e| e.seq > last).filter(fresh).cloned().collect(),
        }
    }
}

/// One replica's view of the outbox for live clients: one poll for all of them.
pub struct LiveFeed {
    store: Arc<dyn SubscriptionStore>,
    cursor: tokio::sync::Mutex<Option<Cursor>>,
    recent: Mutex<Recent>,
    tx: broadcast::Sender<Arc<LiveEvent>>,
}

impl LiveFeed {
    pub fn new(store: Arc<dyn SubscriptionStore>) -> Self {
        Self { store, cursor: tokio::sync::Mutex::new(None), recent: Mutex::new(Recent::default()), tx: broadcast::channel(4_096).0 }
    }

    /// A new client's receiver (subscribe before reading the replay, so nothing falls between).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveEvent>> {
        self.tx.subscribe()
    }

    pub fn clients(&self) -> usize {
        self.tx.receiver_count()
    }

    pub fn replay(&self, last: i64, now: DateTime<Utc>) -> Vec<Arc<LiveEvent>> {
        self.recent.lock().expect("the replay buffer's lock").after(last, now)
    }

    /// One poll: read what committed since the last, keep it and send it to every client. The
    /// first poll starts at the outbox's end. Returns how many rows it read.
    pub async fn poll(&self, now: DateTime<Utc>) -> RepoResult<usize> {
        let mut guard = self.cursor.lock().await;
        let cursor = match guard.as_mut() {
            Some(c) => c,
            None => guard.insert(Cursor::starting_at(self.store.head().await?)),
        };
        let rows = self.store.rows_after(cursor.watermark, POLL_BATCH + cursor.ahead.len() as u64).await?;
        let fresh: Vec<Arc<LiveEvent>> =
            rows.iter().filter(|r| !cursor.ahead.contains(&r.seq)).filter_map(LiveEvent::of).map(Arc::new).collect();
        cursor.handled(&rows.iter().map(|r| (r.seq, r.created_at)).collect::<Vec<_>>(), now, GAP_GRACE);
        if !fresh.is_empty() {
            let mut recent = self.recent.lock().expect("the replay buffer's lock");
            for e in fresh {
                recent.push(e.clone(), now);
                // No client connected is not an error.
                let _ = self.tx.send(e);
            }
        }
        Ok(rows.len())
    }
}

/// Who a stream is for, and what they asked for.
pub struct Audience {
    pub shop_id: ShopId,
    /// A key bound to a member sees only that member's conversations (assigned to them, or in
    /// one of their departments), and no event that is not about a conversation.
    pub member: Option<MemberId>,
    /// Only these types (`message.received`); `None`: every type.
    pub types: Option<Vec<String>>,
    reads: Arc<dyn MessagingReads>,
    /// What the member may see, checked at most every few seconds per conversation.
    seen: HashMap<ConversationId, (bool, DateTime<Utc>)>,
}

/// How long a member's view of a conversation is trusted before it is checked again (an
/// assignment or a change of owner checks it at once).
pub const VISIBILITY_TTL: Duration = Duration::seconds(5);

impl Audience {
    pub fn new(shop_id: ShopId, member: Option<MemberId>, types: Option<Vec<String>>, reads: Arc<dyn MessagingReads>) -> Self {
        Self { shop_id, member, types, reads, seen: HashMap::new() }
    }

    /// Whether this client receives the event.
    pub async fn wants(&mut self, e: &LiveEvent, now: DateTime<Utc>) -> RepoResult<bool> {
        if e.shop_id != self.shop_id || self.types.as_ref().is_some_and(|t| !t.contains(&e.event_type)) {
            return Ok(false);
        }
        let Some(member) = self.member else { return Ok(true) };
        let Some(conversation) = e.conversation_id else { return Ok(false) };
        if e.moves_conversation() {
            self.seen.remove(&conversation);
        }
        if let Some((visible, at)) = self.seen.get(&conversation)
            && *at + VISIBILITY_TTL > now
        {
            return Ok(*visible);
        }
        let visible = super::conversation_visible::member_sees(self.reads.as_ref(), self.shop_id, member, conversation, now).await?;
        self.seen.insert(conversation, (visible, now));
        if self.seen.len() > 10_000 {
            self.seen.retain(|_, (_, at)| *at + VISIBILITY_TTL > now);
        }
        Ok(visible)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap() + Duration::seconds(secs)
    }

    fn event(seq: i64, at: DateTime<Utc>) -> Arc<LiveEvent> {
        Arc::new(LiveEvent {
            seq,
            event_type: "message.received".into(),
            shop_id: ShopId::new(),
            conversation_id: None,
            rendered: "null".into(),
            recorded_at: at,
        })
    }

    fn seqs(v: &[Arc<LiveEvent>]) -> Vec<i64> {
        v.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn given_a_reconnect_when_its_last_event_was_seen_then_it_gets_what_followed_in_the_feeds_order() {
        let mut r = Recent::default();
        // 12 committed late, after 13 and 14 were seen.
        for s in [10, 11, 13, 14, 12, 15] {
            r.push(event(s, t(0)), t(0));
        }
        assert_eq!(seqs(&r.after(13, t(1))), [14, 12, 15], "a row committed late is not lost");
        assert_eq!(seqs(&r.after(15, t(1))), Vec::<i64>::new());
        assert_eq!(seqs(&r.after(3, t(1))), [10, 11, 13, 14, 12, 15], "an id the feed never saw: everything above it");
    }

    #[test]
    fn given_events_older_than_the_window_when_replaying_then_they_are_gone() {
        let mut r = Recent::default();
        r.push(event(1, t(0)), t(0));
        r.push(event(2, t(200)), t(200));
        assert_eq!(seqs(&r.after(0, t(301))), [2]);
        r.push(event(3, t(400)), t(400));
        assert_eq!(r.events.len(), 2, "the first is dropped once it is past the window");
    }

    #[test]
    fn given_an_outbox_row_when_read_then_its_shop_and_conversation_are_known() {
        let shop = uuid::Uuid::now_v7();
        let conversation = uuid::Uuid::now_v7();
        let r = OutboxRecord {
            seq: 7,
            event_id: uuid::Uuid::now_v7(),
            event_type: "conversation.assigned".into(),
            subject: conversation.to_string(),
            envelope: serde_json::json!({"source": format!("/shops/{shop}"), "data": {"conversationId": conversation}}),
            created_at: t(0),
        };
        let e = LiveEvent::of(&r).unwrap();
        assert_eq!((e.shop_id, e.conversation_id), (shop.into(), Some(conversation.into())));
        assert!(e.moves_conversation());
        let nowhere = OutboxRecord { envelope: serde_json::json!({"data": {}}), ..r };
        assert!(LiveEvent::of(&nowhere).is_none());
    }
}
