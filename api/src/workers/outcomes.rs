//! Who waits for which send's outcome: a `POST /messages/send` in this process registers, the
//! dispatcher tells it (and is woken when a send was just queued).

use std::collections::HashMap;

use tokio::sync::{Mutex, Notify, oneshot};

use application::messaging::ports::{SendOutcomes, Settled};
use domain::MessageId;

/// Who is waiting for which send's outcome (a `POST /messages/send` in this process).
#[derive(Default)]
pub struct OutcomeWaiters {
    pub(crate) waiters: Mutex<HashMap<MessageId, oneshot::Sender<Settled>>>,
    /// Wakes the dispatcher (a send was just queued).
    pub(crate) wake: Notify,
}

#[async_trait::async_trait]
impl SendOutcomes for OutcomeWaiters {
    /// Register interest in a message's outcome, then wake the dispatcher.
    async fn watch(&self, id: MessageId) -> oneshot::Receiver<Settled> {
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().await.insert(id, tx);
        self.wake.notify_one();
        rx
    }

    async fn forget(&self, id: MessageId) {
        self.waiters.lock().await.remove(&id);
    }
}

impl OutcomeWaiters {
    pub(crate) async fn notify(&self, settled: &Settled) {
        let id = match settled {
            Settled::Sent(m) => m.id(),
            Settled::Failed { message, .. } => message.id(),
            Settled::Rescheduled { .. } | Settled::Gone(_) => return,
        };
        if let Some(tx) = self.waiters.lock().await.remove(&id) {
            let _ = tx.send(settled.clone());
        }
    }
}
