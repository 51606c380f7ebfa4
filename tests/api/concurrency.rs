//! No lost updates: two replicas process one customer's inbound messages and sends at the same
//! time, on one Postgres database. Meta delivers out of order; the window must end at the latest
//! customer message, and there must be exactly one conversation.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::method;

use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";
const CUSTOMER: &str = "5511987654321";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_inbound_and_sends_for_one_customer_keep_the_window_and_one_conversation() {
    let Some(pg) = Backend::postgres() else { return };
    let meta = fake_meta().await;
    Mock::given(method("POST")).respond_with(UniqueWamid(AtomicU64::new(0), Duration::from_millis(2))).mount(&meta).await;
    let mut a_opts = Opts::new(pg.clone());
    a_opts.graph_base = Some(meta.uri());
    a_opts.send_wait_ms = 0;
    let a = Arc::new(spawn_with(a_opts).await);
    let mut b_opts = Opts::new(pg);
    b_opts.graph_base = Some(meta.uri());
    b_opts.send_wait_ms = 0;
    b_opts.database_url = Some(a.db_url.clone());
    let b = Arc::new(spawn_with(b_opts).await);
    let shop = a.create_shop("s").await;
    a.connect(&shop.admin, PNID, NUMBER).await;

    // Meta's timestamps are seconds; the latest customer message is `base + N - 1`.
    const N: i64 = 240;
    const SENDS: usize = 60;
    let base = now_ts() - 3600;
    // The latest message first, the rest in a scrambled order: every later write that read the
    // conversation before the latest one committed would move the window back.
    let mut order: Vec<i64> = vec![N - 1];
    order.extend((0..N - 1).map(|i| (i * 97) % (N - 1)));
    let inbound_jobs = order.into_iter().enumerate().map(|(k, i)| {
        let app = if k % 2 == 0 { a.clone() } else { b.clone() };
        async move {
            let payload = inbound(PNID, CUSTOMER, vec![text_message(&format!("wamid.C{i}"), CUSTOMER, base + i, "hi")]);
            let r = app.webhook(&payload).await;
            assert_eq!(r.status().as_u16(), 200);
        }
        .boxed()
    });
    // Templates can be sent at any time; each send records `sent` on the same conversation.
    let key = shop.admin.clone();
    let send_jobs = (0..SENDS).map(|k| {
        let app = if k % 2 == 0 { a.clone() } else { b.clone() };
        let key = key.clone();
        async move {
            let body = json!({"from": NUMBER, "to": format!("+{CUSTOMER}"), "template": {"name": "order_update", "language": "en_US"}});
            let r = app.post(&key, "/api/v1/messages/template", body).await;
            assert!(matches!(r.status().as_u16(), 200 | 202), "send: {}", r.status());
        }
        .boxed()
    });
    let jobs: Vec<_> = inbound_jobs.chain(send_jobs).collect();
    // Interleave sends with the inbound burst.
    let mut mixed = Vec::with_capacity(jobs.len());
    let (mut ins, mut outs): (Vec<_>, Vec<_>) = jobs.into_iter().enumerate().partition(|(k, _)| (*k as i64) < N);
    while !ins.is_empty() || !outs.is_empty() {
        for _ in 0..4 {
            if let Some((_, j)) = ins.pop() {
                mixed.push(j);
            }
        }
        if let Some((_, j)) = outs.pop() {
            mixed.push(j);
        }
    }
    futures_util::stream::iter(mixed).buffer_unordered(24).collect::<Vec<()>>().await;

    a.drained().await;
    wait_for("every send settled", || async { a.scalar("SELECT COUNT(*) FROM deliveries").await == 0 }).await;
    a.drained().await;

    assert_eq!(a.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'").await, N, "every inbound message stored once");
    assert_eq!(a.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await, SENDS as i64);
    assert_eq!(a.scalar("SELECT COUNT(*) FROM customers").await, 1, "one customer");
    assert_eq!(a.scalar("SELECT COUNT(*) FROM conversations").await, 1, "one conversation");
    assert_eq!(a.scalar("SELECT COUNT(*) FROM messages WHERE status = 'sent'").await, SENDS as i64);

    let v = json(a.get(&shop.admin, &format!("/api/v1/conversations/status?waId={CUSTOMER}")).await).await;
    let last = chrono::DateTime::parse_from_rfc3339(v["conversationWindow"]["lastUserMessage"].as_str().unwrap()).unwrap();
    assert_eq!(last.timestamp(), base + N - 1, "the window ends 24 h after the latest customer message: {v}");
    assert_eq!(v["canSendFreeMessage"], true);
    let customer_last = a.scalar("SELECT CAST(EXTRACT(EPOCH FROM last_inbound_at) AS BIGINT) FROM customers").await;
    assert_eq!(customer_last, base + N - 1, "the customer's last inbound time too");
}

/// A burst of first-time customers (an ad that went viral): a backlog of deliveries in which 40
/// new customers write 15 times each, drained by the three webhook loops of a replica on
/// Postgres at once. Each loop meets the customers the others are creating: the loser of each
/// race takes the winner's customer instead of running its batch again, so no batch fails,
/// (almost) no command runs again, and every message and customer is stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_first_time_customers_is_processed_without_failed_batches() {
    let Some(backend) = Backend::postgres() else { return };
    let mut stored = Opts::new(backend.clone());
    stored.workers = false;
    let a = spawn_with(stored).await;
    let shop = a.create_shop("s").await;
    a.connect(&shop.admin, "1065403522", "+15550001111").await;
    let ts = now_ts();
    for i in 0..600u64 {
        let from = format!("55119{:08}", 70_000 + i % 40);
        let r = a.webhook(&inbound("1065403522", &from, vec![text_message(&format!("wamid.BURST{i}"), &from, ts, "oi")])).await;
        assert_eq!(r.status().as_u16(), 200);
    }
    let mut processing = Opts::new(backend);
    processing.database_url = Some(a.db_url.clone());
    let b = spawn_with(processing).await;
    b.drained().await;
    assert_eq!(b.scalar("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'").await, 600);
    assert_eq!(b.scalar("SELECT COUNT(*) FROM customers").await, 40);
    assert_eq!(b.scalar("SELECT COUNT(*) FROM conversations").await, 40);
    assert_eq!(b.scalar("SELECT COUNT(*) FROM outbox WHERE event_type = 'customer.created'").await, 40);
    let metrics = b.metrics().await;
    assert!(metrics.contains("whatsapp_webhook_batches_total{outcome=\"failed\"} 0"), "{metrics}");
    // Before, most batches ran again (each race with another loop's new customer was a
    // conflict). What remains is rare (once in one CI run, never in 17 runs alone or four at
    // once): most likely a loop that takes another's new customer locks it after its own
    // inserts and deadlocks with a third loop; Postgres aborts one, which runs once more.
    let reruns: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("whatsapp_command_reruns_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64;
    assert!(reruns <= 2, "commands ran again {reruns} times: {metrics}");
}
