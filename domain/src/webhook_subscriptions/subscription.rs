//! A merchant's webhook subscription: events of the types it asked for, delivered to its URL and
//! signed as Standard Webhooks 1.0 says with its secret (`whsec_…`, stored encrypted, shown
//! once). A rotated secret keeps the previous one for a grace period, and deliveries carry both
//! signatures meanwhile. Too many failed attempts in a row disable it, with an event.

use chrono::{DateTime, Duration, Utc};

use super::events::WebhookSubscriptionDisabled;
use super::target::TargetUrl;
use crate::shared::problem::Problem;
use crate::{ShopId, WebhookSubscriptionId};

/// Event types a subscription may name at most.
pub const MAX_EVENT_TYPES: usize = 50;
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// Failed attempts in a row after which a subscription is disabled.
pub const DISABLE_AFTER_FAILURES: u32 = 50;
/// How long a rotated secret still signs.
pub fn rotation_grace() -> Duration {
    Duration::hours(24)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Active,
    Disabled,
}

impl SubscriptionStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }
}

/// What a request states.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionDraft {
    pub url: Option<String>,
    /// Event types (`message.received`), or `*` for all.
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionSnapshot {
    pub id: WebhookSubscriptionId,
    pub shop_id: ShopId,
    pub url: TargetUrl,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub status: SubscriptionStatus,
    pub consecutive_failures: u32,
    pub disabled_reason: Option<String>,
    /// The signing secret, encrypted.
    pub secret: String,
    /// The rotated-out secret, encrypted, and until when it still signs.
    pub previous_secret: Option<String>,
    pub previous_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSubscription {
    s: SubscriptionSnapshot,
}

fn check_types(types: &[String], known: &[&str], problems: &mut Vec<Problem>) -> Vec<String> {
    if types.is_empty() || types.len() > MAX_EVENT_TYPES {
        problems.push(Problem::new("eventTypes", format!("must list 1 to {MAX_EVENT_TYPES} event types, or \"*\"")));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in types.iter().take(MAX_EVENT_TYPES).enumerate() {
        if t != "*" && !known.contains(&t.as_str()) {
            problems.push(Problem::new(format!("eventTypes[{i}]"), "is not an event type of docs/EVENTS.md"));
        } else if !out.contains(t) {
            out.push(t.clone());
        }
    }
    if out.iter().any(|t| t == "*") {
        out = vec!["*".to_owned()];
    }
    out
}

fn check_description(d: &Option<String>, problems: &mut Vec<Problem>) -> Option<String> {
    let d = d.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if d.as_ref().is_some_and(|s| s.chars().count() > MAX_DESCRIPTION_CHARS) {
        problems.push(Problem::new("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    d
}

impl WebhookSubscription {
    /// A new subscription, checked whole. `known`: the event types there are; `loopback_http`:
    /// the sandbox; `secret`: the new secret, encrypted.
    pub fn create(
        shop_id: ShopId,
        d: &SubscriptionDraft,
        known: &[&str],
        loopback_http: bool,
        secret: String,
        now: DateTime<Utc>,
    ) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let url = match d.url.as_deref().map(|u| TargetUrl::parse(u, loopback_http)) {
            Some(Ok(u)) => Some(u),
            Some(Err(why)) => {
                problems.push(Problem::new("url", why));
                None
            }
            None => {
                problems.push(Problem::new("url", "is required"));
                None
            }
        };
        let types = check_types(d.event_types.as_deref().unwrap_or(&[]), known, &mut problems);
        let description = check_description(&d.description, &mut problems);
        match url {
            Some(url) if problems.is_empty() => Ok(Self {
                s: SubscriptionSnapshot {
                    id: WebhookSubscriptionId::new(),
                    shop_id,
                    url,
                    event_types: types,
                    description,
                    status: if d.active == Some(false) { SubscriptionStatus::Disabled } else { SubscriptionStatus::Active },
                    consecutive_failures: 0,
                    disabled_reason: (d.active == Some(false)).then(|| "by_merchant".to_owned()),
                    secret,
                    previous_secret: None,
                    previous_until: None,
                    created_at: now,
                    updated_at: now,
                    version: 0,
                },
            }),
            _ => Err(problems),
        }
    }

    /// Change what a request names (absent fields stay). Enabling a disabled subscription starts
    /// its failure count again.
    pub fn update(&mut self, d: &SubscriptionDraft, known: &[&str], loopback_http: bool, now: DateTime<Utc>) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let url = match d.url.as_deref().map(|u| TargetUrl::parse(u, loopback_http)) {
            Some(Ok(u)) => Some(u),
            Some(Err(why)) => {
                problems.push(Problem::new("url", why));
                None
            }
            None => None,
        };
        let types = d.event_types.as_ref().map(|t| check_types(t, known, &mut problems));
        let description = d.description.as_ref().map(|_| check_description(&d.description, &mut problems));
        if !problems.is_empty() {
            return Err(problems);
        }
        if let Some(u) = url {
            self.s.url = u;
        }
        if let Some(t) = types {
            self.s.event_types = t;
        }
        if let Some(d) = description {
            self.s.description = d;
        }
        match d.active {
            Some(true) if self.s.status == SubscriptionStatus::Disabled => {
                self.s.status = SubscriptionStatus::Active;
                self.s.consecutive_failures = 0;
                self.s.disabled_reason = None;
            }
            Some(false) if self.s.status == SubscriptionStatus::Active => {
                self.s.status = SubscriptionStatus::Disabled;
                self.s.disabled_reason = Some("by_merchant".into());
            }
            _ => {}
        }
        self.s.updated_at = now;
        Ok(())
    }

    /// A new secret signs from now; the current one still signs for the grace period.
    pub fn rotate(&mut self, secret: String, now: DateTime<Utc>) {
        self.s.previous_secret = Some(std::mem::replace(&mut self.s.secret, secret));
        self.s.previous_until = Some(now + rotation_grace());
        self.s.updated_at = now;
    }

    /// A delivery reached the receiver: the failures in a row start again.
    pub fn delivered(&mut self, now: DateTime<Utc>) -> bool {
        if self.s.consecutive_failures == 0 {
            return false;
        }
        self.s.consecutive_failures = 0;
        self.s.updated_at = now;
        true
    }

    /// An attempt failed; the `DISABLE_AFTER_FAILURES`th in a row disables the subscription.
    pub fn failed(&mut self, now: DateTime<Utc>) -> Option<WebhookSubscriptionDisabled> {
        self.s.consecutive_failures += 1;
        self.s.updated_at = now;
        if self.s.status == SubscriptionStatus::Active && self.s.consecutive_failures >= DISABLE_AFTER_FAILURES {
            self.s.status = SubscriptionStatus::Disabled;
            self.s.disabled_reason = Some("failures".into());
            return Some(WebhookSubscriptionDisabled {
                shop_id: self.s.shop_id,
                subscription_id: self.s.id,
                url: self.s.url.as_str().to_owned(),
                reason: "failures".into(),
                consecutive_failures: self.s.consecutive_failures,
            });
        }
        None
    }

    pub fn restore(s: SubscriptionSnapshot) -> Self {
        Self { s }
    }
    pub fn snapshot(&self) -> &SubscriptionSnapshot {
        &self.s
    }
    pub fn id(&self) -> WebhookSubscriptionId {
        self.s.id
    }
    pub fn is_active(&self) -> bool {
        self.s.status == SubscriptionStatus::Active
    }
    pub fn wants(&self, event_type: &str) -> bool {
        self.is_active() && self.s.event_types.iter().any(|t| t == "*" || t == event_type)
    }
    /// The secrets that sign at `now` (encrypted): the current one, and the previous one during
    /// its grace period.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut out = vec![self.s.secret.as_str()];
        if let (Some(p), Some(until)) = (&self.s.previous_secret, self.s.previous_until)
            && now < until
        {
            out.push(p);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["message.received", "message.sent"];

    fn draft(url: &str, types: &[&str]) -> SubscriptionDraft {
        SubscriptionDraft {
            url: Some(url.into()),
            event_types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn a_subscription_is_checked_whole() {
        let e = WebhookSubscription::create(
            ShopId::new(),
            &draft("http://10.0.0.1/x", &["nope", "message.sent"]),
            KNOWN,
            false,
            "enc".into(),
            Utc::now(),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["url", "eventTypes[0]"]);
        let s = WebhookSubscription::create(
            ShopId::new(),
            &draft("https://h.example.com/x", &["message.sent", "*"]),
            KNOWN,
            false,
            "e".into(),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(s.snapshot().event_types, ["*"], "all");
        assert!(s.wants("customer.created"));
    }

    #[test]
    fn fifty_failures_in_a_row_disable_it_once_and_a_success_starts_again() {
        let now = Utc::now();
        let mut s =
            WebhookSubscription::create(ShopId::new(), &draft("https://h.example.com/x", &["message.sent"]), KNOWN, false, "e".into(), now)
                .unwrap();
        for _ in 0..10 {
            assert!(s.failed(now).is_none());
        }
        assert!(s.delivered(now));
        for _ in 0..DISABLE_AFTER_FAILURES - 1 {
            assert!(s.failed(now).is_none());
        }
        let e = s.failed(now).expect("disabled");
        assert_eq!((e.reason.as_str(), e.consecutive_failures), ("failures", DISABLE_AFTER_FAILURES));
        assert!(!s.wants("message.sent"));
        assert!(s.failed(now).is_none(), "once");
        s.update(&SubscriptionDraft { active: Some(true), ..Default::default() }, KNOWN, false, now).unwrap();
        assert!(s.wants("message.sent") && s.snapshot().consecutive_failures == 0);
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one_for_a_day() {
        let now = Utc::now();
        let mut s =
            WebhookSubscription::create(ShopId::new(), &draft("https://h.example.com/x", &["*"]), KNOWN, false, "old".into(), now).unwrap();
        s.rotate("new".into(), now);
        assert_eq!(s.signing_secrets(now + Duration::hours(23)), ["new", "old"]);
        assert_eq!(s.signing_secrets(now + Duration::hours(24)), ["new"]);
    }
}
