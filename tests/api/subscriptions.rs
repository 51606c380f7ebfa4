//! The outbox's durable consumers: a row that commits after a row with a higher `seq` is still
//! handed over (never skipped), each event once, and the cursor survives a restart.

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{ConnectionTrait, TransactionTrait};

use application::shared::outbox::OutboxRecord;
use application::shared::subscription::{EventConsumer, SubscriptionStore, pass};
use infrastructure::persistence::outbox::subscriptions::SeaSubscriptionStore;

use crate::both_backends;
use crate::helpers::*;

/// Records what it is handed.
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl EventConsumer for Recorder {
    fn name(&self) -> &'static str {
        "test-recorder"
    }
    fn wants(&self, event_type: &str) -> bool {
        event_type.starts_with("test.")
    }
    async fn handle(&self, events: &[OutboxRecord]) -> Result<(), String> {
        self.0.lock().unwrap().extend(events.iter().map(|e| e.subject.clone()));
        Ok(())
    }
}

fn insert(app: &TestApp, subject: &str, event_type: &str) -> String {
    format!(
        "INSERT INTO outbox (event_id, shop_id, event_type, subject, envelope, created_at) VALUES \
         ({}, {}, '{event_type}', '{subject}', '{{\"data\": {{}}}}', '{}')",
        app.uuid_sql(&uuid::Uuid::now_v7().to_string()),
        app.uuid_sql(&uuid::Uuid::now_v7().to_string()),
        Utc::now().format("%Y-%m-%d %H:%M:%S%.6f+00:00")
    )
}

fn handed(r: &Recorder) -> Vec<String> {
    r.0.lock().unwrap().clone()
}

async fn a_consumer_sees_each_wanted_event_once_from_where_it_started(backend: Backend) {
    let app = spawn_with({
        let mut o = Opts::new(backend);
        o.workers = false;
        o
    })
    .await;
    let store = SeaSubscriptionStore::new(app.state.db.clone());
    let r = Recorder(Mutex::new(Vec::new()));
    app.exec(&insert(&app, "before", "test.a")).await;
    // A new consumer starts at the outbox's end.
    assert_eq!(pass(&store, &r, Utc::now(), 100).await.unwrap().handed, 0);
    for (s, t) in [("one", "test.a"), ("other-type", "message.sent"), ("two", "test.b")] {
        app.exec(&insert(&app, s, t)).await;
    }
    let p = pass(&store, &r, Utc::now(), 100).await.unwrap();
    assert_eq!((p.read, p.handed), (3, 2));
    assert_eq!(handed(&r), ["one", "two"], "only what it wants, in order");
    assert_eq!(pass(&store, &r, Utc::now(), 100).await.unwrap().handed, 0, "nothing twice");
    // The cursor is durable: a new store (a restart, another replica) goes on from it.
    let again = SeaSubscriptionStore::new(app.state.db.clone());
    assert_eq!(again.cursor("test-recorder").await.unwrap().watermark, again.head().await.unwrap());

    // Published rows go after the raw retention only once every consumer has passed them.
    app.exec(&insert(&app, "not-yet", "test.a")).await;
    let long_ago = (Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%d %H:%M:%S%.6f+00:00");
    app.exec(&format!("UPDATE outbox SET published_at = '{long_ago}'")).await;
    app.state.jobs.run_now("raw-retention").await.unwrap();
    assert_eq!(app.texts("SELECT subject FROM outbox").await, ["not-yet"], "kept for the consumer");
    pass(&store, &r, Utc::now(), 100).await.unwrap();
    app.state.jobs.run_now("raw-retention").await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox").await, 0);
}

both_backends!(a_consumer_sees_each_wanted_event_once_from_where_it_started);

/// Postgres assigns `seq` at insert: a transaction that inserted first can commit last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_that_commits_after_a_higher_seq_is_not_skipped() {
    let Some(pg) = Backend::postgres() else { return };
    let app = spawn_with({
        let mut o = Opts::new(pg);
        o.workers = false;
        o
    })
    .await;
    let store = SeaSubscriptionStore::new(app.state.db.clone());
    let r = Recorder(Mutex::new(Vec::new()));
    pass(&store, &r, Utc::now(), 100).await.unwrap();

    let slow = app.state.db.conn.begin().await.unwrap();
    slow.execute_unprepared(&insert(&app, "slow", "test.a")).await.unwrap(); // takes the lower seq
    app.exec(&insert(&app, "fast", "test.a")).await; // a higher seq, committed first
    let p = pass(&store, &r, Utc::now(), 100).await.unwrap();
    assert_eq!(handed(&r), ["fast"]);
    let fast_seq = store.head().await.unwrap();
    assert_eq!(p.watermark, fast_seq - 2, "the watermark waits below the open transaction's row");

    slow.commit().await.unwrap();
    let p = pass(&store, &r, Utc::now(), 100).await.unwrap();
    assert_eq!(handed(&r), ["fast", "slow"], "the late row is handed over, once");
    assert_eq!(p.watermark, fast_seq);
    pass(&store, &r, Utc::now(), 100).await.unwrap();
    assert_eq!(handed(&r).len(), 2);

    // A transaction that rolls back leaves a hole; it is passed once the row after it is old.
    let gone = app.state.db.conn.begin().await.unwrap();
    gone.execute_unprepared(&insert(&app, "never", "test.a")).await.unwrap();
    gone.rollback().await.unwrap();
    app.exec(&insert(&app, "after", "test.a")).await;
    let p = pass(&store, &r, Utc::now(), 100).await.unwrap();
    assert_eq!(handed(&r), ["fast", "slow", "after"]);
    assert_eq!(p.watermark, fast_seq, "the hole is waited for");
    // A row handled above the hole is not kept for the consumer (only what it has not handled).
    let long_ago = (Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%d %H:%M:%S%.6f+00:00");
    app.exec(&format!("UPDATE outbox SET published_at = '{long_ago}'")).await;
    app.state.jobs.run_now("raw-retention").await.unwrap();
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox").await, 0, "every row was handled");
    app.exec(&insert(&app, "last", "test.a")).await;
    let later = pass(&store, &r, Utc::now() + chrono::Duration::seconds(61), 100).await.unwrap();
    assert_eq!(handed(&r), ["fast", "slow", "after", "last"], "nothing handed twice");
    assert_eq!(later.watermark, store.head().await.unwrap(), "the hole is passed");
}
