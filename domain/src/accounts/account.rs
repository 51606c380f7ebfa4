//! The WhatsAppAccount aggregate: one connected business phone number.
//!
//! The access token is not part of the aggregate: it is a secret that only the persistence
//! adapter (encrypted) and the Cloud API adapter (in memory) ever hold.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::{AccountConnected, AccountEvent, AccountQualityUpdated, AccountStatusChanged};
use crate::shared::phone::{PhoneNumber, PhoneNumberId, WabaId};
use crate::{AccountId, ShopId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Active,
    Suspended,
    Disconnected,
}

impl AccountStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Disconnected => "disconnected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "disconnected" => Some(Self::Disconnected),
            _ => None,
        }
    }
}

/// Meta's business-initiated messaging limit tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessagingTier {
    #[serde(rename = "tier_250")]
    Tier250,
    #[serde(rename = "tier_1k")]
    Tier1K,
    #[serde(rename = "tier_10k")]
    Tier10K,
    #[serde(rename = "tier_100k")]
    Tier100K,
    #[serde(rename = "unlimited")]
    Unlimited,
}

impl MessagingTier {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Tier250 => "tier_250",
            Self::Tier1K => "tier_1k",
            Self::Tier10K => "tier_10k",
            Self::Tier100K => "tier_100k",
            Self::Unlimited => "unlimited",
        }
    }
    /// Accepts our names and Meta's (`TIER_1K`, `TIER_UNLIMITED`...).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "tier_250" => Some(Self::Tier250),
            "tier_1k" => Some(Self::Tier1K),
            "tier_10k" => Some(Self::Tier10K),
            "tier_100k" => Some(Self::Tier100K),
            "unlimited" | "tier_unlimited" => Some(Self::Unlimited),
            _ => None,
        }
    }
}

/// Meta's phone number quality rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualityRating {
    Green,
    Yellow,
    Red,
    Unknown,
}

impl QualityRating {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Green => "green",
            Self::Yellow => "yellow",
            Self::Red => "red",
            Self::Unknown => "unknown",
        }
    }
    /// Accepts ours and Meta's (`GREEN`, `HIGH`, `MEDIUM`, `LOW`, `UNKNOWN`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "green" | "high" => Some(Self::Green),
            "yellow" | "medium" => Some(Self::Yellow),
            "red" | "low" => Some(Self::Red),
            "unknown" | "na" => Some(Self::Unknown),
            _ => None,
        }
    }
}

pub const DEFAULT_THROUGHPUT_MPS: u32 = 80;
pub const MAX_THROUGHPUT_MPS: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("throughput is 1 to {MAX_THROUGHPUT_MPS} messages per second")]
    BadThroughput,
    #[error("the account is {0}; only an active account can send")]
    NotActive(&'static str),
    #[error("a disconnected account cannot change state; connect it again")]
    Disconnected,
    #[error("this phone number id is already connected")]
    AlreadyConnected,
}

/// Everything a stored account holds: what persistence reads and writes. Change an account only
/// through [`WhatsAppAccount`]'s methods.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSnapshot {
    pub id: AccountId,
    pub shop_id: ShopId,
    pub phone_number_id: PhoneNumberId,
    pub display_phone_number: PhoneNumber,
    pub waba_id: WabaId,
    pub display_name: Option<String>,
    pub status: AccountStatus,
    pub messaging_tier: MessagingTier,
    pub quality_rating: QualityRating,
    /// Messages per second this number may send (Meta: 80 by default, up to 1,000).
    pub throughput_mps: u32,
    pub connected_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: bumped by every stored change.
    pub version: i64,
}

/// The WhatsAppAccount aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsAppAccount {
    s: AccountSnapshot,
}

fn clean_name(name: Option<String>) -> Option<String> {
    name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
}

impl WhatsAppAccount {
    pub fn connect(
        shop_id: ShopId,
        phone_number_id: PhoneNumberId,
        display_phone_number: PhoneNumber,
        waba_id: WabaId,
        display_name: Option<String>,
        now: DateTime<Utc>,
    ) -> (Self, AccountEvent) {
        let account = Self {
            s: AccountSnapshot {
                id: AccountId::new(),
                shop_id,
                phone_number_id,
                display_phone_number,
                waba_id,
                display_name: clean_name(display_name),
                status: AccountStatus::Active,
                messaging_tier: MessagingTier::Tier250,
                quality_rating: QualityRating::Unknown,
                throughput_mps: DEFAULT_THROUGHPUT_MPS,
                connected_at: now,
                updated_at: now,
                version: 0,
            },
        };
        let event = account.connected_event();
        (account, event)
    }

    fn connected_event(&self) -> AccountEvent {
        AccountEvent::from(AccountConnected {
            shop_id: self.s.shop_id,
            account_id: self.s.id,
            phone_number_id: self.s.phone_number_id.to_string(),
            display_phone_number: self.s.display_phone_number.to_string(),
            waba_id: self.s.waba_id.to_string(),
        })
    }

    /// Connect again a number this shop disconnected: same id and history, fresh details.
    pub fn reconnect(
        &mut self,
        shop_id: ShopId,
        display_phone_number: PhoneNumber,
        waba_id: WabaId,
        display_name: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<AccountEvent, AccountError> {
        if self.s.shop_id != shop_id || self.s.status != AccountStatus::Disconnected {
            return Err(AccountError::AlreadyConnected);
        }
        self.s.display_phone_number = display_phone_number;
        self.s.waba_id = waba_id;
        self.s.display_name = clean_name(display_name);
        self.s.status = AccountStatus::Active;
        self.s.messaging_tier = MessagingTier::Tier250;
        self.s.quality_rating = QualityRating::Unknown;
        self.s.throughput_mps = DEFAULT_THROUGHPUT_MPS;
        self.s.connected_at = now;
        self.s.updated_at = now;
        Ok(self.connected_event())
    }

    /// Rebuild a stored account (persistence only).
    pub fn restore(snapshot: AccountSnapshot) -> Self {
        Self { s: snapshot }
    }

    pub fn snapshot(&self) -> &AccountSnapshot {
        &self.s
    }

    pub fn id(&self) -> AccountId {
        self.s.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.s.shop_id
    }
    pub fn phone_number_id(&self) -> &PhoneNumberId {
        &self.s.phone_number_id
    }
    pub fn display_phone_number(&self) -> &PhoneNumber {
        &self.s.display_phone_number
    }
    pub fn status(&self) -> AccountStatus {
        self.s.status
    }
    pub fn quality_rating(&self) -> QualityRating {
        self.s.quality_rating
    }
    pub fn throughput_mps(&self) -> u32 {
        self.s.throughput_mps
    }

    pub fn ensure_can_send(&self) -> Result<(), AccountError> {
        match self.s.status {
            AccountStatus::Active => Ok(()),
            other => Err(AccountError::NotActive(other.as_str())),
        }
    }

    /// A merchant's change of a disconnected number is refused: its token was wiped, and it comes
    /// back only by connecting it again (Meta's own reports about it are still recorded).
    pub fn ensure_connected(&self) -> Result<(), AccountError> {
        if self.s.status == AccountStatus::Disconnected { Err(AccountError::Disconnected) } else { Ok(()) }
    }

    pub fn rename(&mut self, display_name: Option<String>, now: DateTime<Utc>) {
        self.s.display_name = clean_name(display_name);
        self.s.updated_at = now;
    }

    fn change_status(
        &mut self,
        to: AccountStatus,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<AccountEvent>, AccountError> {
        if self.s.status == AccountStatus::Disconnected && to != AccountStatus::Disconnected {
            return Err(AccountError::Disconnected);
        }
        if self.s.status == to {
            return Ok(None);
        }
        let previous = self.s.status;
        self.s.status = to;
        self.s.updated_at = now;
        Ok(Some(AccountEvent::from(AccountStatusChanged {
            shop_id: self.s.shop_id,
            account_id: self.s.id,
            phone_number_id: self.s.phone_number_id.to_string(),
            status: to.as_str().to_owned(),
            previous_status: previous.as_str().to_owned(),
            reason,
        })))
    }

    pub fn suspend(&mut self, reason: Option<String>, now: DateTime<Utc>) -> Result<Option<AccountEvent>, AccountError> {
        self.change_status(AccountStatus::Suspended, reason, now)
    }

    pub fn activate(&mut self, now: DateTime<Utc>) -> Result<Option<AccountEvent>, AccountError> {
        self.change_status(AccountStatus::Active, None, now)
    }

    pub fn disconnect(&mut self, now: DateTime<Utc>) -> Option<AccountEvent> {
        self.change_status(AccountStatus::Disconnected, None, now).ok().flatten()
    }

    pub fn set_throughput(&mut self, mps: u32, now: DateTime<Utc>) -> Result<(), AccountError> {
        if !(1..=MAX_THROUGHPUT_MPS).contains(&mps) {
            return Err(AccountError::BadThroughput);
        }
        self.s.throughput_mps = mps;
        self.s.updated_at = now;
        Ok(())
    }

    /// Meta reported a new quality rating (and maybe a new tier). `None` keeps the rating.
    pub fn update_quality(
        &mut self,
        rating: Option<QualityRating>,
        tier: Option<MessagingTier>,
        now: DateTime<Utc>,
    ) -> Option<AccountEvent> {
        let rating = rating.unwrap_or(self.s.quality_rating);
        let tier_changed = tier.is_some_and(|t| t != self.s.messaging_tier);
        if rating == self.s.quality_rating && !tier_changed {
            return None;
        }
        let previous = self.s.quality_rating;
        self.s.quality_rating = rating;
        if let Some(t) = tier {
            self.s.messaging_tier = t;
        }
        self.s.updated_at = now;
        Some(AccountEvent::from(AccountQualityUpdated {
            shop_id: self.s.shop_id,
            account_id: self.s.id,
            phone_number_id: self.s.phone_number_id.to_string(),
            quality_rating: rating.as_str().to_owned(),
            previous_quality_rating: previous.as_str().to_owned(),
            messaging_tier: self.s.messaging_tier.as_str().to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::events::IntegrationEvent;

    fn given_account() -> WhatsAppAccount {
        let (a, _) = WhatsAppAccount::connect(
            ShopId::new(),
            PhoneNumberId::parse("1065403522").unwrap(),
            PhoneNumber::parse("+15550001111").unwrap(),
            WabaId::parse("2002").unwrap(),
            None,
            Utc::now(),
        );
        a
    }

    #[test]
    fn connecting_emits_account_connected_and_is_active() {
        let (a, e) = WhatsAppAccount::connect(
            ShopId::new(),
            PhoneNumberId::parse("1").unwrap(),
            PhoneNumber::parse("+15550001111").unwrap(),
            WabaId::parse("2").unwrap(),
            None,
            Utc::now(),
        );
        assert_eq!(a.status(), AccountStatus::Active);
        assert_eq!(e.event_type(), "account.connected");
        assert!(a.ensure_can_send().is_ok());
    }

    #[test]
    fn suspended_account_cannot_send_and_suspending_twice_is_quiet() {
        let mut a = given_account();
        let e = a.suspend(Some("policy".into()), Utc::now()).unwrap();
        assert!(e.is_some());
        assert_eq!(a.ensure_can_send(), Err(AccountError::NotActive("suspended")));
        assert!(a.suspend(None, Utc::now()).unwrap().is_none());
        assert!(a.activate(Utc::now()).unwrap().is_some());
    }

    #[test]
    fn disconnected_is_final_until_the_same_shop_reconnects_it() {
        let mut a = given_account();
        let shop = a.shop_id();
        assert!(a.disconnect(Utc::now()).is_some());
        assert_eq!(a.activate(Utc::now()), Err(AccountError::Disconnected));
        assert_eq!(a.ensure_connected(), Err(AccountError::Disconnected));
        let number = PhoneNumber::parse("+15550001111").unwrap();
        let waba = WabaId::parse("2002").unwrap();
        assert_eq!(a.reconnect(ShopId::new(), number.clone(), waba.clone(), None, Utc::now()), Err(AccountError::AlreadyConnected));
        let id = a.id();
        let e = a.reconnect(shop, number.clone(), waba.clone(), Some(" Main ".into()), Utc::now()).unwrap();
        assert_eq!(e.data()["accountId"], id.to_string(), "the event names the same account");
        assert_eq!(a.status(), AccountStatus::Active);
        assert_eq!(a.snapshot().display_name.as_deref(), Some("Main"));
        assert_eq!(a.reconnect(shop, number, waba, None, Utc::now()), Err(AccountError::AlreadyConnected), "not while connected");
    }

    #[test]
    fn quality_update_only_when_changed() {
        let mut a = given_account();
        assert!(a.update_quality(Some(QualityRating::Yellow), None, Utc::now()).is_some());
        assert!(a.update_quality(Some(QualityRating::Yellow), None, Utc::now()).is_none());
        assert!(a.update_quality(None, Some(MessagingTier::Tier1K), Utc::now()).is_some());
        assert_eq!(QualityRating::parse("MEDIUM"), Some(QualityRating::Yellow));
        assert_eq!(MessagingTier::parse("TIER_UNLIMITED"), Some(MessagingTier::Unlimited));
    }
}
