//! Group commit on the webhook path (issue 8, ADR 10). Concurrent `POST /webhooks/whatsapp`
//! requests hand their verified bodies to committers; a committer takes whatever has arrived
//! (never waiting for company: under light load a group is one body), writes it with one
//! multi-row insert and one commit, then answers every request in it. A failed group is stored
//! again one body at a time, so a poison body cannot fail its neighbours; a body that still
//! fails gets its error, and the request answers 503 so Meta redelivers. Nothing is answered
//! before its commit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, mpsc, oneshot};

use application::inbound::ports::WebhookInbox;
use application::inbound::raw_body::RawBody;
use application::{RepoError, RepoResult};

use super::inbox::SeaWebhookInbox;

/// Told about every group: its size, and how long its commit took.
pub type GroupObserver = Arc<dyn Fn(usize, Duration) + Send + Sync>;

struct Pending {
    body: RawBody,
    received_at: DateTime<Utc>,
    reply: oneshot::Sender<RepoResult<uuid::Uuid>>,
}

pub struct GroupCommitInbox {
    inner: SeaWebhookInbox,
    queue: mpsc::Sender<Pending>,
}

impl GroupCommitInbox {
    /// `committers` groups in flight at once (Postgres commits several in parallel; SQLite has
    /// one writer), each of at most `max_group` bodies.
    pub fn start(inner: SeaWebhookInbox, committers: usize, max_group: usize, observe: GroupObserver) -> Self {
        let (tx, rx) = mpsc::channel::<Pending>(max_group * committers * 4);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..committers.max(1) {
            tokio::spawn(commit_loop(inner.clone(), rx.clone(), max_group, observe.clone()));
        }
        Self { inner, queue: tx }
    }
}

async fn commit_loop(inbox: SeaWebhookInbox, rx: Arc<Mutex<mpsc::Receiver<Pending>>>, max_group: usize, observe: GroupObserver) {
    loop {
        // Whatever has arrived, without waiting for more; the next committer takes the lock and
        // gathers the next group while this one commits.
        let mut group = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut group = vec![first];
            while group.len() < max_group {
                match rx.try_recv() {
                    Ok(p) => group.push(p),
                    Err(_) => break,
                }
            }
            group
        };
        let started = Instant::now();
        if group.len() == 1 {
            // Alone: a plain insert, as before group commit.
            let p = group.pop().expect("one");
            let r = inbox.store(p.body, p.received_at).await;
            observe(1, started.elapsed());
            let _ = p.reply.send(r);
            continue;
        }
        let items: Vec<(&RawBody, DateTime<Utc>)> = group.iter().map(|p| (&p.body, p.received_at)).collect();
        let result = inbox.store_many(&items).await;
        observe(group.len(), started.elapsed());
        match result {
            Ok(ids) => {
                for (p, id) in group.into_iter().zip(ids) {
                    let _ = p.reply.send(Ok(id));
                }
            }
            Err(e) => {
                tracing::warn!(error = %application::Chain(&e), size = group.len(), "a webhook group failed to commit; storing its bodies one by one");
                for p in group {
                    let r = inbox.store(p.body, p.received_at).await;
                    let _ = p.reply.send(r);
                }
            }
        }
    }
}

#[async_trait]
impl WebhookInbox for GroupCommitInbox {
    async fn store(&self, body: RawBody, received_at: DateTime<Utc>) -> RepoResult<uuid::Uuid> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { body, received_at, reply })
            .await
            .map_err(|_| RepoError::Unavailable("the webhook committer has stopped".into()))?;
        answer.await.map_err(|_| RepoError::Unavailable("the webhook committer dropped a delivery".into()))?
    }

    async fn pending(&self, limit: u64) -> RepoResult<Vec<(uuid::Uuid, i32)>> {
        self.inner.pending(limit).await
    }

    async fn pending_count(&self) -> RepoResult<u64> {
        self.inner.pending_count().await
    }

    async fn record_failure(&self, id: uuid::Uuid, note: &str, dead: bool) -> RepoResult<()> {
        self.inner.record_failure(id, note, dead).await
    }
}
