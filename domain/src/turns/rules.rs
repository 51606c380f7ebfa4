//! Automated responses (seed 000's FAQ answers, and the WhatsApp Business app's greeting and
//! away messages): what triggers one, what it answers, and the checks a rule passes before it is
//! saved (every problem named at once).

use chrono::{DateTime, Duration, Utc};

use crate::customers::fold;
use crate::messaging::{MessageContent, TemplateRef};
use crate::shared::problem::Problem;
use crate::{AutomatedResponseId, ShopId};

/// At most this many keywords per rule.
pub const MAX_KEYWORDS: usize = 50;
/// A keyword's longest length (characters).
pub const MAX_KEYWORD_CHARS: usize = 100;
pub const MAX_NAME_CHARS: usize = 100;
/// Priorities run 0..=1000; the highest wins.
pub const MAX_PRIORITY: i32 = 1000;
/// The away message goes at most once per this many hours by default, per customer.
pub const DEFAULT_AWAY_EVERY_HOURS: u32 = 12;
pub const MAX_AWAY_EVERY_HOURS: u32 = 168;

/// How a keyword matches a message (both folded: case, accents and punctuation ignored; whole
/// words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchMode {
    /// The whole message is the keyword.
    Exact,
    /// The keyword's words appear together in the message.
    Contains,
    /// The message begins with the keyword's words.
    StartsWith,
}

impl MatchMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Contains => "contains",
            Self::StartsWith => "starts_with",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exact" => Self::Exact,
            "contains" => Self::Contains,
            "starts_with" => Self::StartsWith,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    /// As the merchant wrote it.
    pub text: String,
    pub mode: MatchMode,
}

impl Keyword {
    /// The folded form it matches on.
    pub fn folded(&self) -> String {
        fold(&self.text)
    }
}

/// What makes a rule answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A message with one of these keywords.
    Keywords(Vec<Keyword>),
    /// A customer's first message ever.
    Greeting,
    /// A message outside business hours, at most once per period per customer.
    Away { every_hours: u32 },
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Keywords(_) => "keywords",
            Self::Greeting => "greeting",
            Self::Away { .. } => "away",
        }
    }
}

/// A rule as a request states it, before it is checked.
#[derive(Debug, Clone)]
pub struct ResponseDraft {
    pub name: String,
    /// `keywords`, `greeting` or `away`.
    pub trigger: String,
    pub keywords: Vec<(String, String)>,
    pub answer: MessageContent,
    pub fallback_template: Option<TemplateRef>,
    pub priority: i32,
    pub active: bool,
    pub every_hours: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutomatedResponseSnapshot {
    pub id: AutomatedResponseId,
    pub shop_id: ShopId,
    pub name: String,
    pub trigger: Trigger,
    /// Any outbound content within Meta's limits.
    pub answer: MessageContent,
    /// Sent instead when the customer's window is closed (a free-form answer cannot go).
    pub fallback_template: Option<TemplateRef>,
    pub priority: i32,
    pub active: bool,
    pub matched_count: i64,
    pub last_matched_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutomatedResponse {
    s: AutomatedResponseSnapshot,
}

/// Check a draft whole: the trigger and its keywords, the answer against Meta's limits, the
/// fallback template's name, the priority and the away period.
pub fn check(d: &ResponseDraft) -> Result<(Trigger, String), Vec<Problem>> {
    let mut problems = Vec::new();
    let name = d.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        problems.push(Problem::new("name", format!("must be 1 to {MAX_NAME_CHARS} characters")));
    }
    let trigger = match d.trigger.as_str() {
        "keywords" => {
            if d.keywords.is_empty() || d.keywords.len() > MAX_KEYWORDS {
                problems.push(Problem::new("keywords", format!("must list 1 to {MAX_KEYWORDS} keywords")));
            }
            let mut out = Vec::new();
            for (i, (text, mode)) in d.keywords.iter().take(MAX_KEYWORDS).enumerate() {
                let mode = MatchMode::parse(mode);
                if mode.is_none() {
                    problems.push(Problem::new(format!("keywords[{i}].match"), "must be exact, contains or starts_with"));
                }
                if text.chars().count() > MAX_KEYWORD_CHARS || fold(text).is_empty() {
                    problems.push(Problem::new(
                        format!("keywords[{i}].text"),
                        format!("must have a letter or digit and at most {MAX_KEYWORD_CHARS} characters"),
                    ));
                }
                if let Some(mode) = mode {
                    out.push(Keyword { text: text.clone(), mode });
                }
            }
            Some(Trigger::Keywords(out))
        }
        "greeting" | "away" if !d.keywords.is_empty() => {
            problems.push(Problem::new("keywords", format!("must be empty for the trigger {}", d.trigger)));
            None
        }
        "greeting" => Some(Trigger::Greeting),
        "away" => {
            let every_hours = d.every_hours.unwrap_or(DEFAULT_AWAY_EVERY_HOURS);
            if !(1..=MAX_AWAY_EVERY_HOURS).contains(&every_hours) {
                problems.push(Problem::new("everyHours", format!("must be 1 to {MAX_AWAY_EVERY_HOURS} hours")));
            }
            Some(Trigger::Away { every_hours })
        }
        _ => {
            problems.push(Problem::new("trigger", "must be keywords, greeting or away"));
            None
        }
    };
    if d.every_hours.is_some() && d.trigger != "away" {
        problems.push(Problem::new("everyHours", "is only for the trigger away"));
    }
    if let Err(e) = d.answer.validate_outbound() {
        problems.push(Problem::new(e.field.replacen("content", "answer", 1), e.message));
    }
    if let Some(t) = &d.fallback_template
        && let Err(e) = t.validate("fallbackTemplate")
    {
        problems.push(Problem::new(e.field, e.message));
    }
    if !(0..=MAX_PRIORITY).contains(&d.priority) {
        problems.push(Problem::new("priority", format!("must be 0 to {MAX_PRIORITY}")));
    }
    match trigger {
        Some(t) if problems.is_empty() => Ok((t, name)),
        _ => Err(problems),
    }
}

impl AutomatedResponse {
    /// A new rule, checked whole.
    pub fn create(shop_id: ShopId, d: &ResponseDraft, now: DateTime<Utc>) -> Result<Self, Vec<Problem>> {
        let (trigger, name) = check(d)?;
        Ok(Self {
            s: AutomatedResponseSnapshot {
                id: AutomatedResponseId::new(),
                shop_id,
                name,
                trigger,
                answer: d.answer.clone(),
                fallback_template: d.fallback_template.clone(),
                priority: d.priority,
                active: d.active,
                matched_count: 0,
                last_matched_at: None,
                created_at: now,
                updated_at: now,
                version: 0,
            },
        })
    }

    /// Replace what the rule says (its statistics stay).
    pub fn replace(&mut self, d: &ResponseDraft, now: DateTime<Utc>) -> Result<(), Vec<Problem>> {
        let (trigger, name) = check(d)?;
        self.s.name = name;
        self.s.trigger = trigger;
        self.s.answer = d.answer.clone();
        self.s.fallback_template = d.fallback_template.clone();
        self.s.priority = d.priority;
        self.s.active = d.active;
        self.s.updated_at = now;
        Ok(())
    }

    pub fn restore(s: AutomatedResponseSnapshot) -> Self {
        Self { s }
    }
    pub fn snapshot(&self) -> &AutomatedResponseSnapshot {
        &self.s
    }
    pub fn id(&self) -> AutomatedResponseId {
        self.s.id
    }
    pub fn trigger(&self) -> &Trigger {
        &self.s.trigger
    }
    pub fn is_active(&self) -> bool {
        self.s.active
    }
    pub fn answer(&self) -> &MessageContent {
        &self.s.answer
    }
    pub fn fallback_template(&self) -> Option<&TemplateRef> {
        self.s.fallback_template.as_ref()
    }
    pub fn priority(&self) -> i32 {
        self.s.priority
    }
    /// The away message's period.
    pub fn away_every(&self) -> Option<Duration> {
        match self.s.trigger {
            Trigger::Away { every_hours } => Some(Duration::hours(i64::from(every_hours))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn draft(trigger: &str, keywords: &[(&str, &str)]) -> ResponseDraft {
        ResponseDraft {
            name: "Opening hours".into(),
            trigger: trigger.into(),
            keywords: keywords.iter().map(|(t, m)| ((*t).to_owned(), (*m).to_owned())).collect(),
            answer: MessageContent::Text { text: "We open 9–18, Monday to Saturday.".into(), preview_url: false },
            fallback_template: None,
            priority: 10,
            active: true,
            every_hours: None,
        }
    }

    #[test]
    fn a_rule_is_checked_whole_and_every_problem_is_named() {
        let mut d = draft("keywords", &[("", "exact"), ("hours", "sounds_like")]);
        d.name = " ".into();
        d.priority = 5000;
        d.answer = MessageContent::Text { text: "x".repeat(5000), preview_url: false };
        let problems = check(&d).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "keywords[0].text", "keywords[1].match", "answer.text", "priority"]);
    }

    #[test]
    fn ten_thousand_keywords_are_refused_by_name() {
        let many: Vec<(String, String)> = (0..10_000).map(|i| (format!("k{i}"), "exact".to_owned())).collect();
        let mut d = draft("keywords", &[]);
        d.keywords = many;
        let problems = check(&d).unwrap_err();
        assert_eq!(problems[0].field, "keywords");
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn greeting_and_away_take_no_keywords_and_away_has_a_period() {
        assert_eq!(check(&draft("greeting", &[])).unwrap().0, Trigger::Greeting);
        assert_eq!(check(&draft("away", &[])).unwrap().0, Trigger::Away { every_hours: DEFAULT_AWAY_EVERY_HOURS });
        assert_eq!(check(&draft("greeting", &[("hi", "exact")])).unwrap_err()[0].field, "keywords");
        let mut d = draft("away", &[]);
        d.every_hours = Some(0);
        assert_eq!(check(&d).unwrap_err()[0].field, "everyHours");
        assert_eq!(check(&draft("keywords", &[])).unwrap_err()[0].field, "keywords");
        assert_eq!(check(&draft("sometimes", &[])).unwrap_err()[0].field, "trigger");
    }
}
