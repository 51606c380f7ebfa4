//! Test support for use cases: in-memory ports ([`memory`]) and a given/when/then scenario.
//!
//! ```ignore
//! let s = Scenario::new();
//! let account = s.given_account("+15550001111").await;          // given
//! let out = s.when(&handler, command).await;                     // when (through the pipeline)
//! assert_eq!(s.then_events(), ["message.received"]);             // then
//! ```

pub mod memory;
mod turns;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::accounts::connect_account::{ConnectAccountHandler, ConnectWhatsAppAccount};
use crate::shared::pipeline::{Command, CommandHandler, Pipeline, RequestContext};
use crate::shared::ports::{CipherError, Clock, Secret, SecretCipher};
use domain::accounts::WhatsAppAccount;
use domain::messaging::{InboundMessage, MessageContent};
use domain::{PhoneNumber, PhoneNumberId, ShopId, WaId, WabaId};
use memory::{Memory, StoredEvent};

/// A clock the test moves.
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(t))
    }
    pub fn advance(&self, d: Duration) {
        *self.0.lock().unwrap() += d;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Reversible and obviously not secure: tests only check that what is stored is not the secret.
pub struct TestCipher;

impl SecretCipher for TestCipher {
    fn encrypt(&self, plaintext: &Secret) -> Result<String, CipherError> {
        Ok(format!("enc:{}", plaintext.expose().chars().rev().collect::<String>()))
    }
    fn decrypt(&self, ciphertext: &str) -> Result<Secret, CipherError> {
        let s = ciphertext.strip_prefix("enc:").ok_or_else(|| CipherError("not ours".into()))?;
        Ok(Secret::new(s.chars().rev().collect::<String>()))
    }
}

pub struct Scenario {
    pub memory: Memory,
    pub clock: Arc<TestClock>,
    pub pipeline: Pipeline,
    pub shop: ShopId,
    seen_events: Mutex<usize>,
}

pub const BUSINESS: &str = "+15550001111";
pub const PNID: &str = "1065403522";

impl Scenario {
    pub fn new() -> Self {
        let memory = Memory::default();
        let clock = Arc::new(TestClock::at(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()));
        Self { pipeline: Pipeline::new(Arc::new(memory.clone())), memory, clock, shop: ShopId::new(), seen_events: Mutex::new(0) }
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Given: a number connected to the scenario's shop (its events are not "then" events).
    pub async fn given_account(&self, display: &str, pnid: &str) -> WhatsAppAccount {
        let handler = ConnectAccountHandler { clock: self.clock(), cipher: Arc::new(TestCipher) };
        let cmd = ConnectWhatsAppAccount {
            shop_id: self.shop,
            phone_number_id: PhoneNumberId::parse(pnid).unwrap(),
            display_phone_number: PhoneNumber::parse(display).unwrap(),
            waba_id: WabaId::parse("9001").unwrap(),
            display_name: None,
            access_token: Secret::new("EAAG-token"),
        };
        let account = self.when(&handler, cmd).await.expect("given an account");
        self.then_events();
        account
    }

    /// When: run a command through the real pipeline (validation, transaction, retries).
    pub async fn when<C, H>(&self, handler: &H, cmd: C) -> Result<C::Output, C::Error>
    where
        C: Command,
        H: CommandHandler<C>,
    {
        self.pipeline.execute(&RequestContext::system("test"), handler, cmd).await
    }

    /// Then: the types of the events stored since the last look.
    pub fn then_events(&self) -> Vec<&'static str> {
        self.then_stored_events().into_iter().map(|e| e.event_type).collect()
    }

    /// Then: the events stored since the last look, with their data.
    pub fn then_stored_events(&self) -> Vec<StoredEvent> {
        let mut seen = self.seen_events.lock().unwrap();
        let all = self.memory.read(|s| s.outbox.clone());
        let new = all[*seen..].to_vec();
        *seen = all.len();
        new
    }
}

/// A customer's text message, as the inbound parser would produce it.
pub fn text_from(wa_id: &str, wamid: &str, at: DateTime<Utc>, text: &str) -> InboundMessage {
    InboundMessage {
        wamid: wamid.into(),
        from: WaId::parse(wa_id).unwrap(),
        profile_name: Some("Ana".into()),
        timestamp: at,
        content: MessageContent::Text { text: text.into(), preview_url: false },
        context: None,
        referral: None,
    }
}
