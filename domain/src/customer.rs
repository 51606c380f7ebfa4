//! The Customer aggregate: a person who writes to a shop, with consent, tags and fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::events::{CustomerCreated, CustomerOptInChanged, DomainEvent};
use crate::phone::WaId;
use crate::{CustomerId, ShopId};

pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_LEN: usize = 64;
pub const MAX_CUSTOM_FIELDS: usize = 100;

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("tags are 1 to {MAX_TAG_LEN} characters of letters, digits, '-', '_' or ':'")]
    BadTag,
    #[error("a customer has at most {MAX_TAGS} tags")]
    TooManyTags,
    #[error("custom field keys are 1 to 64 characters of letters, digits and '_'")]
    BadFieldKey,
    #[error("a customer has at most {MAX_CUSTOM_FIELDS} custom fields")]
    TooManyFields,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
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
}

impl Customer {
    pub fn first_contact(shop_id: ShopId, wa_id: WaId, name: Option<String>, now: DateTime<Utc>) -> (Self, DomainEvent) {
        let c = Self {
            id: CustomerId::new(),
            shop_id,
            wa_id,
            user_id: None,
            name: name.filter(|n| !n.trim().is_empty()),
            profile_picture_url: None,
            consent: OptInConsent { status: OptInStatus::Pending, source: None, at: None },
            tags: Vec::new(),
            custom_fields: BTreeMap::new(),
            first_contacted_at: now,
            last_inbound_at: None,
            updated_at: now,
        };
        let e = DomainEvent::CustomerCreated(CustomerCreated {
            shop_id,
            customer_id: c.id,
            wa_id: c.wa_id.to_string(),
            name: c.name.clone(),
            user_id: None,
        });
        (c, e)
    }

    /// Meta sends the WhatsApp profile name with every message; keep the newest non-empty one.
    pub fn update_profile_name(&mut self, name: Option<&str>, now: DateTime<Utc>) -> bool {
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if self.name.as_deref() != Some(n) => {
                self.name = Some(n.to_owned());
                self.updated_at = now;
                true
            }
            _ => false,
        }
    }

    pub fn record_inbound(&mut self, at: DateTime<Utc>) {
        if self.last_inbound_at.is_none_or(|t| at > t) {
            self.last_inbound_at = Some(at);
        }
    }

    pub fn attach_user_id(&mut self, user_id: &str, now: DateTime<Utc>) -> bool {
        if self.user_id.as_deref() == Some(user_id) || user_id.trim().is_empty() {
            return false;
        }
        self.user_id = Some(user_id.to_owned());
        self.updated_at = now;
        true
    }

    pub fn update_opt_in(&mut self, status: OptInStatus, source: ConsentSource, now: DateTime<Utc>) -> Option<DomainEvent> {
        if self.consent.status == status {
            return None;
        }
        let previous = self.consent.status;
        self.consent = OptInConsent { status, source: Some(source), at: Some(now) };
        self.updated_at = now;
        Some(DomainEvent::CustomerOptInChanged(CustomerOptInChanged {
            shop_id: self.shop_id,
            customer_id: self.id,
            wa_id: self.wa_id.to_string(),
            status: status.as_str().to_owned(),
            previous_status: previous.as_str().to_owned(),
            source: source.as_str().to_owned(),
        }))
    }

    pub fn add_tag(&mut self, tag: &str, now: DateTime<Utc>) -> Result<bool, CustomerError> {
        let tag = tag.trim().to_lowercase();
        let valid = !tag.is_empty()
            && tag.chars().count() <= MAX_TAG_LEN
            && tag.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':'));
        if !valid {
            return Err(CustomerError::BadTag);
        }
        if self.tags.contains(&tag) {
            return Ok(false);
        }
        if self.tags.len() >= MAX_TAGS {
            return Err(CustomerError::TooManyTags);
        }
        self.tags.push(tag);
        self.updated_at = now;
        Ok(true)
    }

    pub fn remove_tag(&mut self, tag: &str, now: DateTime<Utc>) -> bool {
        let tag = tag.trim().to_lowercase();
        let before = self.tags.len();
        self.tags.retain(|t| *t != tag);
        let changed = self.tags.len() != before;
        if changed {
            self.updated_at = now;
        }
        changed
    }

    pub fn set_custom_field(&mut self, key: &str, value: Option<String>, now: DateTime<Utc>) -> Result<(), CustomerError> {
        let valid = !key.is_empty() && key.len() <= 64 && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(CustomerError::BadFieldKey);
        }
        match value {
            Some(v) => {
                if !self.custom_fields.contains_key(key) && self.custom_fields.len() >= MAX_CUSTOM_FIELDS {
                    return Err(CustomerError::TooManyFields);
                }
                self.custom_fields.insert(key.to_owned(), v);
            }
            None => {
                self.custom_fields.remove(key);
            }
        }
        self.updated_at = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer() -> Customer {
        Customer::first_contact(ShopId::new(), WaId::parse("5511999990000").unwrap(), Some("Ana".into()), Utc::now()).0
    }

    #[test]
    fn new_customer_is_pending_consent() {
        let (c, e) = Customer::first_contact(ShopId::new(), WaId::parse("5511999990000").unwrap(), Some(" ".into()), Utc::now());
        assert_eq!(c.consent.status, OptInStatus::Pending);
        assert_eq!(c.name, None);
        assert_eq!(e.short_type(), "customer.created");
    }

    #[test]
    fn opt_in_change_emits_once() {
        let mut c = customer();
        let e = c.update_opt_in(OptInStatus::OptedIn, ConsentSource::Web, Utc::now()).unwrap();
        assert_eq!(e.short_type(), "customer.opt_in.changed");
        assert!(c.update_opt_in(OptInStatus::OptedIn, ConsentSource::Api, Utc::now()).is_none());
        assert_eq!(c.consent.source, Some(ConsentSource::Web));
    }

    #[test]
    fn tags_are_normalised_unique_and_bounded() {
        let mut c = customer();
        assert_eq!(c.add_tag(" VIP ", Utc::now()), Ok(true));
        assert_eq!(c.add_tag("vip", Utc::now()), Ok(false));
        assert_eq!(c.add_tag("no spaces", Utc::now()), Err(CustomerError::BadTag));
        for i in 0..49 {
            c.add_tag(&format!("t{i}"), Utc::now()).unwrap();
        }
        assert_eq!(c.add_tag("one-more", Utc::now()), Err(CustomerError::TooManyTags));
        assert!(c.remove_tag("VIP", Utc::now()));
    }

    #[test]
    fn profile_name_keeps_newest_non_empty() {
        let mut c = customer();
        assert!(!c.update_profile_name(Some(""), Utc::now()));
        assert!(c.update_profile_name(Some("Ana Maria"), Utc::now()));
        assert_eq!(c.name.as_deref(), Some("Ana Maria"));
        assert_eq!(c.set_custom_field("bad key", None, Utc::now()), Err(CustomerError::BadFieldKey));
    }
}
