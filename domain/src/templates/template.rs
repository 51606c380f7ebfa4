//! A template the shop keeps: what it says (when the service knows it), where it lives at Meta,
//! and the review status Meta last gave it. Only an approved template may be sent.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::category::TemplateCategory;
use super::definition::TemplateDefinition;
use super::events::{TemplateCreated, TemplateEvent};
use super::parameters::RenderedTemplate;
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

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
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
    /// Meta's status, lowercase (`pending`, `approved`, `rejected`, `paused`, `disabled`, …).
    pub status: String,
    pub reason: Option<String>,
    /// Meta's quality score: `GREEN`, `YELLOW`, `RED` or `UNKNOWN` (null until Meta says).
    pub quality: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// What Meta's `message_template_quality_update` webhook said about one template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateQualityReport {
    pub waba_id: crate::WabaId,
    pub meta_template_id: String,
    pub quality: String,
}

impl Template {
    /// Meta accepted `definition` for review under `meta_template_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn submitted(
        shop_id: ShopId,
        account_id: AccountId,
        waba_id: &str,
        definition: TemplateDefinition,
        meta_template_id: &str,
        meta_status: &str,
        meta_category: Option<TemplateCategory>,
        now: DateTime<Utc>,
    ) -> (Self, TemplateEvent) {
        let category = meta_category.unwrap_or(definition.category);
        let t = Self {
            id: uuid::Uuid::now_v7(),
            shop_id,
            account_id: Some(account_id),
            waba_id: waba_id.to_owned(),
            meta_template_id: meta_template_id.to_owned(),
            name: definition.name.clone(),
            language: definition.language.clone(),
            category: Some(category),
            definition: Some(definition),
            status: meta_status.to_ascii_lowercase(),
            reason: None,
            quality: None,
            created_at: Some(now),
            updated_at: now,
        };
        let event = TemplateEvent::from(TemplateCreated {
            shop_id,
            id: t.id,
            waba_id: t.waba_id.clone(),
            template_id: t.meta_template_id.clone(),
            template_name: t.name.clone(),
            language: t.language.clone(),
            category: category.as_str().to_owned(),
            status: t.status.clone(),
        });
        (t, event)
    }

    /// A template as Meta's list shows it (`id`, `name`, `language`, `status`, `category`,
    /// `components`, `parameter_format`), for `shop_id` on `waba_id`. `None` when the entry lacks
    /// an id, a name or a language.
    pub fn from_meta(shop_id: ShopId, waba_id: &str, entry: &Value, now: DateTime<Utc>) -> Option<Self> {
        let s = |k: &str| entry.get(k).and_then(Value::as_str);
        let (id, name, language) = (s("id")?, s("name")?, s("language")?);
        let category = s("category").and_then(TemplateCategory::parse);
        let definition = entry
            .get("components")
            .and_then(|c| TemplateDefinition::parse(name, language, category.map_or("", |c| c.as_str()), s("parameter_format"), c).ok());
        Some(Self {
            id: uuid::Uuid::now_v7(),
            shop_id,
            account_id: None,
            waba_id: waba_id.to_owned(),
            meta_template_id: id.to_owned(),
            name: name.to_owned(),
            language: language.to_owned(),
            category,
            definition,
            status: s("status").unwrap_or("pending").to_ascii_lowercase(),
            reason: s("rejected_reason").filter(|r| !r.is_empty() && *r != "NONE").map(str::to_owned),
            quality: entry.get("quality_score").and_then(|q| q.get("score")).and_then(Value::as_str).map(str::to_ascii_uppercase),
            created_at: None,
            updated_at: now,
        })
    }

    /// Only an approved template whose quality is not RED may be sent: pending, rejected,
    /// paused, disabled, in appeal or RED is refused before Meta sees the send.
    pub fn ensure_sendable(&self) -> Result<(), NotApproved> {
        if self.quality.as_deref() == Some("RED") {
            return Err(NotApproved { name: self.name.clone(), language: self.language.clone(), status: "QUALITY_RED".into() });
        }
        if self.status == "approved" {
            Ok(())
        } else {
            Err(NotApproved { name: self.name.clone(), language: self.language.clone(), status: self.status.to_ascii_uppercase() })
        }
    }

    /// Whether Meta lets this template be edited now, and the change checked against what it is:
    /// only an approved, rejected or paused template is edited; an approved one keeps its
    /// category; name and language never change (a new template is made instead).
    pub fn check_edit(&self, next: &TemplateDefinition) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        if !matches!(self.status.as_str(), "approved" | "rejected" | "paused") {
            problems.push(Problem {
                field: "status".into(),
                reason: format!(
                    "a {} template cannot be edited; Meta edits approved, rejected or paused ones",
                    self.status.to_ascii_uppercase()
                ),
            });
        }
        if self.status == "approved" && self.category.is_some_and(|c| c != next.category) {
            problems.push(Problem { field: "category".into(), reason: "an approved template keeps its category".into() });
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// Meta accepted the edit: the new content goes to review again.
    pub fn edited(&mut self, next: TemplateDefinition, now: DateTime<Utc>) {
        self.category = Some(next.category);
        self.definition = Some(next);
        self.status = "pending".into();
        self.reason = None;
        self.updated_at = now;
    }

    /// Record Meta's quality score; `true` if it changed.
    pub fn rate(&mut self, quality: &str, now: DateTime<Utc>) -> bool {
        let q = quality.trim().to_ascii_uppercase();
        if self.quality.as_deref() == Some(q.as_str()) {
            return false;
        }
        self.quality = Some(q);
        self.updated_at = now;
        true
    }

    /// A send's parameters checked against what the template says (when known) and rendered.
    pub fn render(&self, components: &[Value]) -> Option<Result<RenderedTemplate, Vec<Problem>>> {
        self.definition.as_ref().map(|d| d.render(components))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn definition() -> TemplateDefinition {
        let c = json!([{"type": "BODY", "text": "Hi {{1}}, thanks.", "example": {"body_text": [["Ana"]]}}]);
        TemplateDefinition::parse("thanks", "en_US", "MARKETING", None, &c).unwrap()
    }

    #[test]
    fn given_a_submission_then_it_is_pending_and_created_is_announced() {
        let (t, e) = Template::submitted(
            ShopId::new(),
            AccountId::new(),
            "555",
            definition(),
            "9001",
            "PENDING",
            Some(TemplateCategory::Utility),
            Utc::now(),
        );
        assert_eq!((t.status.as_str(), t.category), ("pending", Some(TemplateCategory::Utility)), "Meta's category wins");
        let TemplateEvent::TemplateCreated(c) = e else { panic!("{e:?}") };
        assert_eq!(
            (c.template_id.as_str(), c.category.as_str(), c.status.as_str()),
            ("9001", "UTILITY", "pending"),
            "lowercase, as template.status.updated"
        );
        assert_eq!(t.ensure_sendable().unwrap_err().status, "PENDING");
    }

    #[test]
    fn only_approved_is_sendable() {
        let (mut t, _) = Template::submitted(ShopId::new(), AccountId::new(), "555", definition(), "9001", "APPROVED", None, Utc::now());
        assert!(t.ensure_sendable().is_ok());
        assert!(t.rate("yellow", Utc::now()));
        assert!(!t.rate("YELLOW", Utc::now()), "the same score again is no change");
        assert!(t.ensure_sendable().is_ok(), "yellow still sends");
        assert!(t.rate("RED", Utc::now()));
        assert_eq!(t.ensure_sendable().unwrap_err().status, "QUALITY_RED", "red blocks sends at once");
        t.rate("GREEN", Utc::now());
        for s in ["paused", "disabled", "rejected", "in_appeal", "pending_deletion"] {
            t.status = s.into();
            assert!(t.ensure_sendable().is_err(), "{s}");
        }
    }

    #[test]
    fn only_approved_rejected_or_paused_templates_are_edited_and_approved_ones_keep_their_category() {
        let (mut t, _) = Template::submitted(ShopId::new(), AccountId::new(), "555", definition(), "9001", "PENDING", None, Utc::now());
        let next = definition();
        assert_eq!(t.check_edit(&next).unwrap_err()[0].field, "status");
        t.status = "approved".into();
        assert!(t.check_edit(&next).is_ok());
        let c = json!([{"type": "BODY", "text": "Hi {{1}}, thanks again.", "example": {"body_text": [["Ana"]]}}]);
        let utility = TemplateDefinition::parse("thanks", "en_US", "UTILITY", None, &c).unwrap();
        assert_eq!(t.check_edit(&utility).unwrap_err()[0].field, "category");
        t.status = "rejected".into();
        assert!(t.check_edit(&utility).is_ok(), "a rejected template may change category");
        t.edited(utility, Utc::now());
        assert_eq!((t.status.as_str(), t.category), ("pending", Some(TemplateCategory::Utility)));
        assert_eq!(t.definition.as_ref().unwrap().body, "Hi {{1}}, thanks again.");
    }

    #[test]
    fn a_template_from_meta_s_list_keeps_what_it_says() {
        let entry = json!({"id": "77", "name": "thanks", "language": "en_US", "status": "REJECTED", "category": "MARKETING",
            "rejected_reason": "INVALID_FORMAT",
            "components": [{"type": "BODY", "text": "Hi {{1}}, thanks.", "example": {"body_text": [["Ana"]]}}]});
        let t = Template::from_meta(ShopId::new(), "555", &entry, Utc::now()).unwrap();
        assert_eq!((t.status.as_str(), t.reason.as_deref()), ("rejected", Some("INVALID_FORMAT")));
        assert_eq!(t.definition.as_ref().map(|d| d.body_variables.len()), Some(1));
        assert!(Template::from_meta(ShopId::new(), "555", &json!({"name": "x"}), Utc::now()).is_none());
    }
}
