//! The Customer aggregate: a person who writes to a shop, with consent, tags and fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::events::{CustomerCreated, CustomerEvent, CustomerOptInChanged};
use crate::shared::phone::WaId;
use crate::{CustomerId, ShopId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptInStatus {
    OptedIn,
    OptedOut,
    Pending,
}

impl OptInStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OptedIn => "opted_in",
            Self::OptedOut => "opted_out",
            Self::Pending => "pending",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "opted_in" => Some(Self::OptedIn),
            "opted_out" => Some(Self::OptedOut),
            "pending" => Some(Self::Pending),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentSource {
    Web,
    Whatsapp,
    Manual,
    Api,
    Import,
}

impl ConsentSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Whatsapp => "whatsapp",
            Self::Manual => "manual",
            Self::Api => "api",
            Self::Import => "import",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "web" => Some(Self::Web),
            "whatsapp" => Some(Self::Whatsapp),
            "manual" => Some(Self::Manual),
            "api" => Some(Self::Api),
            "import" => Some(Self::Import),
            _ => None,
        }
    }
}

/// Marketing consent. Writing to a shop is not consent to marketing: a new customer is pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptInConsent {
    pub status: OptInStatus,
    pub source: Option<ConsentSource>,
    pub at: Option<DateTime<Utc>>,
}

/// Everything a stored customer holds: what persistence reads and writes. Change a customer
/// only through [`Customer`]'s methods.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerSnapshot {
    pub id: CustomerId,
    pub shop_id: ShopId,
    pub wa_id: WaId,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub consent: OptInConsent,
    pub tags: Vec<String>,
    pub custom_fields: BTreeMap<String, String>,
    pub first_contacted_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: bumped by every stored change.
    pub version: i64,
}

/// The Customer aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    s: CustomerSnapshot,
}

impl Customer {
    pub fn first_contact(shop_id: ShopId, wa_id: WaId, name: Option<String>, now: DateTime<Utc>) -> (Self, CustomerEvent) {
        let c = Self {
            s: CustomerSnapshot {
                id: CustomerId::new(),
                shop_id,
                wa_id,
                user_id: None,
                name: name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
                profile_picture_url: None,
                consent: OptInConsent { status: OptInStatus::Pending, source: None, at: None },
                tags: Vec::new(),
                custom_fields: BTreeMap::new(),
                first_contacted_at: now,
                last_inbound_at: None,
                updated_at: now,
                version: 0,
            },
        };
        let e = CustomerEvent::from(CustomerCreated {
            shop_id,
            customer_id: c.s.id,
            wa_id: c.s.wa_id.to_string(),
            name: c.s.name.clone(),
            user_id: None,
        });
        (c, e)
    }

    /// Rebuild a stored customer (persistence only).
    pub fn restore(snapshot: CustomerSnapshot) -> Self {
        Self { s: snapshot }
    }

    pub fn snapshot(&self) -> &CustomerSnapshot {
        &self.s
    }

    pub fn id(&self) -> CustomerId {
        self.s.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.s.shop_id
    }
    pub fn wa_id(&self) -> &WaId {
        &self.s.wa_id
    }
    pub fn user_id(&self) -> Option<&str> {
        self.s.user_id.as_deref()
    }
    pub fn name(&self) -> Option<&str> {
        self.s.name.as_deref()
    }
    pub fn consent(&self) -> OptInConsent {
        self.s.consent
    }

    /// Meta sends the WhatsApp profile name with every message; keep the newest non-empty one.
    pub fn update_profile_name(&mut self, name: Option<&str>, now: DateTime<Utc>) -> bool {
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if self.s.name.as_deref() != Some(n) => {
                self.s.name = Some(n.to_owned());
                self.s.updated_at = now;
                true
            }
            _ => false,
        }
    }

    /// The customer wrote at `at` (Meta's time). Only ever moves forward. `true` if it moved.
    pub fn record_inbound(&mut self, at: DateTime<Utc>) -> bool {
        if self.s.last_inbound_at.is_none_or(|t| at > t) {
            self.s.last_inbound_at = Some(at);
            return true;
        }
        false
    }

    /// A sibling service's id for this customer (seed 004 `userId`). `true` if it changed.
    pub fn attach_user_id(&mut self, user_id: &str, now: DateTime<Utc>) -> bool {
        if self.s.user_id.as_deref() == Some(user_id) || user_id.trim().is_empty() {
            return false;
        }
        self.s.user_id = Some(user_id.to_owned());
        self.s.updated_at = now;
        true
    }

    pub fn update_opt_in(&mut self, status: OptInStatus, source: ConsentSource, now: DateTime<Utc>) -> Option<CustomerEvent> {
        if self.s.consent.status == status {
            return None;
        }
        let previous = self.s.consent.status;
        self.s.consent = OptInConsent { status, source: Some(source), at: Some(now) };
        self.s.updated_at = now;
        Some(CustomerEvent::from(CustomerOptInChanged {
            shop_id: self.s.shop_id,
            customer_id: self.s.id,
            wa_id: self.s.wa_id.to_string(),
            status: status.as_str().to_owned(),
            previous_status: previous.as_str().to_owned(),
            source: source.as_str().to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::events::IntegrationEvent;

    fn customer() -> Customer {
        Customer::first_contact(ShopId::new(), WaId::parse("5511999990000").unwrap(), Some("Ana".into()), Utc::now()).0
    }

    #[test]
    fn new_customer_is_pending_consent() {
        let (c, e) = Customer::first_contact(ShopId::new(), WaId::parse("5511999990000").unwrap(), Some(" ".into()), Utc::now());
        assert_eq!(c.consent().status, OptInStatus::Pending);
        assert_eq!(c.name(), None);
        assert_eq!(e.event_type(), "customer.created");
    }

    #[test]
    fn opt_in_change_emits_once() {
        let mut c = customer();
        let e = c.update_opt_in(OptInStatus::OptedIn, ConsentSource::Web, Utc::now()).unwrap();
        assert_eq!(e.event_type(), "customer.opt_in.changed");
        assert!(c.update_opt_in(OptInStatus::OptedIn, ConsentSource::Api, Utc::now()).is_none());
        assert_eq!(c.consent().source, Some(ConsentSource::Web));
    }

    #[test]
    fn profile_name_keeps_newest_non_empty_and_inbound_only_moves_forward() {
        let mut c = customer();
        assert!(!c.update_profile_name(Some(""), Utc::now()));
        assert!(c.update_profile_name(Some("Ana Maria"), Utc::now()));
        assert_eq!(c.name(), Some("Ana Maria"));
        let t = Utc::now();
        assert!(c.record_inbound(t));
        assert!(!c.record_inbound(t - chrono::Duration::seconds(5)));
        assert_eq!(c.snapshot().last_inbound_at, Some(t));
    }
}
