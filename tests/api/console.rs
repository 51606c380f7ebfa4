//! The inbox console (`/console`) in a real browser: Debian's headless Chromium, driven through
//! chromedriver by a WebDriver client. A person types a shop key, plays the customer through the
//! sandbox, sees the message arrive live, replies, sees it reach `read`, adds a note, assigns and
//! closes. Under `CI=true` a missing browser fails the run; elsewhere the test says it skipped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::*;

const PNID: &str = "1065403522";
const NUMBER: &str = "+15550001111";

/// chromedriver and the browser it drives, or why the test cannot run here.
fn browser() -> Result<(PathBuf, PathBuf), String> {
    let driver = std::env::var_os("CHROMEDRIVER").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromedriver".into());
    let chromium = std::env::var_os("CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into());
    match (driver.exists(), chromium.exists()) {
        (true, true) => Ok((driver, chromium)),
        _ => Err(format!(
            "{} or {} is missing (Debian: apt-get install chromium chromium-driver; or set CHROMEDRIVER and CHROMIUM)",
            driver.display(),
            chromium.display()
        )),
    }
}

/// chromedriver, stopped when dropped.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver on a free port.
async fn start_driver(driver: &PathBuf) -> (Driver, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(Driver)
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return (child, url);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

async fn open_browser(driver_url: &str, chromium: &PathBuf, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            // The machine's network is closed: no background connections, no first-run work.
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1400,900",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver_url)
        .await
        .expect("a Chromium session")
}

/// Waits (15 s) for an element matching `css`.
async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
}

/// Waits (15 s) until `script` (a JavaScript expression) is true in the page.
async fn until(c: &Client, what: &str, script: &str) {
    for _ in 0..300 {
        if c.execute(&format!("return Boolean({script});"), vec![]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = c.execute("return document.body.innerText;", vec![]).await.unwrap_or_default();
    panic!("timed out waiting for {what}; the page shows:\n{}", page.as_str().unwrap_or_default());
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let e = find(c, css).await;
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &Client, css: &str) {
    find(c, css).await.click().await.unwrap_or_else(|e| panic!("click `{css}`: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_works_a_conversation_in_the_console() {
    let (driver, chromium) = match browser() {
        Ok(b) => b,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI=true but the console's browser test cannot run: {why}"),
        Err(why) => {
            eprintln!("skipping the console's browser test: {why}");
            return;
        }
    };
    let app = spawn_app(Backend::Sqlite).await;
    let shop = app.create_shop("Padaria Central").await;
    let key = shop.admin.clone();
    app.connect(&key, PNID, NUMBER).await;
    let ana =
        json(app.post(&key, "/api/v1/agents", json!({"name": "Ana Souza", "email": "ana@shop.example.com", "capacity": 5})).await).await;
    let ana = ana["id"].as_str().unwrap().to_owned();

    let (_driver, driver_url) = start_driver(&driver).await;
    let profile = tempfile::tempdir().unwrap();
    let c = open_browser(&driver_url, &chromium, profile.path()).await;
    let result = async {
        c.goto(&app.url("/console")).await.unwrap();
        // The key is typed into the page, kept in the tab's session storage, never in the URL.
        type_into(&c, "#key", &key).await;
        click(&c, "#connect").await;
        until(&c, "the live stream", "document.getElementById('live').textContent === 'live'").await;
        let stored = c.execute("return sessionStorage.getItem('whatsapp-service.console.key');", vec![]).await.unwrap();
        assert_eq!(stored, json!(key));
        assert!(!c.current_url().await.unwrap().as_str().contains(&key), "the key never goes into the URL");

        // The sandbox plays the customer from the same screen.
        until(&c, "the customer panel", "!document.getElementById('customer').hidden && document.getElementById('cust-number').value === '1065403522'").await;
        type_into(&c, "#cust-phone", "+5511987650001").await;
        type_into(&c, "#cust-name", "Carla").await;
        type_into(&c, "#cust-text", "Oi, minha fatura veio errada").await;
        click(&c, "#cust-send").await;

        // It arrives in the inbox list through the stream, without a reload.
        let row = find(&c, "#conversations li.conv").await;
        assert!(row.text().await.unwrap().contains("+5511987650001"));
        let conversation = row.attr("data-id").await.unwrap().expect("the row names its conversation");
        row.click().await.unwrap();
        until(&c, "the customer's message in the thread", "[...document.querySelectorAll('#messages li.inbound')].some(m => m.textContent.includes('minha fatura veio errada'))").await;
        // Opening it marked the customer's message read (the console's choice, one POST).
        wait_for("the console read the customer's message", || async {
            json(app.get(&key, &format!("/api/v1/conversations/{conversation}")).await).await["conversation"]["unreadCount"] == json!(0)
        })
        .await;

        // A reply goes out and its status reaches `read` on screen, from Meta's (the sandbox's) statuses.
        type_into(&c, "#reply-text", "Oi Carla! Vou verificar agora.").await;
        click(&c, "#reply-send").await;
        until(&c, "the reply read", "[...document.querySelectorAll('#messages li.outbound')].some(m => m.dataset.status === 'read' && m.textContent.includes('Vou verificar'))").await;
        let sent = app.messages(&key, "waId=5511987650001&direction=outbound").await;
        assert_eq!((&sent["total"], &sent["messages"][0]["status"]), (&json!(1), &json!("read")), "{sent}");

        // A note for the team, never sent to the customer.
        type_into(&c, "#note-text", "Invoice 1043 charged twice").await;
        click(&c, "#note-send").await;
        until(&c, "the note", "document.getElementById('notes').textContent.includes('Invoice 1043')").await;
        assert_eq!(app.messages(&key, "waId=5511987650001&direction=outbound").await["total"], json!(1), "a note is not a message");

        // Assign to Ana, then close with a reason.
        until(&c, "Ana in the assignee list", "document.getElementById('assign-to').value !== ''").await;
        click(&c, "#assign").await;
        wait_for("assigned to Ana", || async {
            json(app.get(&key, &format!("/api/v1/conversations/{conversation}")).await).await["conversation"]["assignedAgentId"] == json!(ana)
        })
        .await;
        // Set aside, waiting on someone else; then closed with a reason.
        type_into(&c, "#close-reason", "waiting on the warehouse").await;
        click(&c, "#pending").await;
        until(&c, "the pending state", "document.getElementById('thread-state').textContent === 'pending' && document.getElementById('pending').hidden").await;
        type_into(&c, "#close-reason", "refund issued").await;
        click(&c, "#close").await;
        until(&c, "the closed state", "document.getElementById('thread-state').textContent === 'closed' && !document.getElementById('reopen').hidden").await;
        let closed = json(app.get(&key, &format!("/api/v1/conversations/{conversation}")).await).await;
        assert_eq!((&closed["conversation"]["inboxState"], &closed["conversation"]["inboxCloseReason"]), (&json!("closed"), &json!("refund issued")));

        // The live events the page saw, newest first.
        until(&c, "the closing's event", "document.getElementById('events').textContent.includes('conversation.inbox_state.changed')").await;
        let events = c.execute("return document.getElementById('events').textContent;", vec![]).await.unwrap();
        let events = events.as_str().unwrap_or_default();
        for t in ["message.received", "message.status.updated", "conversation.note.added", "conversation.assigned"] {
            assert!(events.contains(t), "the page showed {t}: {events}");
        }
        // `CONSOLE_SCREENSHOT=docs/console.png` keeps a picture for the docs.
        if let Ok(path) = std::env::var("CONSOLE_SCREENSHOT") {
            c.execute("document.getElementById('filter-state').value = ''; document.getElementById('filter-state').dispatchEvent(new Event('change'));", vec![]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
            std::fs::write(path, c.screenshot().await.unwrap()).unwrap();
        }
    }
    .await;
    let _ = c.close().await;
    result
}
