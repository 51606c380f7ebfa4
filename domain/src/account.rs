//! The WhatsAppAccount aggregate: one connected business phone number.
//!
//! The access token is not part of the aggregate: it is a secret that only the persistence
//! adapter (encrypted) and the Cloud API adapter (in memory) ever hold.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::events::{AccountConnected, AccountQualityUpdated, AccountStatusChanged, DomainEvent};
use crate::phone::{PhoneNumber, PhoneNumberId, WabaId};
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct WhatsAppAccount {
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
}

impl WhatsAppAccount {
    pub fn connect(
        shop_id: ShopId,
        phone_number_id: PhoneNumberId,
        display_phone_number: PhoneNumber,
        waba_id: WabaId,
        display_name: Option<String>,
        now: DateTime<Utc>,
    ) -> (Self, DomainEvent) {
        let account = Self {
            id: AccountId::new(),
            shop_id,
            phone_number_id,
            display_phone_number,
            waba_id,
            display_name,
            status: AccountStatus::Active,
            messaging_tier: MessagingTier::Tier250,
            quality_rating: QualityRating::Unknown,
            throughput_mps: DEFAULT_THROUGHPUT_MPS,
            connected_at: now,
            updated_at: now,
        };
        let event = DomainEvent::AccountConnected(AccountConnected {
            shop_id,
            account_id: account.id,
            phone_number_id: account.phone_number_id.to_string(),
            display_phone_number: account.display_phone_number.to_string(),
            waba_id: account.waba_id.to_string(),
        });
        (account, event)
    }

    pub fn ensure_can_send(&self) -> Result<(), AccountError> {
        match self.status {
            AccountStatus::Active => Ok(()),
            other => Err(AccountError::NotActive(other.as_str())),
        }
    }

    fn change_status(
        &mut self,
        to: AccountStatus,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<DomainEvent>, AccountError> {
        if self.status == AccountStatus::Disconnected && to != AccountStatus::Disconnected {
            return Err(AccountError::Disconnected);
        }
        if self.status == to {
            return Ok(None);
        }
        let previous = self.status;
        self.status = to;
        self.updated_at = now;
        Ok(Some(DomainEvent::AccountStatusChanged(AccountStatusChanged {
            shop_id: self.shop_id,
            account_id: self.id,
            phone_number_id: self.phone_number_id.to_string(),
            status: to.as_str().to_owned(),
            previous_status: previous.as_str().to_owned(),
            reason,
        })))
    }

    pub fn suspend(&mut self, reason: Option<String>, now: DateTime<Utc>) -> Result<Option<DomainEvent>, AccountError> {
        self.change_status(AccountStatus::Suspended, reason, now)
    }

    pub fn activate(&mut self, now: DateTime<Utc>) -> Result<Option<DomainEvent>, AccountError> {
        self.change_status(AccountStatus::Active, None, now)
    }

    pub fn disconnect(&mut self, now: DateTime<Utc>) -> Option<DomainEvent> {
        self.change_status(AccountStatus::Disconnected, None, now).ok().flatten()
    }

    pub fn set_throughput(&mut self, mps: u32, now: DateTime<Utc>) -> Result<(), AccountError> {
        if !(1..=MAX_THROUGHPUT_MPS).contains(&mps) {
            return Err(AccountError::BadThroughput);
        }
        self.throughput_mps = mps;
        self.updated_at = now;
        Ok(())
    }

    /// Meta reported a new quality rating (and maybe a new tier).
    pub fn update_quality(&mut self, rating: QualityRating, tier: Option<MessagingTier>, now: DateTime<Utc>) -> Option<DomainEvent> {
        let tier_changed = tier.is_some_and(|t| t != self.messaging_tier);
        if rating == self.quality_rating && !tier_changed {
            return None;
        }
        let previous = self.quality_rating;
        self.quality_rating = rating;
        if let Some(t) = tier {
            self.messaging_tier = t;
        }
        self.updated_at = now;
        Some(DomainEvent::AccountQualityUpdated(AccountQualityUpdated {
            shop_id: self.shop_id,
            account_id: self.id,
            phone_number_id: self.phone_number_id.to_string(),
            quality_rating: rating.as_str().to_owned(),
            previous_quality_rating: previous.as_str().to_owned(),
            messaging_tier: self.messaging_tier.as_str().to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(a.status, AccountStatus::Active);
        assert_eq!(e.short_type(), "account.connected");
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
    fn disconnected_is_final() {
        let mut a = given_account();
        assert!(a.disconnect(Utc::now()).is_some());
        assert_eq!(a.activate(Utc::now()), Err(AccountError::Disconnected));
    }

    #[test]
    fn quality_update_only_when_changed() {
        let mut a = given_account();
        assert!(a.update_quality(QualityRating::Yellow, None, Utc::now()).is_some());
        assert!(a.update_quality(QualityRating::Yellow, None, Utc::now()).is_none());
        assert!(a.update_quality(QualityRating::Yellow, Some(MessagingTier::Tier1K), Utc::now()).is_some());
        assert_eq!(QualityRating::parse("MEDIUM"), Some(QualityRating::Yellow));
        assert_eq!(MessagingTier::parse("TIER_UNLIMITED"), Some(MessagingTier::Unlimited));
    }
}
