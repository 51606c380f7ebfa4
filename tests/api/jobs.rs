use std::time::Duration;

use chrono::Utc;

use application::RequestContext;
use application::messaging::expire_conversations::ExpireConversations;

use crate::both_backends;
use crate::helpers::*;

const PNID: &str = "1065403522";

async fn the_expiry_job_closes_expired_conversations_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = app.create_shop("s").await;
    app.connect(&shop.admin, PNID, "+15550001111").await;
    app.customer_says(PNID, "+5511987654321", "hi").await;
    app.drained().await;
    let ctx = RequestContext::system("test");
    let run = |hours: i64| {
        let state = app.state.clone();
        let ctx = ctx.clone();
        async move {
            let cmd = ExpireConversations { now: Utc::now() + chrono::Duration::hours(hours), limit: 100 };
            let handler = application::messaging::expire_conversations::ExpireConversationsHandler { clock: state.clock.clone() };
            state.pipeline.execute(&ctx, &handler, cmd).await.unwrap()
        }
    };
    assert_eq!(run(23).await.expired, 0, "still inside the window");
    assert_eq!(run(25).await.expired, 1);
    assert_eq!(run(26).await.expired, 0, "closed once");
    let list = json(app.get(&shop.admin, "/api/v1/conversations?status=expired").await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["conversations"][0]["status"], "expired");
    assert!(list["conversations"][0]["closedAt"].is_string());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'conversation.closed'").await, 1);
    // The customer writes again: a new conversation starts.
    app.customer_says(PNID, "+5511987654321", "back").await;
    app.drained().await;
    assert_eq!(json(app.get(&shop.admin, "/api/v1/conversations?status=active").await).await["total"], 1);
    // The closed conversation's duration reached the seed 002 histogram through the relay.
    wait_for("duration observed", || async {
        let m = app.metrics().await;
        m.contains("whatsapp_conversation_duration_seconds_count{reason=\"expired\"} 1")
    })
    .await;
}

async fn a_lease_has_one_holder_until_it_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    let leases = &app.state.leases;
    let now = Utc::now();
    let ttl = Duration::from_secs(30);
    assert!(leases.acquire("job-x", "replica-a", ttl, now).await.unwrap());
    assert!(!leases.acquire("job-x", "replica-b", ttl, now).await.unwrap(), "held by a");
    assert!(leases.acquire("job-x", "replica-a", ttl, now).await.unwrap(), "a renews");
    assert!(leases.acquire("job-y", "replica-b", ttl, now).await.unwrap(), "another job is independent");
    let later = now + chrono::Duration::seconds(31);
    assert!(leases.acquire("job-x", "replica-b", ttl, later).await.unwrap(), "b takes over an expired lease");
    assert!(!leases.acquire("job-x", "replica-a", ttl, later).await.unwrap());
    // A graceful stop gives the lease up: the other replica takes it at once.
    leases.release("job-x", "replica-a").await.unwrap();
    assert!(!leases.acquire("job-x", "replica-a", ttl, later).await.unwrap(), "a does not hold it: releasing is only the holder's");
    leases.release("job-x", "replica-b").await.unwrap();
    assert!(leases.acquire("job-x", "replica-a", ttl, later).await.unwrap(), "released by its holder: taken at once");
}

both_backends!(the_expiry_job_closes_expired_conversations_once, a_lease_has_one_holder_until_it_expires);

/// Every context's jobs are wired, each once, and an operator can run one by name.
#[tokio::test]
async fn every_context_contributes_its_jobs_once() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut names: Vec<&str> = app.state.jobs.jobs.iter().map(|j| j.name()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "conversation-expiry",
            "idempotency-keys",
            "media-retention",
            "message-status-sync",
            "raw-retention",
            "routing",
            "search-backfill",
            "sla",
            "template-reconciliation",
            "thread-owner-expiry",
            "waiting-threads",
            "webhook-deliveries"
        ]
    );
    assert!(app.state.jobs.run_now("message-status-sync").await.unwrap().ends_with("stuck"));
    assert_eq!(app.state.jobs.run_now("routing").await.unwrap(), "0 routed, 0 waiting");
    assert_eq!(app.state.jobs.run_now("no-such-job").await, Err("no job named no-such-job".to_owned()));
}
