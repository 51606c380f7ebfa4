//! The Customer aggregate: a person who writes to a shop, with consent, tags and fields.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

use super::consent::{ConsentChange, ConsentEntry, ConsentError, ConsentSource, ConsentState, ERASED, OptInConsent, OptInStatus};
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
    /// The WhatsApp profile name (Meta sends it with every message).
    pub name: Option<String>,
    /// The name the merchant gave the customer.
    pub display_name: Option<String>,
    /// A language code (`pt_BR`, `en`), for templates and replies.
    pub language: Option<String>,
    /// An IANA time zone (`America/Sao_Paulo`).
    pub timezone: Option<String>,
    pub profile_picture_url: Option<String>,
    /// The current state of each purpose (the latest entry of the ledger).
    pub consent: ConsentState,
    pub tags: Vec<String>,
    /// Custom field values in their canonical form (see `fields.rs`), by key.
    pub custom_fields: BTreeMap<String, Value>,
    pub first_contacted_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// When the customer's personal data was erased (GDPR).
    pub erased_at: Option<DateTime<Utc>>,
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
                display_name: None,
                language: None,
                timezone: None,
                profile_picture_url: None,
                consent: ConsentState::default(),
                tags: Vec::new(),
                custom_fields: BTreeMap::new(),
                first_contacted_at: now,
                last_inbound_at: None,
                updated_at: now,
                erased_at: None,
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

    /// Erase the customer's personal data (GDPR): names, `userId`, language, time zone, picture,
    /// tags and custom fields go; the `waId` becomes `pseudonym` (a keyed hash, so a later
    /// opt-out check still recognises the number); counts, times and the consent history stay.
    /// `None` if already erased.
    pub fn erase(&mut self, pseudonym: WaId, now: DateTime<Utc>) -> Option<CustomerEvent> {
        if self.s.erased_at.is_some() {
            return None;
        }
        let s = &mut self.s;
        s.wa_id = pseudonym;
        s.name = None;
        s.display_name = None;
        s.user_id = None;
        s.language = None;
        s.timezone = None;
        s.profile_picture_url = None;
        s.tags.clear();
        s.custom_fields.clear();
        s.erased_at = Some(now);
        s.updated_at = now;
        Some(CustomerEvent::from(super::events::CustomerErased {
            shop_id: s.shop_id,
            customer_id: s.id,
            wa_id: s.wa_id.to_string(),
            erased_at: now,
        }))
    }

    pub fn is_erased(&self) -> bool {
        self.s.erased_at.is_some()
    }

    /// A customer a merchant creates (the API, an import): the profile is applied to a new
    /// customer, and `customer.created` carries the result.
    pub fn create(
        shop_id: ShopId,
        wa_id: WaId,
        profile: &ProfileChange,
        now: DateTime<Utc>,
    ) -> Result<(Self, CustomerEvent), ProfileError> {
        let (mut c, _) = Self::first_contact(shop_id, wa_id, None, now);
        c.apply(profile)?;
        let e = CustomerEvent::from(CustomerCreated {
            shop_id,
            customer_id: c.s.id,
            wa_id: c.s.wa_id.to_string(),
            name: c.s.display_name.clone(),
            user_id: c.s.user_id.clone(),
        });
        Ok((c, e))
    }

    /// A merchant's change of the profile. `customer.updated` names what changed; nothing if
    /// nothing did.
    pub fn update(&mut self, profile: &ProfileChange, now: DateTime<Utc>) -> Result<Option<CustomerEvent>, UpdateError> {
        if self.is_erased() {
            return Err(UpdateError::Erased);
        }
        let changed = self.apply(profile)?;
        if changed.is_empty() {
            return Ok(None);
        }
        self.s.updated_at = now;
        Ok(Some(self.updated(changed)))
    }

    fn apply(&mut self, p: &ProfileChange) -> Result<Vec<String>, ProfileError> {
        let mut next = self.s.clone();
        let mut changed = Vec::new();
        let text = |field: &'static str, v: &Option<String>, max: usize| -> Result<Option<String>, ProfileError> {
            match v.as_deref().map(str::trim) {
                None => Ok(None),
                Some("") => Err(ProfileError { field: field.into(), reason: "must not be blank (null clears it)".into() }),
                Some(t) if t.chars().count() > max => {
                    Err(ProfileError { field: field.into(), reason: format!("at most {max} characters") })
                }
                Some(t) => Ok(Some(t.to_owned())),
            }
        };
        if let Some(v) = &p.display_name {
            next.display_name = text("name", v, 128)?;
        }
        if let Some(v) = &p.user_id {
            next.user_id = text("userId", v, 128)?;
        }
        if let Some(v) = &p.language {
            next.language = text("language", v, 16)?;
            if let Some(l) = &next.language
                && !valid_language(l)
            {
                return Err(ProfileError { field: "language".into(), reason: "a language code such as pt_BR or en".into() });
            }
        }
        if let Some(v) = &p.timezone {
            next.timezone = text("timezone", v, 64)?;
            if let Some(t) = &next.timezone
                && !valid_timezone(t)
            {
                return Err(ProfileError { field: "timezone".into(), reason: "an IANA time zone such as America/Sao_Paulo".into() });
            }
        }
        for (key, value) in &p.custom_fields {
            let before = next.custom_fields.get(key).cloned();
            match value {
                Some(v) => next.custom_fields.insert(key.clone(), v.clone()),
                None => next.custom_fields.remove(key),
            };
            if next.custom_fields.get(key) != before.as_ref() {
                changed.push(format!("customFields.{key}"));
            }
        }
        let mut names: Vec<String> = [
            ("name", &self.s.display_name, &next.display_name),
            ("userId", &self.s.user_id, &next.user_id),
            ("language", &self.s.language, &next.language),
            ("timezone", &self.s.timezone, &next.timezone),
        ]
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(n, _, _)| n.to_owned())
        .collect();
        names.extend(changed);
        self.s = next;
        Ok(names)
    }

    pub fn custom_fields(&self) -> &BTreeMap<String, Value> {
        &self.s.custom_fields
    }

    fn updated(&self, fields: Vec<String>) -> CustomerEvent {
        CustomerEvent::from(super::events::CustomerUpdated {
            shop_id: self.s.shop_id,
            customer_id: self.s.id,
            wa_id: self.s.wa_id.to_string(),
            fields,
            tags: self.s.tags.clone(),
        })
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
        if self.is_erased() {
            return Err(TagError::Erased);
        }
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
        if self.is_erased() {
            return Err(TagError::Erased);
        }
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
        self.updated(vec!["tags".into()])
    }

    /// A change of consent that a merchant's import asks for. An opt-in never overrides an
    /// opt-out the customer gave themselves (a STOP on WhatsApp) or that Meta reported, unless
    /// the import explicitly says so (`override_opt_outs`, which the caller audits). Otherwise as
    /// `record_consent`.
    pub fn record_imported_consent(
        &mut self,
        change: &ConsentChange,
        override_opt_outs: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<(ConsentEntry, CustomerEvent)>, ConsentError> {
        let held = self.s.consent.of(change.purpose);
        if !override_opt_outs
            && change.status == OptInStatus::OptedIn
            && held.status == OptInStatus::OptedOut
            && let Some(source @ (ConsentSource::Whatsapp | ConsentSource::Meta)) = held.source
        {
            let at = held.at.map_or_else(|| "an earlier time".to_owned(), |t| t.to_rfc3339());
            return Err(ConsentError::OptedOutByCustomer { by: source, at });
        }
        self.record_consent(change, now)
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
        if self.is_erased() {
            return Err(ConsentError::Erased);
        }
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

/// A merchant's change of a customer's profile: `None` leaves a field as it is, `Some(None)`
/// (or a blank text) clears it. Custom field values must already be checked against their
/// definitions (`FieldDefinition::check`); `None` removes a value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileChange {
    pub display_name: Option<Option<String>>,
    pub user_id: Option<Option<String>>,
    pub language: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub custom_fields: BTreeMap<String, Option<Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ProfileError {
    pub field: String,
    pub reason: String,
}

/// Why a merchant's change of the profile was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Invalid(#[from] ProfileError),
    /// The customer was erased: nothing about them may be written again.
    #[error("{ERASED}")]
    Erased,
}

/// `en`, `pt_BR`, `es-419`, `zh_Hant`: a language and an optional region or script.
fn valid_language(l: &str) -> bool {
    let mut parts = l.splitn(2, ['_', '-']);
    let lang = parts.next().unwrap_or("");
    let ok_lang = (2..=3).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_lowercase());
    ok_lang && parts.next().is_none_or(|r| (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// `UTC`, or an IANA name: `Area/Location` (`America/Argentina/Buenos_Aires`).
fn valid_timezone(t: &str) -> bool {
    t == "UTC"
        || (t.contains('/')
            && t.split('/').count() <= 3
            && t.split('/').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))))
}

/// A tag: free text, trimmed, 1 to 64 characters; at most 100 per customer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error("a tag must be 1 to 64 characters")]
    Length,
    #[error("{ERASED}")]
    Erased,
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
    fn a_merchant_creates_and_updates_a_profile_with_one_event_naming_what_changed() {
        let mut fields = BTreeMap::new();
        fields.insert("tier".to_owned(), Some(serde_json::json!("Gold")));
        let p = ProfileChange {
            display_name: Some(Some(" Ana Souza ".into())),
            language: Some(Some("pt_BR".into())),
            timezone: Some(Some("America/Sao_Paulo".into())),
            custom_fields: fields,
            ..Default::default()
        };
        let (mut c, e) = Customer::create(ShopId::new(), WaId::parse("5511999990000").unwrap(), &p, Utc::now()).unwrap();
        assert_eq!(e.data()["name"], "Ana Souza");
        assert_eq!(c.custom_fields()["tier"], "Gold");
        assert!(c.update(&p, Utc::now()).unwrap().is_none(), "the same again changes nothing");
        let mut clear = BTreeMap::new();
        clear.insert("tier".to_owned(), None);
        let e = c.update(&ProfileChange { language: Some(None), custom_fields: clear, ..Default::default() }, Utc::now()).unwrap().unwrap();
        assert_eq!(e.data()["fields"], serde_json::json!(["language", "customFields.tier"]));
        assert!(c.custom_fields().is_empty());
        for (p, field) in [
            (ProfileChange { language: Some(Some("portuguese".into())), ..Default::default() }, "language"),
            (ProfileChange { timezone: Some(Some("Sao Paulo".into())), ..Default::default() }, "timezone"),
            (ProfileChange { display_name: Some(Some("x".repeat(129))), ..Default::default() }, "name"),
        ] {
            assert!(matches!(c.update(&p, Utc::now()), Err(UpdateError::Invalid(e)) if e.field == field));
        }
    }

    #[test]
    fn erasure_removes_personal_data_once_and_keeps_consent_and_times() {
        let mut c = customer();
        c.tag(&["VIP".into()], Utc::now()).unwrap();
        let change = ConsentChange {
            purpose: Purpose::Marketing,
            status: OptInStatus::OptedOut,
            source: ConsentSource::Whatsapp,
            evidence: None,
            actor: None,
        };
        c.record_consent(&change, Utc::now()).unwrap();
        let first = c.snapshot().first_contacted_at;
        let e = c.erase(WaId::parse("012345678901234").unwrap(), Utc::now()).unwrap();
        assert_eq!(e.event_type(), "customer.erased");
        assert_eq!((c.name(), c.wa_id().as_str(), c.tags().len()), (None, "012345678901234", 0));
        assert_eq!(c.consent().marketing.status, OptInStatus::OptedOut);
        assert_eq!(c.snapshot().first_contacted_at, first);
        assert!(c.erase(WaId::parse("012345678901234").unwrap(), Utc::now()).is_none());
        // An erased customer is never written again.
        let named = ProfileChange { display_name: Some(Some("Ana".into())), ..Default::default() };
        assert_eq!(c.update(&named, Utc::now()), Err(UpdateError::Erased));
        assert_eq!(c.tag(&["VIP".into()], Utc::now()), Err(TagError::Erased));
        assert_eq!(c.untag("VIP", Utc::now()), Err(TagError::Erased));
        let opt_in = ConsentChange { status: OptInStatus::OptedIn, ..change };
        assert_eq!(c.record_consent(&opt_in, Utc::now()), Err(ConsentError::Erased));
        assert_eq!((c.name(), c.consent().marketing.status), (None, OptInStatus::OptedOut));
    }

    #[test]
    fn an_import_never_overrides_the_customers_own_opt_out_unless_told_to() {
        let change = |status, source| ConsentChange { purpose: Purpose::Marketing, status, source, evidence: None, actor: None };
        for (own_source, refused) in
            [(ConsentSource::Whatsapp, true), (ConsentSource::Meta, true), (ConsentSource::Import, false), (ConsentSource::Api, false)]
        {
            let mut c = customer();
            c.record_consent(&change(OptInStatus::OptedOut, own_source), Utc::now()).unwrap();
            let import = change(OptInStatus::OptedIn, ConsentSource::Import);
            let got = c.record_imported_consent(&import, false, Utc::now());
            assert_eq!(matches!(got, Err(ConsentError::OptedOutByCustomer { .. })), refused, "{own_source:?}: {got:?}");
            if refused {
                assert_eq!(c.consent().marketing.status, OptInStatus::OptedOut, "their word stands");
                assert!(c.record_imported_consent(&import, true, Utc::now()).unwrap().is_some(), "an explicit override may");
                assert_eq!(c.consent().marketing.status, OptInStatus::OptedIn);
            }
        }
        // An import may always opt a customer out, and may opt in one who never opted out.
        let mut c = customer();
        assert!(c.record_imported_consent(&change(OptInStatus::OptedIn, ConsentSource::Import), false, Utc::now()).unwrap().is_some());
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
