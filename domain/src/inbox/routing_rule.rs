//! A routing rule (`/api/v1/routing/rules`): which department a thread that needs a person goes
//! to, from what the shop knows of it: the customer's tags and language, and the number it wrote
//! to. Rules are tried by `priority` (lowest first, then oldest); the first that matches names
//! the department; a thread no rule matches goes to the whole team. Checked whole.

use chrono::{DateTime, Utc};

use crate::shared::problem::Problem;
use crate::{AccountId, DepartmentId, RoutingRuleId, ShopId};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_TAGS: usize = 20;
/// Priorities run from -1,000,000 to 1,000,000.
pub const MAX_PRIORITY: i32 = 1_000_000;

/// What a request states.
#[derive(Debug, Clone, Default)]
pub struct RoutingRuleDraft {
    pub name: String,
    pub priority: i32,
    /// Any of these tags on the customer (empty: any customer).
    pub tags: Vec<String>,
    /// The customer's language, a BCP 47 tag compared case-insensitively by its primary
    /// subtag too (`pt` matches `pt-BR`).
    pub language: Option<String>,
    /// The number the customer wrote to.
    pub account_id: Option<AccountId>,
    pub department_id: DepartmentId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRule {
    pub id: RoutingRuleId,
    pub shop_id: ShopId,
    pub name: String,
    pub priority: i32,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub account_id: Option<AccountId>,
    pub department_id: DepartmentId,
    pub created_at: DateTime<Utc>,
}

fn bcp47(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    (1..=8).contains(&parts[0].len())
        && parts[0].chars().all(|c| c.is_ascii_alphabetic())
        && parts.iter().all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

impl RoutingRule {
    pub fn create(shop_id: ShopId, d: &RoutingRuleDraft, now: DateTime<Utc>) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let name = d.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            problems.push(Problem::new("name", format!("must be 1 to {MAX_NAME_CHARS} characters")));
        }
        if !(-MAX_PRIORITY..=MAX_PRIORITY).contains(&d.priority) {
            problems.push(Problem::new("priority", format!("must be -{MAX_PRIORITY} to {MAX_PRIORITY}")));
        }
        if d.tags.len() > MAX_TAGS {
            problems.push(Problem::new("tags", format!("at most {MAX_TAGS} tags")));
        }
        let mut tags: Vec<String> = Vec::new();
        for (i, t) in d.tags.iter().enumerate() {
            let t = t.trim();
            if t.is_empty() || t.chars().count() > 50 {
                problems.push(Problem::new(format!("tags[{i}]"), "must be 1 to 50 characters"));
            } else if !tags.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                tags.push(t.to_owned());
            }
        }
        let language = d.language.as_deref().map(str::trim);
        if language.is_some_and(|l| !bcp47(l)) {
            problems.push(Problem::new("language", "must be a BCP 47 language tag such as pt-BR"));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            id: RoutingRuleId::new(),
            shop_id,
            name,
            priority: d.priority,
            tags,
            language: language.map(str::to_owned),
            account_id: d.account_id,
            department_id: d.department_id,
            created_at: now,
        })
    }

    /// Whether a thread of this customer, on this number, matches.
    pub fn matches(&self, tags: &[String], language: Option<&str>, account: AccountId) -> bool {
        let tag_ok = self.tags.is_empty() || self.tags.iter().any(|t| tags.iter().any(|c| c.eq_ignore_ascii_case(t)));
        let lang_ok = self.language.as_deref().is_none_or(|want| {
            language
                .is_some_and(|have| have.eq_ignore_ascii_case(want) || have.split('-').next().is_some_and(|p| p.eq_ignore_ascii_case(want)))
        });
        tag_ok && lang_ok && self.account_id.is_none_or(|a| a == account)
    }
}

/// The department of the first rule that matches, trying them by priority then age.
pub fn first_match(rules: &[RoutingRule], tags: &[String], language: Option<&str>, account: AccountId) -> Option<DepartmentId> {
    let mut ordered: Vec<&RoutingRule> = rules.iter().collect();
    ordered.sort_by_key(|r| (r.priority, r.created_at, r.id));
    ordered.into_iter().find(|r| r.matches(tags, language, account)).map(|r| r.department_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(priority: i32, tags: &[&str], language: Option<&str>) -> RoutingRule {
        let d = RoutingRuleDraft {
            name: "r".into(),
            priority,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            language: language.map(str::to_owned),
            account_id: None,
            department_id: DepartmentId::new(),
        };
        RoutingRule::create(ShopId::new(), &d, Utc::now()).unwrap()
    }

    #[test]
    fn given_rules_when_a_thread_needs_a_person_then_the_first_match_by_priority_names_the_department() {
        let account = AccountId::new();
        let vip = rule(1, &["VIP"], None);
        let portuguese = rule(2, &[], Some("pt"));
        let anyone = rule(9, &[], None);
        let rules = [anyone.clone(), portuguese.clone(), vip.clone()];
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(first_match(&rules, &tags(&["vip"]), Some("pt-BR"), account), Some(vip.department_id));
        assert_eq!(first_match(&rules, &tags(&[]), Some("pt-BR"), account), Some(portuguese.department_id));
        assert_eq!(first_match(&rules, &tags(&[]), Some("en"), account), Some(anyone.department_id));
        assert_eq!(first_match(&rules[1..], &tags(&[]), None, account), None);
        let mut on_number = rule(0, &[], None);
        on_number.account_id = Some(AccountId::new());
        assert!(!on_number.matches(&[], None, account));
    }

    #[test]
    fn given_a_bad_draft_when_creating_then_every_problem_is_named() {
        let d = RoutingRuleDraft {
            name: " ".into(),
            priority: -1_000_001,
            tags: vec!["ok".into(), " ".into()],
            language: Some("portuguese brazil".into()),
            department_id: DepartmentId::new(),
            ..Default::default()
        };
        let fields: Vec<String> = RoutingRule::create(ShopId::new(), &d, Utc::now()).unwrap_err().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["name", "priority", "tags[1]", "language"]);
    }
}
