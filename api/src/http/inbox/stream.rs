//! `GET /api/v1/stream` (docs/INBOX.md): server-sent events of the shop's changes, from this
//! replica's live feed (`application::inbox::live`).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use poem::web::Data;
use poem::web::sse::Event;
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::EventStream;
use poem_openapi::{Object, OpenApi};
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use application::inbox::live::{Audience, LiveEvent};
use application::webhook_subscriptions::ports::EVENT_TYPES;
use domain::tenancy::Role;

use super::InboxHttp;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::{ApiTags, member};

pub struct StreamApi;

/// One change: sent as an SSE event whose `id` is its position in the outbox, `event` its type,
/// and `data` its CloudEvents envelope (docs/EVENTS.md).
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct StreamEventDto {
    pub id: i64,
    #[oai(rename = "type")]
    pub event_type: String,
    /// The CloudEvents envelope.
    pub data: Value,
    /// `data` as sent: rendered once per event for every client (the stream sends this, not
    /// `data`, which is here for the schema).
    #[oai(skip)]
    pub rendered: std::sync::Arc<str>,
}

/// The types a client asked for: a comma-separated list of documented types.
fn types(raw: Option<String>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let list: Vec<String> = raw.split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    if list.is_empty() {
        return Err(ApiError::validation("types", "name at least one event type"));
    }
    if let Some(unknown) = list.iter().find(|t| !EVENT_TYPES.contains(&t.as_str())) {
        return Err(ApiError::validation("types", &format!("{unknown} is not an event type of docs/EVENTS.md")));
    }
    Ok(Some(list))
}

struct State {
    h: Arc<InboxHttp>,
    audience: Audience,
    replay: VecDeque<Arc<LiveEvent>>,
    replayed: HashSet<i64>,
    live: tokio::sync::broadcast::Receiver<Arc<LiveEvent>>,
}

impl State {
    /// The next event this client receives; `None` ends the stream (the feed stopped, or the
    /// client fell so far behind that it must reconnect and replay with `Last-Event-ID`).
    async fn next(&mut self) -> Option<Arc<LiveEvent>> {
        loop {
            let e = match self.replay.pop_front() {
                Some(e) => e,
                None => match self.live.recv().await {
                    Ok(e) if self.replayed.contains(&e.seq) => continue,
                    Ok(e) => e,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::info!(missed, "a stream client fell behind; it reconnects with Last-Event-ID");
                        return None;
                    }
                    Err(RecvError::Closed) => return None,
                },
            };
            match self.audience.wants(&e, self.h.clock.now()).await {
                Ok(true) => return Some(e),
                Ok(false) => continue,
                Err(err) => {
                    tracing::warn!(error = %application::Chain(&err), "a stream client's view could not be checked; it reconnects");
                    return None;
                }
            }
        }
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Conversations")]
impl StreamApi {
    /// The shop's changes as they happen (viewer), as server-sent events: messages, statuses,
    /// assignments, notes, tags, inbox states, owners, customers, templates (docs/EVENTS.md),
    /// each with `id` (its position), `event` (its type) and `data` (its envelope). A key bound
    /// to a member receives only events about conversations that member may see. A comment line
    /// keeps the connection alive while nothing happens. `Last-Event-ID` replays what came after
    /// that event in the last 5 minutes.
    #[oai(path = "/stream", method = "get", operation_id = "streamEvents")]
    async fn stream(
        &self,
        h: Data<&Arc<InboxHttp>>,
        authn: Data<&Arc<Authenticator>>,
        auth: ApiKeyAuth,
        /// The `id` of the last event received (what a browser's EventSource sends on reconnect).
        #[oai(name = "Last-Event-ID")]
        last_event_id: Header<Option<String>>,
        /// Only these types, comma-separated (`message.received,conversation.assigned`).
        #[oai(validator(min_length = 1, max_length = 2000))]
        types: Query<Option<String>>,
    ) -> Result<EventStream<BoxStream<'static, StreamEventDto>>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let last = match last_event_id.0.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(
                raw.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| ApiError::validation("Last-Event-ID", "must be an event's id"))?,
            ),
        };
        let types = self::types(types.0)?;
        let h: Arc<InboxHttp> = h.0.clone();
        // Subscribe first: what commits while the replay is read comes live, once.
        let live = h.live.subscribe();
        let replay: VecDeque<Arc<LiveEvent>> = last.map(|l| h.live.replay(l, h.clock.now()).into()).unwrap_or_default();
        let state = State {
            audience: Audience::new(shop, member(), types, h.messaging_reads.clone()),
            replayed: replay.iter().map(|e| e.seq).collect(),
            replay,
            live,
            h: h.clone(),
        };
        let events = stream::unfold(state, |mut s| async move {
            let e = s.next().await?;
            Some((StreamEventDto { id: e.seq, event_type: e.event_type.clone(), data: Value::Null, rendered: e.rendered.clone() }, s))
        })
        .boxed();
        Ok(EventStream::new(events)
            .keep_alive(h.keep_alive)
            .to_event(|e| Event::message(&*e.rendered).event_type(e.event_type).id(e.id.to_string())))
    }
}
