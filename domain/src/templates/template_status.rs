//! A template's review status as Meta last reported it (`message_template_status_update`), per
//! shop. Meta decides the status; this records it and says when it changed.

use chrono::{DateTime, Utc};

use super::events::{TemplateEvent, TemplateStatusUpdated};
use super::review::ReviewStatus;
use crate::ShopId;
use crate::shared::phone::WabaId;

/// What Meta's webhook said about one template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateStatusReport {
    pub waba_id: WabaId,
    pub meta_template_id: String,
    pub name: String,
    pub language: String,
    /// Meta's `event`.
    pub status: ReviewStatus,
    pub reason: Option<String>,
    /// When Meta says it happened (the webhook entry's `time`, in seconds).
    pub at: Option<DateTime<Utc>>,
}

/// A report this much older than the status held is news that arrived late (Meta redelivers
/// out of order, for days) and is ignored; within it (Meta's times are whole seconds, and our
/// own changes carry our clock) the later delivery wins.
pub const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(2);

/// The stored status of one template for one shop, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateStatusSnapshot {
    pub shop_id: ShopId,
    pub waba_id: String,
    pub meta_template_id: String,
    pub name: String,
    pub language: String,
    pub status: ReviewStatus,
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// When the status held happened: Meta's time for a webhook's, ours for the service's own
    /// changes (a submission, an edit, a sync).
    pub status_at: Option<DateTime<Utc>>,
}

/// The review status of one template for one shop (a template known only from webhooks has
/// nothing else). Private state: `restore` and `snapshot` for persistence.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateStatus {
    s: TemplateStatusSnapshot,
}

impl TemplateStatus {
    pub fn restore(snapshot: TemplateStatusSnapshot) -> Self {
        Self { s: snapshot }
    }

    pub fn snapshot(&self) -> &TemplateStatusSnapshot {
        &self.s
    }

    pub fn status(&self) -> &ReviewStatus {
        &self.s.status
    }

    /// Record a report for `shop_id`; `None` when the status and reason are the ones already
    /// recorded (a redelivery or a repeat) or older than them, so nothing is written and no event
    /// is emitted. The status recorded is the one Meta's event leaves ([`ReviewStatus::resulting`]).
    pub fn record(
        previous: Option<&TemplateStatus>,
        shop_id: ShopId,
        report: &TemplateStatusReport,
        now: DateTime<Utc>,
    ) -> Option<(TemplateStatus, TemplateEvent)> {
        let status = report.status.resulting(previous.map(|p| &p.s.status));
        let mut reason = report.reason.clone().filter(|r| !r.is_empty() && r != "NONE");
        if report.status != status && reason.is_none() {
            // What happened, when it is not the status it leaves (FLAGGED: approved, at risk).
            reason = Some(report.status.as_str().to_ascii_uppercase());
        }
        if previous.is_some_and(|p| p.s.status == status && p.s.reason == reason) {
            return None;
        }
        let at = report.at.unwrap_or(now);
        if previous.and_then(|p| p.s.status_at).is_some_and(|held| at + STALE_AFTER < held) {
            return None;
        }
        let record = TemplateStatus {
            s: TemplateStatusSnapshot {
                shop_id,
                waba_id: report.waba_id.to_string(),
                meta_template_id: report.meta_template_id.clone(),
                name: report.name.clone(),
                language: report.language.clone(),
                status: status.clone(),
                reason: reason.clone(),
                updated_at: now,
                status_at: Some(at),
            },
        };
        let event = TemplateEvent::from(TemplateStatusUpdated {
            shop_id,
            waba_id: record.s.waba_id.clone(),
            template_id: record.s.meta_template_id.clone(),
            template_name: record.s.name.clone(),
            language: record.s.language.clone(),
            status: status.as_str().to_owned(),
            previous_status: previous.map(|p| p.s.status.as_str().to_owned()),
            reason,
            meta_event: report.status.as_str().to_owned(),
        });
        Some((record, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::events::IntegrationEvent;

    fn report(status: &str) -> TemplateStatusReport {
        TemplateStatusReport {
            waba_id: WabaId::parse("9001").unwrap(),
            meta_template_id: "123".into(),
            name: "order_update".into(),
            language: "en_US".into(),
            status: ReviewStatus::parse(status),
            reason: Some("NONE".into()),
            at: None,
        }
    }

    #[test]
    fn a_report_older_than_the_status_held_is_ignored() {
        let shop = ShopId::new();
        let t = Utc::now();
        let at = |status: &str, secs: i64| TemplateStatusReport { at: Some(t + chrono::TimeDelta::seconds(secs)), ..report(status) };
        let (paused, _) = TemplateStatus::record(None, shop, &at("PAUSED", 0), t).unwrap();
        assert!(TemplateStatus::record(Some(&paused), shop, &at("APPROVED", -3600), t).is_none(), "an hour-old approval arrived late");
        assert!(TemplateStatus::record(Some(&paused), shop, &at("APPROVED", -1), t).is_some(), "the same second: the later delivery wins");
        let (approved, _) = TemplateStatus::record(Some(&paused), shop, &at("APPROVED", 60), t).unwrap();
        assert_eq!(approved.snapshot().status_at, Some(t + chrono::TimeDelta::seconds(60)));
    }

    #[test]
    fn given_no_status_when_approved_then_recorded_with_an_event() {
        let shop = ShopId::new();
        let (record, event) = TemplateStatus::record(None, shop, &report("APPROVED"), Utc::now()).unwrap();
        assert_eq!((record.status(), record.snapshot().reason.as_deref()), (&ReviewStatus::Approved, None));
        assert_eq!(event.event_type(), "template.status.updated");
        assert_eq!(event.data()["previousStatus"], serde_json::Value::Null);
        assert_eq!(event.subject(), "123");
    }

    #[test]
    fn given_approved_when_approved_again_then_nothing_and_when_paused_then_changed() {
        let shop = ShopId::new();
        let (approved, _) = TemplateStatus::record(None, shop, &report("APPROVED"), Utc::now()).unwrap();
        assert!(TemplateStatus::record(Some(&approved), shop, &report("APPROVED"), Utc::now()).is_none());
        let (_, e) = TemplateStatus::record(Some(&approved), shop, &report("PAUSED"), Utc::now()).unwrap();
        assert_eq!(e.data()["previousStatus"], "approved");
    }

    #[test]
    fn given_approved_when_flagged_then_still_approved_with_the_flag_said_once() {
        let shop = ShopId::new();
        let (approved, _) = TemplateStatus::record(None, shop, &report("APPROVED"), Utc::now()).unwrap();
        let (flagged, e) = TemplateStatus::record(Some(&approved), shop, &report("FLAGGED"), Utc::now()).unwrap();
        assert_eq!((flagged.status(), flagged.snapshot().reason.as_deref()), (&ReviewStatus::Approved, Some("FLAGGED")));
        assert_eq!(
            (&e.data()["status"], &e.data()["previousStatus"], &e.data()["metaEvent"]),
            (&"approved".into(), &"approved".into(), &"flagged".into())
        );
        assert!(TemplateStatus::record(Some(&flagged), shop, &report("FLAGGED"), Utc::now()).is_none(), "a redelivery says nothing new");
        let (disabled, _) = TemplateStatus::record(Some(&flagged), shop, &report("DISABLED"), Utc::now()).unwrap();
        assert_eq!(disabled.status(), &ReviewStatus::Disabled);
        let (reinstated, e) = TemplateStatus::record(Some(&disabled), shop, &report("REINSTATED"), Utc::now()).unwrap();
        assert_eq!((reinstated.status(), &e.data()["metaEvent"]), (&ReviewStatus::Approved, &"reinstated".into()));
        let (locked, _) = TemplateStatus::record(Some(&reinstated), shop, &report("LOCKED"), Utc::now()).unwrap();
        assert_eq!(locked.status(), &ReviewStatus::Approved, "a lock stops edits, not sends");
    }
}
