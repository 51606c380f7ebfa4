//! A template the shop keeps: what it says (when the service knows it), where it lives at Meta,
//! and the review status Meta last gave it. Only an approved template may be sent. Its state is
//! private: persistence reads `snapshot()` and rebuilds with `restore`; every change is a method.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::category::TemplateCategory;
use super::definition::TemplateDefinition;
use super::events::{TemplateCreated, TemplateEvent, TemplateQualityUpdated, TemplateStatusUpdated};
use super::parameters::RenderedTemplate;
use super::review::ReviewStatus;
use crate::shared::problem::Problem;
use crate::{AccountId, ShopId};

/// Why a template cannot be sent now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the template {name} ({language}) is {status}, not approved")]
pub struct NotApproved {
    pub name: String,
    pub language: String,
    pub status: String,
}

/// A template's state, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateSnapshot {
    pub id: uuid::Uuid,
    pub shop_id: ShopId,
    pub account_id: Option<AccountId>,
    pub waba_id: String,
    pub meta_template_id: String,
    pub name: String,
    pub language: String,
    pub category: Option<TemplateCategory>,
    /// What it says: known when the service submitted it or read it from Meta's list, and it
    /// passes the local rules; `None` for a template known only from a status webhook.
    pub definition: Option<TemplateDefinition>,
    pub status: ReviewStatus,
    pub reason: Option<String>,
    /// Meta's quality score: `GREEN`, `YELLOW`, `RED` or `UNKNOWN` (null until Meta says).
    pub quality: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    s: TemplateSnapshot,
}

/// One entry of Meta's template list, as the anti-corruption layer read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedTemplate {
    pub meta_template_id: String,
    pub name: String,
    pub language: String,
    pub category: Option<TemplateCategory>,
    /// `None` when Meta's components do not pass the local rules (the template still sends by
    /// name; its parameters are not checked here).
    pub definition: Option<TemplateDefinition>,
    pub status: ReviewStatus,
    pub reason: Option<String>,
    pub quality: Option<String>,
}

/// What reading Meta's list did to a template the shop already had.
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciled {
    /// Meta says what the service knew.
    Unchanged,
    /// Something changed; `status` is the event of a changed review status (as the webhook
    /// would have said it).
    Changed { status: Option<TemplateEvent> },
}

/// What Meta's `message_template_quality_update` webhook said about one template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateQualityReport {
    pub waba_id: crate::WabaId,
    pub meta_template_id: String,
    pub quality: String,
}

impl Template {
    pub fn restore(snapshot: TemplateSnapshot) -> Self {
        Self { s: snapshot }
    }

    pub fn snapshot(&self) -> &TemplateSnapshot {
        &self.s
    }

    /// Its state, to show it (the HTTP side's view) without copying.
    pub fn into_snapshot(self) -> TemplateSnapshot {
        self.s
    }

    pub fn id(&self) -> uuid::Uuid {
        self.s.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.s.shop_id
    }
    pub fn account_id(&self) -> Option<AccountId> {
        self.s.account_id
    }
    pub fn waba_id(&self) -> &str {
        &self.s.waba_id
    }
    pub fn meta_template_id(&self) -> &str {
        &self.s.meta_template_id
    }
    pub fn name(&self) -> &str {
        &self.s.name
    }
    pub fn language(&self) -> &str {
        &self.s.language
    }
    pub fn category(&self) -> Option<TemplateCategory> {
        self.s.category
    }
    pub fn definition(&self) -> Option<&TemplateDefinition> {
        self.s.definition.as_ref()
    }
    pub fn status(&self) -> &ReviewStatus {
        &self.s.status
    }
    pub fn reason(&self) -> Option<&str> {
        self.s.reason.as_deref()
    }
    pub fn quality(&self) -> Option<&str> {
        self.s.quality.as_deref()
    }
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.s.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.s.updated_at
    }

    /// Meta accepted `definition` for review under `meta_template_id`. A status webhook may
    /// have been faster than Meta's answer and left an `earlier` record: its id and status stay.
    #[allow(clippy::too_many_arguments)]
    pub fn submitted(
        shop_id: ShopId,
        account_id: AccountId,
        waba_id: &str,
        definition: TemplateDefinition,
        meta_template_id: &str,
        meta_status: &ReviewStatus,
        meta_category: Option<TemplateCategory>,
        earlier: Option<&Template>,
        now: DateTime<Utc>,
    ) -> (Self, TemplateEvent) {
        let category = meta_category.unwrap_or(definition.category);
        let t = Self {
            s: TemplateSnapshot {
                id: earlier.map_or_else(uuid::Uuid::now_v7, Template::id),
                shop_id,
                account_id: Some(account_id),
                waba_id: waba_id.to_owned(),
                meta_template_id: meta_template_id.to_owned(),
                name: definition.name.clone(),
                language: definition.language.clone(),
                category: Some(category),
                definition: Some(definition),
                status: earlier.map_or_else(|| meta_status.clone(), |e| e.s.status.clone()),
                reason: earlier.and_then(|e| e.s.reason.clone()),
                quality: None,
                created_at: Some(now),
                updated_at: now,
            },
        };
        let event = TemplateEvent::from(TemplateCreated {
            shop_id,
            id: t.s.id,
            waba_id: t.s.waba_id.clone(),
            template_id: t.s.meta_template_id.clone(),
            template_name: t.s.name.clone(),
            language: t.s.language.clone(),
            category: category.as_str().to_owned(),
            status: meta_status.as_str().to_owned(),
        });
        (t, event)
    }

    /// A template first seen in Meta's list (made in Meta's tools, or before the service knew
    /// the WABA), for `shop_id` on `waba_id`.
    pub fn listed(shop_id: ShopId, waba_id: &str, listed: ListedTemplate, now: DateTime<Utc>) -> Self {
        Self {
            s: TemplateSnapshot {
                id: uuid::Uuid::now_v7(),
                shop_id,
                account_id: None,
                waba_id: waba_id.to_owned(),
                meta_template_id: listed.meta_template_id,
                name: listed.name,
                language: listed.language,
                category: listed.category,
                definition: listed.definition,
                status: listed.status.resulting(None),
                reason: listed.reason,
                quality: listed.quality,
                created_at: None,
                updated_at: now,
            },
        }
    }

    /// Take what Meta's list says about this template: its status, category, quality (kept when
    /// the list has none) and content. Its id, number and creation time stay.
    pub fn reconcile(&mut self, listed: ListedTemplate, now: DateTime<Utc>) -> Reconciled {
        let quality = listed.quality.clone().or_else(|| self.s.quality.clone());
        let reported = listed.status.clone();
        let listed = ListedTemplate { status: reported.resulting(Some(&self.s.status)), ..listed };
        let same = self.s.status == listed.status
            && self.s.category == listed.category
            && self.s.quality == quality
            && self.s.definition.as_ref().map(|d| &d.components) == listed.definition.as_ref().map(|d| &d.components);
        if same {
            return Reconciled::Unchanged;
        }
        let status = (self.s.status != listed.status).then(|| {
            TemplateEvent::from(TemplateStatusUpdated {
                shop_id: self.s.shop_id,
                waba_id: self.s.waba_id.clone(),
                template_id: self.s.meta_template_id.clone(),
                template_name: listed.name.clone(),
                language: listed.language.clone(),
                status: listed.status.as_str().to_owned(),
                previous_status: Some(self.s.status.as_str().to_owned()),
                reason: listed.reason.clone(),
                meta_event: reported.as_str().to_owned(),
            })
        });
        self.s.name = listed.name;
        self.s.language = listed.language;
        self.s.category = listed.category;
        self.s.definition = listed.definition;
        self.s.status = listed.status;
        self.s.reason = listed.reason;
        self.s.quality = quality;
        self.s.updated_at = now;
        Reconciled::Changed { status }
    }

    /// Only an approved template whose quality is not RED may be sent: pending, rejected,
    /// paused, disabled, in appeal or RED is refused before Meta sees the send.
    pub fn ensure_sendable(&self) -> Result<(), NotApproved> {
        if self.s.quality.as_deref() == Some("RED") {
            return Err(NotApproved { name: self.s.name.clone(), language: self.s.language.clone(), status: "QUALITY_RED".into() });
        }
        if self.s.status == ReviewStatus::Approved {
            Ok(())
        } else {
            Err(NotApproved {
                name: self.s.name.clone(),
                language: self.s.language.clone(),
                status: self.s.status.as_str().to_ascii_uppercase(),
            })
        }
    }

    /// Whether Meta lets this template be edited now, and the change checked against what it is:
    /// only an approved, rejected or paused template is edited; an approved one keeps its
    /// category; name and language never change (a new template is made instead).
    pub fn check_edit(&self, next: &TemplateDefinition) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        if !matches!(self.s.status, ReviewStatus::Approved | ReviewStatus::Rejected | ReviewStatus::Paused) {
            problems.push(Problem {
                field: "status".into(),
                reason: format!(
                    "a {} template cannot be edited; Meta edits approved, rejected or paused ones",
                    self.s.status.as_str().to_ascii_uppercase()
                ),
            });
        }
        if self.s.status == ReviewStatus::Approved && self.s.category.is_some_and(|c| c != next.category) {
            problems.push(Problem { field: "category".into(), reason: "an approved template keeps its category".into() });
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// Meta accepted the edit: the new content goes to review again.
    pub fn edited(&mut self, next: TemplateDefinition, now: DateTime<Utc>) {
        self.s.category = Some(next.category);
        self.s.definition = Some(next);
        self.s.status = ReviewStatus::Pending;
        self.s.reason = None;
        self.s.updated_at = now;
    }

    /// Record Meta's quality score: `template.quality.updated` if it changed, else nothing.
    pub fn rate(&mut self, quality: &str, now: DateTime<Utc>) -> Option<TemplateEvent> {
        let q = quality.trim().to_ascii_uppercase();
        if self.s.quality.as_deref() == Some(q.as_str()) {
            return None;
        }
        let previous = self.s.quality.replace(q.clone());
        self.s.updated_at = now;
        Some(TemplateEvent::from(TemplateQualityUpdated {
            shop_id: self.s.shop_id,
            waba_id: self.s.waba_id.clone(),
            template_id: self.s.meta_template_id.clone(),
            template_name: self.s.name.clone(),
            language: self.s.language.clone(),
            quality: q,
            previous_quality: previous,
        }))
    }

    /// A send's parameters checked against what the template says (when known) and rendered.
    pub fn render(&self, components: &[Value]) -> Option<Result<RenderedTemplate, Vec<Problem>>> {
        self.s.definition.as_ref().map(|d| d.render(components))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::shared::events::IntegrationEvent;

    fn definition() -> TemplateDefinition {
        let c = json!([{"type": "BODY", "text": "Hi {{1}}, thanks.", "example": {"body_text": [["Ana"]]}}]);
        TemplateDefinition::parse("thanks", "en_US", "MARKETING", None, &c).unwrap()
    }

    fn submitted(status: &str) -> Template {
        let s = ReviewStatus::parse(status);
        Template::submitted(ShopId::new(), AccountId::new(), "555", definition(), "9001", &s, None, None, Utc::now()).0
    }

    /// A template as Meta's list says it, on the held one's id.
    fn listed(t: &Template, status: &str) -> ListedTemplate {
        ListedTemplate {
            meta_template_id: t.meta_template_id().to_owned(),
            name: t.name().to_owned(),
            language: t.language().to_owned(),
            category: t.category(),
            definition: t.definition().cloned(),
            status: ReviewStatus::parse(status),
            reason: None,
            quality: None,
        }
    }

    #[test]
    fn given_a_submission_then_it_is_pending_and_created_is_announced() {
        let (t, e) = Template::submitted(
            ShopId::new(),
            AccountId::new(),
            "555",
            definition(),
            "9001",
            &ReviewStatus::Pending,
            Some(TemplateCategory::Utility),
            None,
            Utc::now(),
        );
        assert_eq!((t.status(), t.category()), (&ReviewStatus::Pending, Some(TemplateCategory::Utility)), "Meta's category wins");
        let TemplateEvent::TemplateCreated(c) = e else { panic!("{e:?}") };
        assert_eq!(
            (c.template_id.as_str(), c.category.as_str(), c.status.as_str()),
            ("9001", "UTILITY", "pending"),
            "lowercase, as template.status.updated"
        );
        assert_eq!(t.ensure_sendable().unwrap_err().status, "PENDING");
    }

    #[test]
    fn given_a_faster_status_webhook_when_meta_answers_the_submission_then_the_webhook_s_status_stays() {
        let earlier = submitted("APPROVED");
        let (t, e) = Template::submitted(
            ShopId::new(),
            AccountId::new(),
            "555",
            definition(),
            "9001",
            &ReviewStatus::Pending,
            None,
            Some(&earlier),
            Utc::now(),
        );
        assert_eq!((t.id(), t.status()), (earlier.id(), &ReviewStatus::Approved));
        assert_eq!(e.data()["status"], "pending", "the event says what Meta answered");
    }

    #[test]
    fn only_approved_is_sendable() {
        let mut t = submitted("APPROVED");
        assert!(t.ensure_sendable().is_ok());
        assert!(t.rate("yellow", Utc::now()).is_some());
        assert!(t.rate("YELLOW", Utc::now()).is_none(), "the same score again is no change");
        assert!(t.ensure_sendable().is_ok(), "yellow still sends");
        let Some(TemplateEvent::TemplateQualityUpdated(q)) = t.rate("RED", Utc::now()) else { panic!() };
        assert_eq!((q.quality.as_str(), q.previous_quality.as_deref()), ("RED", Some("YELLOW")));
        assert_eq!(t.ensure_sendable().unwrap_err().status, "QUALITY_RED", "red blocks sends at once");
        for s in ["paused", "disabled", "rejected", "in_appeal", "pending_deletion", "something_new"] {
            let t = submitted(s);
            assert!(t.ensure_sendable().is_err(), "{s}");
        }
    }

    #[test]
    fn only_approved_rejected_or_paused_templates_are_edited_and_approved_ones_keep_their_category() {
        let next = definition();
        assert_eq!(submitted("PENDING").check_edit(&next).unwrap_err()[0].field, "status");
        let approved = submitted("APPROVED");
        assert!(approved.check_edit(&next).is_ok());
        let c = json!([{"type": "BODY", "text": "Hi {{1}}, thanks again.", "example": {"body_text": [["Ana"]]}}]);
        let utility = TemplateDefinition::parse("thanks", "en_US", "UTILITY", None, &c).unwrap();
        assert_eq!(approved.check_edit(&utility).unwrap_err()[0].field, "category");
        let mut rejected = submitted("REJECTED");
        assert!(rejected.check_edit(&utility).is_ok(), "a rejected template may change category");
        rejected.edited(utility, Utc::now());
        assert_eq!((rejected.status(), rejected.category()), (&ReviewStatus::Pending, Some(TemplateCategory::Utility)));
        assert_eq!(rejected.definition().unwrap().body, "Hi {{1}}, thanks again.");
    }

    #[test]
    fn given_a_held_template_when_meta_s_list_says_the_same_then_unchanged_else_the_status_change_is_announced() {
        let mut t = submitted("PENDING");
        let id = t.id();
        assert_eq!(t.reconcile(listed(&t, "PENDING"), Utc::now()), Reconciled::Unchanged);
        let Reconciled::Changed { status: Some(e) } = t.reconcile(listed(&t, "APPROVED"), Utc::now()) else { panic!() };
        assert_eq!((e.data()["status"].as_str(), e.data()["previousStatus"].as_str()), (Some("approved"), Some("pending")));
        assert_eq!((t.id(), t.status()), (id, &ReviewStatus::Approved), "the id stays");
        t.rate("GREEN", Utc::now());
        assert_eq!(t.reconcile(listed(&t, "APPROVED"), Utc::now()), Reconciled::Unchanged, "a list without quality keeps it");
        assert_eq!(t.quality(), Some("GREEN"));
    }
}
