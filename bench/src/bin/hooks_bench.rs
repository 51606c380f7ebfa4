//! Merchant webhooks: how fast events reach a merchant's receiver (issue 19: ≥ 2,000 events/s to
//! a local receiver). Postgres only.
//!
//! ```sh
//! cargo build --release -p bench --bin hooks-bench
//! ./target/release/hooks-bench --database-url postgres://postgres@127.0.0.1:5432/postgres [--events 20000] [--subscriptions 1]
//! ```
//!
//! The service runs in-process on its own 2-thread runtime; the receiver (200 at once, counting)
//! on another thread. First the service makes its consumers' cursors and a shop with
//! `--subscriptions` subscriptions to the receiver; then `--events` `message.received` events are
//! written to the outbox (one statement), as the contexts write them; then the service starts
//! with its workers and the time until every delivery is recorded as delivered is measured:
//! the `merchant-webhooks` consumer fans them out into deliveries, the delivery worker posts them
//! (signed) and records each attempt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use api::startup::{Application, Options, Parts};
use application::RequestContext;
use application::tenancy::create_shop::{CreateShop, CreateShopHandler};
use application::webhook_subscriptions::create_subscription::{CreateWebhookSubscription, CreateWebhookSubscriptionHandler};
use domain::webhook_subscriptions::SubscriptionDraft;
use sea_orm::ConnectionTrait;

fn main() {
    rustls::crypto::ring::default_provider().install_default().expect("provider");
    let (mut url, mut events, mut subs) = (None, 20_000u64, 1u64);
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--database-url" => url = Some(v),
            "--events" => events = v.parse().expect("--events N"),
            "--subscriptions" => subs = v.parse().expect("--subscriptions N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let url = url.expect("--database-url postgres://…");
    // The receiver: answers 200 at once and counts.
    let received = Arc::new(AtomicU64::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let receiver = format!("http://{}/sandbox/receiver", listener.local_addr().unwrap());
    {
        let received = received.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            rt.block_on(async move {
                listener.set_nonblocking(true).unwrap();
                let l = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = poem::Route::new().at(
                    "/sandbox/receiver",
                    poem::post(poem::endpoint::make(move |_req| {
                        let received = received.clone();
                        async move {
                            received.fetch_add(1, Ordering::Relaxed);
                            "ok"
                        }
                    })),
                );
                poem::Server::new_with_acceptor(poem::listener::TcpAcceptor::from_tokio(l).unwrap()).run(app).await.unwrap();
            });
        });
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let db_url = rt.block_on(async {
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(url.as_str()).await.expect("connect");
        admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create database");
        format!("{}/{name}", url.rsplit_once('/').unwrap().0)
    });
    let config = |db: &str| {
        let env: std::collections::HashMap<&str, String> = std::collections::HashMap::from([
            ("SANDBOX", "1".to_owned()),
            ("BIND_ADDR", "127.0.0.1:0".to_owned()),
            ("DATABASE_URL", db.to_owned()),
            ("META_APP_SECRET", "bench".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ]);
        infrastructure::config::Config::from_lookup(|k| env.get(k).cloned()).unwrap()
    };
    let start = |workers: bool| -> (Arc<Parts>, Box<dyn FnOnce()>) {
        let app = rt.block_on(Application::build(config(&db_url), Options { workers, migrate: true })).expect("app");
        let parts = app.parts.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = rt.spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        let stop = Box::new(move || {
            let _ = tx.send(());
            server.abort();
        });
        (parts, stop)
    };
    // 1. The consumers' cursors, a shop and its subscriptions.
    let shop = {
        let (parts, stop) = start(true);
        let ctx = RequestContext::system("bench");
        let shop = rt
            .block_on(parts.pipeline.execute(&ctx, &CreateShopHandler { clock: parts.clock.clone() }, CreateShop { name: "bench".into() }))
            .unwrap();
        let h = CreateWebhookSubscriptionHandler { clock: parts.clock.clone(), cipher: parts.cipher.clone(), loopback_http: true };
        for _ in 0..subs {
            let draft = SubscriptionDraft { url: Some(receiver.clone()), event_types: Some(vec!["*".into()]), ..Default::default() };
            rt.block_on(parts.pipeline.execute(&ctx, &h, CreateWebhookSubscription { shop_id: shop.id, draft })).unwrap();
        }
        std::thread::sleep(Duration::from_millis(500));
        stop();
        shop.id
    };
    // 2. The events, as the contexts write them (already relayed).
    let conn = rt.block_on(sea_orm::Database::connect(db_url.as_str())).unwrap();
    let insert = format!(
        "INSERT INTO outbox (event_id, shop_id, event_type, subject, envelope, created_at, published_at) \
         SELECT e, '{shop}', 'message.received', 'c', jsonb_build_object('specversion', '1.0', 'id', e, 'source', '/shops/{shop}', \
           'type', 'whatsapp.message.received', 'time', now(), 'subject', 'c', 'dataschemaversion', 1, 'datacontenttype', 'application/json', \
           'data', jsonb_build_object('shopId', '{shop}', 'waId', '5511' || i, 'wamid', 'wamid.BENCH' || i, 'contentType', 'text')), now(), now() \
         FROM (SELECT gen_random_uuid() AS e, i FROM generate_series(1, {events}) i) s"
    );
    rt.block_on(conn.execute_unprepared(&insert)).unwrap();
    let expected = events * subs;
    // 3. The service with its workers.
    let started = Instant::now();
    let (parts, stop) = start(true);
    let delivered = |parts: &Parts| -> i64 {
        let sql = "SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'delivered'".to_owned();
        rt.block_on(parts.db.conn.query_one_raw(sea_orm::Statement::from_string(parts.db.backend(), sql)))
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    let mut last = Instant::now();
    // The consumers' leases of the first start are still held for up to 15 s (a restart waits
    // them out): the rate is measured from the first delivery.
    let mut first: Option<Instant> = None;
    while (delivered(&parts) as u64) < expected && started.elapsed() < Duration::from_secs(600) {
        std::thread::sleep(Duration::from_millis(20));
        if first.is_none() && received.load(Ordering::Relaxed) > 0 {
            first = Some(Instant::now());
        }
        if last.elapsed() > Duration::from_secs(5) {
            println!(
                "  t={:>5.1}s delivered {} received {}",
                started.elapsed().as_secs_f64(),
                delivered(&parts),
                received.load(Ordering::Relaxed)
            );
            last = Instant::now();
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let got = received.load(Ordering::Relaxed);
    println!("events        {events} × {subs} subscription(s) = {expected} deliveries");
    let steady = first.map_or(secs, |f| f.elapsed().as_secs_f64());
    println!("waited        {:.1} s for the consumer's lease (held by the first start)", secs - steady);
    println!(
        "delivered     {} recorded, {got} received, in {steady:.2} s from the first: {:.0} deliveries/s",
        delivered(&parts),
        expected as f64 / steady
    );
    stop();
}
