//! The Customer aggregate: a person who writes to a shop, with consent, tags and fields.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use super::consent::{ConsentChange, ConsentEntry, ConsentError, ConsentState, OptInConsent};
use super::events::{CustomerCreated, CustomerEvent, CustomerOptInChanged};
use crate::shared::phone::WaId;
use crate::{CustomerId, ShopId};

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
    /// The current state of each purpose (the latest entry of the ledger).
    pub consent: ConsentState,
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
                consent: ConsentState::default(),
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
    pub fn consent(&self) -> &ConsentState {
        &self.s.consent
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

    /// Add tags (trimmed; unique per customer without regard to case, the first spelling kept).
    /// An event if any was new.
    pub fn tag(&mut self, tags: &[String], now: DateTime<Utc>) -> Result<Option<CustomerEvent>, TagError> {
        let mut changed = false;
        for t in tags {
            let t = normalize_tag(t)?;
            if !self.s.tags.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
                self.s.tags.push(t);
                changed = true;
            }
        }
        Ok(changed.then(|| self.tags_changed(now)))
    }

    /// Remove a tag (without regard to case). An event if it was there.
    pub fn untag(&mut self, tag: &str, now: DateTime<Utc>) -> Result<Option<CustomerEvent>, TagError> {
        let t = normalize_tag(tag)?.to_lowercase();
        let before = self.s.tags.len();
        self.s.tags.retain(|x| x.to_lowercase() != t);
        Ok((self.s.tags.len() != before).then(|| self.tags_changed(now)))
    }

    pub fn tags(&self) -> &[String] {
        &self.s.tags
    }

    fn tags_changed(&mut self, now: DateTime<Utc>) -> CustomerEvent {
        self.s.updated_at = now;
        CustomerEvent::from(super::events::CustomerUpdated {
            shop_id: self.s.shop_id,
            customer_id: self.s.id,
            wa_id: self.s.wa_id.to_string(),
            fields: vec!["tags".into()],
            tags: self.s.tags.clone(),
        })
    }

    /// Record a change of consent. Only a real change of a purpose's state is an entry of the
    /// ledger (and an event): asking again for the state it is in changes nothing, which keeps
    /// redeliveries and re-imports idempotent.
    pub fn record_consent(
        &mut self,
        change: &ConsentChange,
        now: DateTime<Utc>,
    ) -> Result<Option<(ConsentEntry, CustomerEvent)>, ConsentError> {
        change.check()?;
        let previous = self.s.consent.of(change.purpose);
        if previous.status == change.status {
            return Ok(None);
        }
        self.s.consent.set(change.purpose, OptInConsent { status: change.status, source: Some(change.source), at: Some(now) });
        self.s.updated_at = now;
        let entry = ConsentEntry {
            id: uuid::Uuid::now_v7(),
            shop_id: self.s.shop_id,
            customer_id: self.s.id,
            purpose: change.purpose,
            status: change.status,
            source: change.source,
            evidence: change.evidence.clone(),
            actor: change.actor.clone(),
            recorded_at: now,
        };
        let event = CustomerEvent::from(CustomerOptInChanged {
            shop_id: self.s.shop_id,
            customer_id: self.s.id,
            wa_id: self.s.wa_id.to_string(),
            purpose: change.purpose.as_str().to_owned(),
            status: change.status.as_str().to_owned(),
            previous_status: previous.status.as_str().to_owned(),
            source: change.source.as_str().to_owned(),
        });
        Ok(Some((entry, event)))
    }
}

/// A tag: free text, trimmed, 1 to 64 characters; at most 100 per customer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("a tag must be 1 to 64 characters")]
    Length,
}

pub const MAX_TAG_CHARS: usize = 64;

/// At most 64 characters as sent; trimmed of whitespace (and the ASCII separators U+001C to
/// U+001F, which many regex engines count as whitespace); not blank.
fn normalize_tag(t: &str) -> Result<String, TagError> {
    if t.chars().count() > MAX_TAG_CHARS {
        return Err(TagError::Length);
    }
    let t = t.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c));
    if t.is_empty() {
        return Err(TagError::Length);
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::consent::{ConsentSource, OptInStatus, Purpose};
    use crate::shared::events::IntegrationEvent;

    #[test]
    fn tags_are_trimmed_and_unique_without_regard_to_case() {
        let mut c = customer();
        let e = c.tag(&[" VIP ".into(), "vip".into(), "Wholesale".into()], Utc::now()).unwrap().unwrap();
        assert_eq!(e.event_type(), "customer.updated");
        assert_eq!(c.tags(), ["VIP", "Wholesale"]);
        assert!(c.tag(&["wholesale".into()], Utc::now()).unwrap().is_none(), "nothing new, no event");
        assert!(c.untag("vIp", Utc::now()).unwrap().is_some());
        assert_eq!(c.tags(), ["Wholesale"]);
        assert!(c.untag("vip", Utc::now()).unwrap().is_none());
        assert_eq!(c.tag(&["  ".into()], Utc::now()), Err(TagError::Length));
        assert_eq!(c.tag(&["x".repeat(65)], Utc::now()), Err(TagError::Length));
    }

    fn customer() -> Customer {
        Customer::first_contact(ShopId::new(), WaId::parse("5511999990000").unwrap(), Some("Ana".into()), Utc::now()).0
    }

    #[test]
    fn new_customer_is_pending_consent() {
        let (c, e) = Customer::first_contact(ShopId::new(), WaId::parse("5511999990000").unwrap(), Some(" ".into()), Utc::now());
        assert_eq!(*c.consent(), ConsentState::default());
        assert_eq!(c.consent().marketing.status, OptInStatus::Pending);
        assert_eq!(c.name(), None);
        assert_eq!(e.event_type(), "customer.created");
    }

    #[test]
    fn given_a_pending_customer_when_consent_changes_then_one_entry_and_event_per_real_change() {
        let mut c = customer();
        let change = |purpose, status, source| ConsentChange { purpose, status, source, evidence: Some("form 7".into()), actor: None };
        let (entry, e) =
            c.record_consent(&change(Purpose::Marketing, OptInStatus::OptedIn, ConsentSource::Web), Utc::now()).unwrap().unwrap();
        assert_eq!(e.event_type(), "customer.opt_in.changed");
        assert_eq!(e.data()["purpose"], "marketing");
        assert_eq!(e.data()["previousStatus"], "pending");
        assert_eq!((entry.purpose, entry.status, entry.evidence.as_deref()), (Purpose::Marketing, OptInStatus::OptedIn, Some("form 7")));
        assert!(c.record_consent(&change(Purpose::Marketing, OptInStatus::OptedIn, ConsentSource::Api), Utc::now()).unwrap().is_none());
        assert_eq!(c.consent().marketing.source, Some(ConsentSource::Web), "no change, the first source stays");
        assert_eq!(c.consent().utility.status, OptInStatus::Pending, "purposes are apart");
        let (_, e) =
            c.record_consent(&change(Purpose::Marketing, OptInStatus::OptedOut, ConsentSource::Whatsapp), Utc::now()).unwrap().unwrap();
        assert_eq!(e.data()["previousStatus"], "opted_in");
        assert_eq!(
            c.record_consent(&change(Purpose::Utility, OptInStatus::Pending, ConsentSource::Api), Utc::now()),
            Err(ConsentError::PendingIsNotAnEntry)
        );
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
