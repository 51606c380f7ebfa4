//! Audiences: a filter over a shop's customers, as conditions combined with AND/OR groups. The
//! list's query parameters and a saved segment are the same thing; infrastructure evaluates it in
//! SQL on both databases. Field conditions are resolved against the shop's definitions when
//! parsed, so a filter compares like with like (numbers and dates as numbers, text without case).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::consent::{OptInStatus, Purpose};
use super::fields::{FieldDefinition, FieldError, FieldType, epoch};

/// How a field condition compares.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldOp {
    /// Text, choice, boolean, email, URL, phone: equal without regard to case.
    EqualsText(String),
    EqualsNumber(f64),
    /// Part of the text, without regard to case.
    Contains(String),
    Gt(f64),
    Lt(f64),
    /// Inclusive.
    Between(f64, f64),
    IsSet(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Part of a name, `waId` or `userId`, without regard to case.
    Search(String),
    /// Has any (or all) of these tags (lowercase).
    Tags {
        all: bool,
        tags: Vec<String>,
    },
    Field {
        key: String,
        op: FieldOp,
    },
    Consent {
        purpose: Purpose,
        status: OptInStatus,
    },
    LastInbound(TimeRange),
    FirstContact(TimeRange),
    /// The last message from the customer is less than 24 hours old.
    WindowOpen(bool),
    Group(Group),
}

/// Conditions that must all hold (`all`) or any of which must (`any`). An empty group matches
/// every customer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    pub any: bool,
    pub conditions: Vec<Condition>,
}

pub const MAX_CONDITIONS: usize = 50;
pub const MAX_DEPTH: usize = 3;

fn err(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), reason: reason.into() }
}

/// A field condition from its parts (`tier`, `equals`, `gold`), resolved against the definitions.
pub fn field_condition(defs: &[FieldDefinition], path: &str, key: &str, op: &str, value: Option<&Value>) -> Result<Condition, FieldError> {
    let def = defs.iter().find(|d| d.key == key).ok_or_else(|| err(path, format!("no custom field '{key}' in this shop")))?;
    let numeric = def.field_type.is_numeric();
    let number = |v: &Value| -> Result<f64, FieldError> {
        let n = match (def.field_type, v) {
            (FieldType::Number, Value::Number(n)) => n.as_f64(),
            (FieldType::Number, Value::String(s)) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            (_, Value::String(s)) => epoch(s.trim()).or_else(|| {
                // A date compared with a datetime: its midnight UTC.
                chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok().and_then(|d| epoch(&d.format("%Y-%m-%d").to_string()))
            }),
            _ => None,
        };
        n.ok_or_else(|| {
            err(
                path,
                format!(
                    "'{key}' compares {}: give one",
                    if def.field_type == FieldType::Number { "numbers" } else { "dates (YYYY-MM-DD or RFC 3339)" }
                ),
            )
        })
    };
    let text = |v: &Value| -> Result<String, FieldError> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_lowercase()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(err(path, "needs a value")),
        }
    };
    let need = || value.ok_or_else(|| err(path, format!("'{op}' needs a value")));
    let op = match op {
        "equals" if numeric => FieldOp::EqualsNumber(number(need()?)?),
        "equals" => FieldOp::EqualsText(text(need()?)?),
        "contains" if !numeric => FieldOp::Contains(text(need()?)?),
        "gt" if numeric => FieldOp::Gt(number(need()?)?),
        "lt" if numeric => FieldOp::Lt(number(need()?)?),
        "between" if numeric => {
            let pair = match need()? {
                Value::Array(a) if a.len() == 2 => (number(&a[0])?, number(&a[1])?),
                Value::String(s) => match s.split_once(',') {
                    Some((a, b)) => (number(&json!(a))?, number(&json!(b))?),
                    None => return Err(err(path, "'between' needs two values")),
                },
                _ => return Err(err(path, "'between' needs two values")),
            };
            FieldOp::Between(pair.0.min(pair.1), pair.0.max(pair.1))
        }
        "set" => FieldOp::IsSet(true),
        "unset" => FieldOp::IsSet(false),
        "contains" | "gt" | "lt" | "between" => {
            return Err(err(path, format!("'{op}' does not apply to a {} field", def.field_type.as_str())));
        }
        other => return Err(err(path, format!("unknown operator '{other}' (equals, contains, gt, lt, between, set, unset)"))),
    };
    Ok(Condition::Field { key: key.to_owned(), op })
}

fn time(path: &str, v: &Value) -> Result<Option<DateTime<Utc>>, FieldError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| err(path, "must be an RFC 3339 date and time")),
        _ => Err(err(path, "must be an RFC 3339 date and time")),
    }
}

fn range(path: &str, v: &Value) -> Result<TimeRange, FieldError> {
    let o = v.as_object().ok_or_else(|| err(path, "must be {\"after\": …, \"before\": …}"))?;
    if let Some(k) = o.keys().find(|k| *k != "after" && *k != "before") {
        return Err(err(format!("{path}.{k}"), "unknown: use after and before"));
    }
    Ok(TimeRange {
        after: time(&format!("{path}.after"), o.get("after").unwrap_or(&Value::Null))?,
        before: time(&format!("{path}.before"), o.get("before").unwrap_or(&Value::Null))?,
    })
}

fn tags(path: &str, v: &Value) -> Result<Vec<String>, FieldError> {
    let a = v.as_array().filter(|a| !a.is_empty() && a.len() <= 100).ok_or_else(|| err(path, "a list of 1 to 100 tags"))?;
    let mut out: Vec<String> = Vec::new();
    for t in a {
        let t = t.as_str().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty() && s.chars().count() <= 64);
        let t = t.ok_or_else(|| err(path, "a tag is 1 to 64 characters"))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

impl Group {
    /// Parse a saved definition:
    /// `{"match": "all"|"any", "conditions": [ … ]}`, each condition one of
    /// `{"search": "ana"}`, `{"tags": {"any": [..]}}` / `{"tags": {"all": [..]}}`,
    /// `{"field": "tier", "op": "equals", "value": "gold"}`,
    /// `{"consent": {"purpose": "marketing", "status": "opted_in"}}`,
    /// `{"lastInbound": {"after": t, "before": t}}`, `{"firstContact": {…}}`,
    /// `{"windowOpen": true}`, or a nested group. `path` names where a problem is.
    pub fn parse(v: &Value, defs: &[FieldDefinition], path: &str) -> Result<Group, FieldError> {
        let mut count = 0;
        Self::parse_at(v, defs, path, 1, &mut count)
    }

    fn parse_at(v: &Value, defs: &[FieldDefinition], path: &str, depth: usize, count: &mut usize) -> Result<Group, FieldError> {
        if depth > MAX_DEPTH {
            return Err(err(path, format!("groups nest at most {MAX_DEPTH} deep")));
        }
        let o = v.as_object().ok_or_else(|| err(path, "must be an object with match and conditions"))?;
        if let Some(k) = o.keys().find(|k| *k != "match" && *k != "conditions") {
            return Err(err(format!("{path}.{k}"), "unknown: a group has match and conditions"));
        }
        let any = match o.get("match").and_then(Value::as_str) {
            None | Some("all") => false,
            Some("any") => true,
            Some(_) => return Err(err(format!("{path}.match"), "must be all or any")),
        };
        let items = match o.get("conditions") {
            None => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(err(format!("{path}.conditions"), "must be a list")),
        };
        let mut conditions = Vec::with_capacity(items.len());
        for (i, c) in items.iter().enumerate() {
            *count += 1;
            if *count > MAX_CONDITIONS {
                return Err(err(path, format!("at most {MAX_CONDITIONS} conditions")));
            }
            let p = format!("{path}.conditions[{i}]");
            conditions.push(Self::condition(c, defs, &p, depth, count)?);
        }
        Ok(Group { any, conditions })
    }

    fn condition(c: &Value, defs: &[FieldDefinition], p: &str, depth: usize, count: &mut usize) -> Result<Condition, FieldError> {
        let o = c.as_object().ok_or_else(|| err(p, "must be an object"))?;
        if o.contains_key("conditions") || o.contains_key("match") {
            return Ok(Condition::Group(Self::parse_at(c, defs, p, depth + 1, count)?));
        }
        if let Some(key) = o.get("field") {
            if let Some(k) = o.keys().find(|k| !matches!(k.as_str(), "field" | "op" | "value")) {
                return Err(err(format!("{p}.{k}"), "unknown: a field condition has field, op and value"));
            }
            let key = key.as_str().ok_or_else(|| err(format!("{p}.field"), "must be a field key"))?;
            let op = o.get("op").and_then(Value::as_str).ok_or_else(|| err(format!("{p}.op"), "is required"))?;
            return field_condition(defs, &format!("{p}.value"), key, op, o.get("value").filter(|v| !v.is_null()));
        }
        if o.len() != 1 {
            return Err(err(p, "one condition per object"));
        }
        let (k, v) = o.iter().next().ok_or_else(|| err(p, "is empty"))?;
        let q = format!("{p}.{k}");
        Ok(match k.as_str() {
            "search" => Condition::Search(
                v.as_str()
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && s.chars().count() <= 128)
                    .ok_or_else(|| err(&q, "1 to 128 characters"))?
                    .to_owned(),
            ),
            "tags" => {
                let t = v.as_object().filter(|t| t.len() == 1).ok_or_else(|| err(&q, "must be {\"any\": [...]} or {\"all\": [...]}"))?;
                match (t.get("any"), t.get("all")) {
                    (Some(a), None) => Condition::Tags { all: false, tags: tags(&format!("{q}.any"), a)? },
                    (None, Some(a)) => Condition::Tags { all: true, tags: tags(&format!("{q}.all"), a)? },
                    _ => return Err(err(&q, "must be {\"any\": [...]} or {\"all\": [...]}")),
                }
            }
            "consent" => {
                let purpose = v.get("purpose").and_then(Value::as_str).and_then(Purpose::parse);
                let status = v.get("status").and_then(Value::as_str).and_then(OptInStatus::parse);
                match (purpose, status) {
                    (Some(purpose), Some(status)) => Condition::Consent { purpose, status },
                    _ => return Err(err(&q, "needs purpose (marketing, utility) and status (opted_in, opted_out, pending)")),
                }
            }
            "lastInbound" => Condition::LastInbound(range(&q, v)?),
            "firstContact" => Condition::FirstContact(range(&q, v)?),
            "windowOpen" => Condition::WindowOpen(v.as_bool().ok_or_else(|| err(&q, "must be true or false"))?),
            other => return Err(err(format!("{p}.{other}"), "unknown condition")),
        })
    }

    /// No conditions: every customer of the shop.
    pub fn is_empty(&self) -> bool {
        self.conditions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs() -> Vec<FieldDefinition> {
        vec![
            FieldDefinition::new("tier", "Tier", FieldType::SingleChoice, vec!["Gold".into(), "Silver".into()], None, false).unwrap(),
            FieldDefinition::new("orders", "Orders", FieldType::Number, vec![], None, false).unwrap(),
            FieldDefinition::new("birthday", "Birthday", FieldType::Date, vec![], None, false).unwrap(),
        ]
    }

    #[test]
    fn a_definition_with_groups_parses_with_fields_resolved_by_type() {
        let v = json!({"match": "all", "conditions": [
            {"tags": {"any": ["VIP", " vip ", "Atacado"]}},
            {"field": "tier", "op": "equals", "value": "GOLD"},
            {"field": "orders", "op": "gt", "value": "3"},
            {"field": "birthday", "op": "between", "value": ["2020-12-31", "2020-01-01"]},
            {"match": "any", "conditions": [{"consent": {"purpose": "marketing", "status": "opted_in"}}, {"windowOpen": true}]}
        ]});
        let g = Group::parse(&v, &defs(), "definition").unwrap();
        assert!(!g.any);
        assert_eq!(g.conditions[0], Condition::Tags { all: false, tags: vec!["vip".into(), "atacado".into()] });
        assert_eq!(g.conditions[1], Condition::Field { key: "tier".into(), op: FieldOp::EqualsText("gold".into()) });
        assert_eq!(g.conditions[2], Condition::Field { key: "orders".into(), op: FieldOp::Gt(3.0) });
        assert_eq!(g.conditions[3], Condition::Field { key: "birthday".into(), op: FieldOp::Between(1_577_836_800.0, 1_609_372_800.0) });
        assert!(matches!(&g.conditions[4], Condition::Group(inner) if inner.any && inner.conditions.len() == 2));
    }

    #[test]
    fn problems_are_named_where_they_are() {
        let bad = |v: Value| Group::parse(&v, &defs(), "definition").unwrap_err().field;
        assert_eq!(bad(json!({"conditions": [{"field": "size", "op": "equals", "value": 1}]})), "definition.conditions[0].value");
        assert_eq!(bad(json!({"conditions": [{"field": "tier", "op": "gt", "value": 1}]})), "definition.conditions[0].value");
        assert_eq!(bad(json!({"conditions": [{"field": "orders", "op": "gt", "value": "many"}]})), "definition.conditions[0].value");
        assert_eq!(bad(json!({"conditions": [{"colour": "red"}]})), "definition.conditions[0].colour");
        assert_eq!(bad(json!({"match": "some"})), "definition.match");
        assert_eq!(bad(json!({"conditions": [{"lastInbound": {"after": "yesterday"}}]})), "definition.conditions[0].lastInbound.after");
        let deep = json!({"conditions": [{"conditions": [{"conditions": [{"conditions": []}]}]}]});
        assert!(Group::parse(&deep, &defs(), "d").unwrap_err().reason.contains("nest"));
        let many = json!({"conditions": vec![json!({"windowOpen": true}); 51]});
        assert!(Group::parse(&many, &defs(), "d").unwrap_err().reason.contains("at most"));
    }
}
