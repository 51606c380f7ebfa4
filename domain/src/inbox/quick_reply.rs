//! A quick reply (`/api/v1/quick-replies`): a canned message people send on a conversation by its
//! shortcut. It holds any outbound message content, or a template with its parameters, and may
//! name variables (`{{customer.name}}`, `{{customer.phone}}`, `{{customer.fields.<key>}}`,
//! `{{agent.name}}`), filled at send time. A quick reply is shared by the shop or personal to
//! one member. Checked whole: the content parses as a message, every variable is one the
//! service knows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::messaging::{MessageContent, TemplateRef};
use crate::shared::problem::Problem;
use crate::{MemberId, QuickReplyId, ShopId};

pub const MAX_SHORTCUT_CHARS: usize = 32;

/// The values the variables of a quick reply take, by name (`customer.name`).
pub type VariableValues = BTreeMap<String, String>;

/// What a quick reply sends: message content (as `content` of `POST /messages/send`) or a
/// template.
#[derive(Debug, Clone, PartialEq)]
pub enum QuickReplyMessage {
    Content(Value),
    Template(TemplateRef),
}

/// What a request states.
#[derive(Debug, Clone)]
pub struct QuickReplyDraft {
    pub shortcut: String,
    pub message: QuickReplyMessage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuickReply {
    pub id: QuickReplyId,
    pub shop_id: ShopId,
    /// The member it is personal to; `None`: shared by the shop.
    pub member_id: Option<MemberId>,
    /// Lowercase, without a leading `/`.
    pub shortcut: String,
    pub message: QuickReplyMessage,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A quick reply with its variables filled: what the one send entry gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub content: Option<Value>,
    pub template: Option<TemplateRef>,
}

/// Whether `name` is a variable the service can fill.
pub fn known_variable(name: &str) -> bool {
    matches!(name, "customer.name" | "customer.phone" | "agent.name")
        || name.strip_prefix("customer.fields.").is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// The `{{ name }}` placeholders of a text whose name looks like a variable (a dotted path of
/// letters, digits and `_`, starting with a letter); others, such as a template's `{{1}}`, are
/// left as they are. Yields (the placeholder's byte range, its name).
fn placeholders(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else { break };
        let name = text[open + 2..close].trim();
        let looks = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if looks {
            out.push((open..close + 2, name.to_owned()));
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    out
}

fn strings_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings_in(x, out)),
        _ => {}
    }
}

/// Fill every placeholder of every string in `v`; the first variable without a value is named.
fn fill(v: &Value, values: &VariableValues) -> Result<Value, String> {
    Ok(match v {
        Value::String(s) => {
            let mut text = String::with_capacity(s.len());
            let mut last = 0;
            for (range, name) in placeholders(s) {
                let value = values.get(&name).filter(|x| !x.trim().is_empty()).ok_or_else(|| name.clone())?;
                text.push_str(&s[last..range.start]);
                text.push_str(value);
                last = range.end;
            }
            text.push_str(&s[last..]);
            Value::String(text)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, values)).collect::<Result<_, _>>()?),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| Ok((k.clone(), fill(x, values)?))).collect::<Result<_, String>>()?),
        other => other.clone(),
    })
}

impl QuickReplyMessage {
    fn field(&self) -> &'static str {
        match self {
            Self::Content(_) => "content",
            Self::Template(_) => "template",
        }
    }

    /// Every variable it names, once each, in order.
    pub fn variables(&self) -> Vec<String> {
        let mut texts = Vec::new();
        match self {
            Self::Content(v) => strings_in(v, &mut texts),
            Self::Template(t) => t.components.iter().for_each(|c| strings_in(c, &mut texts)),
        }
        let mut out: Vec<String> = Vec::new();
        for (_, name) in texts.iter().flat_map(|t| placeholders(t)) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }
}

fn check(d: &QuickReplyDraft) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    let shortcut = d.shortcut.trim().trim_start_matches('/').to_lowercase();
    if shortcut.is_empty()
        || shortcut.chars().count() > MAX_SHORTCUT_CHARS
        || !shortcut.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        problems.push(Problem::new("shortcut", format!("must be 1 to {MAX_SHORTCUT_CHARS} letters, digits, '-' or '_'")));
    }
    match &d.message {
        QuickReplyMessage::Content(v) => {
            if let Err(e) = serde_json::from_value::<MessageContent>(v.clone()) {
                problems.push(Problem::new("content", e.to_string()));
            } else if v.get("type").and_then(Value::as_str) == Some("reaction") {
                problems.push(Problem::new("content", "a reaction cannot be a quick reply"));
            }
        }
        QuickReplyMessage::Template(t) => {
            if t.name.trim().is_empty() || t.name.len() > 512 {
                problems.push(Problem::new("template.name", "must be 1 to 512 characters"));
            }
            if t.language.trim().is_empty() || t.language.len() > 15 {
                problems.push(Problem::new("template.language", "must be a language code such as en_US"));
            }
        }
    }
    let field = d.message.field();
    for name in d.message.variables().into_iter().filter(|n| !known_variable(n)) {
        problems.push(Problem::new(
            field,
            format!("unknown variable {{{{{name}}}}}: use customer.name, customer.phone, customer.fields.<key> or agent.name"),
        ));
    }
    if problems.is_empty() { Ok(shortcut) } else { Err(problems) }
}

impl QuickReply {
    /// A quick reply, shared (`member_id` `None`) or personal to the member.
    pub fn create(shop_id: ShopId, member_id: Option<MemberId>, d: &QuickReplyDraft, now: DateTime<Utc>) -> Result<Self, Vec<Problem>> {
        let shortcut = check(d)?;
        Ok(Self { id: QuickReplyId::new(), shop_id, member_id, shortcut, message: d.message.clone(), created_at: now, updated_at: now })
    }

    /// Change the shortcut or the message; `false`: nothing changed.
    pub fn edit(&mut self, d: &QuickReplyDraft, now: DateTime<Utc>) -> Result<bool, Vec<Problem>> {
        let shortcut = check(d)?;
        if shortcut == self.shortcut && d.message == self.message {
            return Ok(false);
        }
        self.shortcut = shortcut;
        self.message = d.message.clone();
        self.updated_at = now;
        Ok(true)
    }

    /// Who may use and change it: a shared one anyone of the shop, a personal one its member.
    pub fn visible_to(&self, member: Option<MemberId>) -> bool {
        self.member_id.is_none() || self.member_id == member
    }

    /// The message with every variable filled from `values`; a variable without a value (or
    /// with a blank one) is a problem naming it.
    pub fn render(&self, values: &VariableValues) -> Result<Rendered, Problem> {
        let missing = |name: String| Problem::new(name, "this variable has no value here: give it in `variables`");
        match &self.message {
            QuickReplyMessage::Content(v) => Ok(Rendered { content: Some(fill(v, values).map_err(missing)?), template: None }),
            QuickReplyMessage::Template(t) => {
                let components = t.components.iter().map(|c| fill(c, values)).collect::<Result<Vec<_>, _>>().map_err(missing)?;
                Ok(Rendered {
                    content: None,
                    template: Some(TemplateRef { name: t.name.clone(), language: t.language.clone(), components }),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(shortcut: &str, content: Value) -> QuickReplyDraft {
        QuickReplyDraft { shortcut: shortcut.into(), message: QuickReplyMessage::Content(content) }
    }

    #[test]
    fn given_a_text_with_variables_when_rendered_then_each_is_filled_and_a_template_index_is_left_alone() {
        let d = draft(
            "/Hello",
            json!({"type":"text","text":"Hi {{ customer.name }}, I am {{agent.name}}. Order {{customer.fields.order_id}} {{1}}"}),
        );
        let q = QuickReply::create(ShopId::new(), None, &d, Utc::now()).unwrap();
        assert_eq!(q.shortcut, "hello");
        assert_eq!(q.message.variables(), ["customer.name", "agent.name", "customer.fields.order_id"]);
        let values: VariableValues = [("customer.name", "Ana"), ("agent.name", "Bo"), ("customer.fields.order_id", "42")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let r = q.render(&values).unwrap();
        assert_eq!(r.content.unwrap()["text"], "Hi Ana, I am Bo. Order 42 {{1}}");
    }

    #[test]
    fn given_a_variable_without_a_value_when_rendered_then_the_problem_names_it() {
        let d = draft("x", json!({"type":"text","text":"Order {{customer.fields.order_id}}"}));
        let q = QuickReply::create(ShopId::new(), None, &d, Utc::now()).unwrap();
        let blank: VariableValues = [("customer.fields.order_id".to_owned(), " ".to_owned())].into();
        assert_eq!(q.render(&blank).unwrap_err().field, "customer.fields.order_id");
        assert_eq!(q.render(&VariableValues::new()).unwrap_err().field, "customer.fields.order_id");
    }

    #[test]
    fn given_a_template_when_rendered_then_its_parameters_are_filled() {
        let t = TemplateRef {
            name: "order_update".into(),
            language: "en".into(),
            components: vec![json!({"type":"body","parameters":[{"type":"text","text":"{{customer.name}}"}]})],
        };
        let d = QuickReplyDraft { shortcut: "upd".into(), message: QuickReplyMessage::Template(t) };
        let q = QuickReply::create(ShopId::new(), Some(MemberId::new()), &d, Utc::now()).unwrap();
        let r = q.render(&[("customer.name".to_owned(), "Ana".to_owned())].into()).unwrap();
        assert_eq!(r.template.unwrap().components[0]["parameters"][0]["text"], "Ana");
        assert!(r.content.is_none());
        assert!(!q.visible_to(None));
    }

    #[test]
    fn given_a_bad_draft_when_creating_then_every_problem_is_named() {
        let bad = draft("no spaces", json!({"type":"text","text":"{{customer.email}} {{shop.address}}"}));
        let problems = QuickReply::create(ShopId::new(), None, &bad, Utc::now()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["shortcut", "content", "content"]);
        assert!(problems[1].reason.contains("{{customer.email}}"), "{}", problems[1].reason);
        let not_a_message = draft("x", json!({"type":"text"}));
        assert_eq!(QuickReply::create(ShopId::new(), None, &not_a_message, Utc::now()).unwrap_err()[0].field, "content");
    }

    #[test]
    fn given_the_same_draft_when_edited_then_nothing_changes() {
        let d = draft("a", json!({"type":"text","text":"x"}));
        let mut q = QuickReply::create(ShopId::new(), None, &d, Utc::now()).unwrap();
        assert!(!q.edit(&d, Utc::now()).unwrap());
        assert!(q.edit(&draft("b", json!({"type":"text","text":"x"})), Utc::now()).unwrap());
        assert_eq!(q.shortcut, "b");
    }
}
