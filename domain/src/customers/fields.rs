//! Custom fields: per-shop definitions (key, label, type, optional pattern, required) and the
//! check of a value against its definition. Values are stored as JSON in their canonical form
//! (numbers as numbers, dates as `YYYY-MM-DD`, datetimes as RFC 3339 UTC, phones as E.164,
//! multiple choice as a list), so a filter compares like with like.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::Value;

use crate::shared::phone::PhoneNumber;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    Number,
    Boolean,
    Date,
    Datetime,
    SingleChoice,
    MultipleChoice,
    Url,
    Email,
    Phone,
}

impl FieldType {
    pub const ALL: [FieldType; 10] = [
        Self::Text,
        Self::Number,
        Self::Boolean,
        Self::Date,
        Self::Datetime,
        Self::SingleChoice,
        Self::MultipleChoice,
        Self::Url,
        Self::Email,
        Self::Phone,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Datetime => "datetime",
            Self::SingleChoice => "single_choice",
            Self::MultipleChoice => "multiple_choice",
            Self::Url => "url",
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
    fn is_choice(&self) -> bool {
        matches!(self, Self::SingleChoice | Self::MultipleChoice)
    }
    /// Compared as numbers in filters (dates as seconds since 1970).
    pub fn is_numeric(&self) -> bool {
        matches!(self, Self::Number | Self::Date | Self::Datetime)
    }
}

pub const MAX_KEY_CHARS: usize = 64;
pub const MAX_LABEL_CHARS: usize = 128;
pub const MAX_OPTIONS: usize = 100;
pub const MAX_OPTION_CHARS: usize = 100;
pub const MAX_PATTERN_CHARS: usize = 500;
pub const MAX_TEXT_CHARS: usize = 1000;
pub const MAX_FIELDS_PER_SHOP: usize = 100;

/// A custom field of a shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDefinition {
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    /// The choices of a single or multiple choice field.
    pub options: Vec<String>,
    /// A regular expression a text, URL, email or phone value must match (anywhere, unless
    /// anchored with `^…$`).
    pub pattern: Option<String>,
    pub required: bool,
}

/// A problem, naming the field as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

fn err(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), reason: reason.into() }
}

/// A user's pattern, compiled with a size limit (no backtracking engine: no catastrophic cases).
fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(100_000)
        .build()
        .map_err(|e| e.to_string().lines().last().unwrap_or("invalid").trim().to_owned())
}

impl FieldDefinition {
    /// Check a definition a merchant sent.
    pub fn new(
        key: &str,
        label: &str,
        field_type: FieldType,
        options: Vec<String>,
        pattern: Option<String>,
        required: bool,
    ) -> Result<Self, FieldError> {
        let key = key.trim();
        let valid_key = !key.is_empty()
            && key.len() <= MAX_KEY_CHARS
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_key {
            return Err(err("key", "lowercase letters, digits and _, starting with a letter, at most 64"));
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS {
            return Err(err("label", format!("1 to {MAX_LABEL_CHARS} characters")));
        }
        let mut opts: Vec<String> = Vec::new();
        if field_type.is_choice() {
            if options.is_empty() || options.len() > MAX_OPTIONS {
                return Err(err("options", format!("a choice field has 1 to {MAX_OPTIONS} options")));
            }
            for o in options {
                let o = o.trim().to_owned();
                if o.is_empty() || o.chars().count() > MAX_OPTION_CHARS {
                    return Err(err("options", format!("an option is 1 to {MAX_OPTION_CHARS} characters")));
                }
                if opts.iter().any(|x| x.to_lowercase() == o.to_lowercase()) {
                    return Err(err("options", format!("'{o}' is listed twice")));
                }
                opts.push(o);
            }
        } else if !options.is_empty() {
            return Err(err("options", "only single_choice and multiple_choice fields have options"));
        }
        let pattern = pattern.filter(|p| !p.is_empty());
        if let Some(p) = &pattern {
            if !matches!(field_type, FieldType::Text | FieldType::Url | FieldType::Email | FieldType::Phone) {
                return Err(err("pattern", "only text, url, email and phone fields take a pattern"));
            }
            if p.chars().count() > MAX_PATTERN_CHARS {
                return Err(err("pattern", format!("at most {MAX_PATTERN_CHARS} characters")));
            }
            compile(p).map_err(|e| err("pattern", format!("does not compile: {e}")))?;
        }
        Ok(Self { key: key.to_owned(), label: label.to_owned(), field_type, options: opts, pattern, required })
    }

    /// Check a value against this definition and return its canonical form. `field` is how the
    /// client named it (`customFields.tier`).
    pub fn check(&self, field: &str, value: &Value) -> Result<Value, FieldError> {
        let text = |v: &Value| v.as_str().map(str::trim).map(str::to_owned).ok_or_else(|| err(field, "must be a string"));
        let out = match self.field_type {
            FieldType::Text => {
                let s = text(value)?;
                if s.is_empty() || s.chars().count() > MAX_TEXT_CHARS {
                    return Err(err(field, format!("1 to {MAX_TEXT_CHARS} characters")));
                }
                Value::String(s)
            }
            FieldType::Number => match value {
                Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => value.clone(),
                _ => return Err(err(field, "must be a number")),
            },
            FieldType::Boolean => match value {
                Value::Bool(_) => value.clone(),
                _ => return Err(err(field, "must be true or false")),
            },
            FieldType::Date => {
                let d = NaiveDate::parse_from_str(&text(value)?, "%Y-%m-%d").map_err(|_| err(field, "must be a date, YYYY-MM-DD"))?;
                Value::String(d.format("%Y-%m-%d").to_string())
            }
            FieldType::Datetime => {
                let t = DateTime::parse_from_rfc3339(&text(value)?).map_err(|_| err(field, "must be an RFC 3339 date and time"))?;
                Value::String(t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true))
            }
            FieldType::SingleChoice => Value::String(self.option(field, &text(value)?)?),
            FieldType::MultipleChoice => {
                let items = value.as_array().ok_or_else(|| err(field, "must be a list of options"))?;
                let mut chosen: Vec<String> = Vec::new();
                for v in items {
                    let o = self.option(field, &text(v)?)?;
                    if !chosen.contains(&o) {
                        chosen.push(o);
                    }
                }
                Value::Array(chosen.into_iter().map(Value::String).collect())
            }
            FieldType::Url => {
                let s = text(value)?;
                let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
                let ok =
                    s.len() <= 2048 && rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/')) && !s.chars().any(char::is_whitespace);
                if !ok {
                    return Err(err(field, "must be an http(s) URL"));
                }
                Value::String(s)
            }
            FieldType::Email => {
                let s = text(value)?;
                let ok = s.len() <= 254
                    && !s.chars().any(char::is_whitespace)
                    && s.split_once('@').is_some_and(|(l, d)| {
                        !l.is_empty() && !d.contains('@') && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
                    });
                if !ok {
                    return Err(err(field, "must be an email address"));
                }
                Value::String(s)
            }
            FieldType::Phone => {
                let p = PhoneNumber::parse(&text(value)?).map_err(|e| err(field, format!("must be a phone number in E.164: {e}")))?;
                Value::String(p.to_string())
            }
        };
        if let (Some(p), Value::String(s)) = (&self.pattern, &out)
            && !compile(p).map(|r| r.is_match(s)).unwrap_or(false)
        {
            return Err(err(field, format!("does not match the pattern {p}")));
        }
        Ok(out)
    }

    /// A value as a spreadsheet cell holds it, in the JSON shape `check` expects: numbers
    /// (`3`, `3.5`, `3,5`), booleans (`true/false`, `yes/no`, `sim/não`, `sí`, `1/0`), multiple
    /// choices separated by `|`; anything else as text (`check` then says what is wrong).
    pub fn from_text(&self, cell: &str) -> Value {
        let t = cell.trim();
        match self.field_type {
            FieldType::Number => t
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::String(t.to_owned()), Value::Number),
            FieldType::Boolean => match t.to_lowercase().as_str() {
                "true" | "yes" | "y" | "1" | "sim" | "si" | "sí" | "x" => Value::Bool(true),
                "false" | "no" | "n" | "0" | "não" | "nao" => Value::Bool(false),
                _ => Value::String(t.to_owned()),
            },
            FieldType::MultipleChoice => {
                Value::Array(t.split('|').map(str::trim).filter(|x| !x.is_empty()).map(|x| Value::String(x.to_owned())).collect())
            }
            _ => Value::String(t.to_owned()),
        }
    }

    fn option(&self, field: &str, s: &str) -> Result<String, FieldError> {
        self.options
            .iter()
            .find(|o| o.to_lowercase() == s.to_lowercase())
            .cloned()
            .ok_or_else(|| err(field, format!("must be one of: {}", self.options.join(", "))))
    }
}

/// Check the custom field values a client sent (`null` removes one) against the shop's
/// definitions. An unknown key or a bad value is an error naming `customFields.<key>`.
pub fn check_values(
    defs: &[FieldDefinition],
    input: &std::collections::BTreeMap<String, Value>,
) -> Result<std::collections::BTreeMap<String, Option<Value>>, FieldError> {
    let mut out = std::collections::BTreeMap::new();
    for (key, value) in input {
        let field = format!("customFields.{key}");
        let def = defs.iter().find(|d| d.key == *key).ok_or_else(|| err(&field, "no such custom field in this shop"))?;
        let checked = match value {
            Value::Null => None,
            v => Some(def.check(&field, v)?),
        };
        out.insert(key.clone(), checked);
    }
    Ok(out)
}

/// The first required field these values lack, as an error.
pub fn check_required(defs: &[FieldDefinition], values: &std::collections::BTreeMap<String, Value>) -> Result<(), FieldError> {
    match defs.iter().find(|d| d.required && !values.contains_key(&d.key)) {
        Some(d) => Err(err(format!("customFields.{}", d.key), "is required")),
        None => Ok(()),
    }
}

/// What a filter compares a stored value by: its lowercase text, and a number (numbers; dates
/// and datetimes as seconds since 1970). One per value; a multiple choice gives one per option.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedValue {
    pub text: Option<String>,
    pub number: Option<f64>,
}

/// The comparable values of a canonical value.
pub fn indexed(value: &Value) -> Vec<IndexedValue> {
    match value {
        Value::Number(n) => vec![IndexedValue { text: None, number: n.as_f64() }],
        Value::Bool(b) => vec![IndexedValue { text: Some(b.to_string()), number: None }],
        Value::String(s) => vec![IndexedValue { text: Some(s.to_lowercase()), number: epoch(s) }],
        Value::Array(items) => items.iter().flat_map(indexed).collect(),
        _ => Vec::new(),
    }
}

/// Seconds since 1970 of a canonical date (`YYYY-MM-DD`, midnight UTC) or datetime.
pub fn epoch(s: &str) -> Option<f64> {
    if s.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
    {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp() as f64);
    }
    if s.len() >= 20 && s.as_bytes().get(4) == Some(&b'-') {
        return DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp() as f64);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(t: FieldType) -> FieldDefinition {
        let options = if t.is_choice() { vec!["Gold".into(), "Silver".into()] } else { vec![] };
        FieldDefinition::new("tier", "Tier", t, options, None, false).unwrap()
    }

    #[test]
    fn values_are_checked_and_made_canonical_per_type() {
        let ok = |t, v: Value| def(t).check("customFields.tier", &v);
        assert_eq!(ok(FieldType::Number, json!(3.5)).unwrap(), json!(3.5));
        assert_eq!(ok(FieldType::Date, json!("2026-02-28")).unwrap(), json!("2026-02-28"));
        assert_eq!(ok(FieldType::Datetime, json!("2026-02-28T10:00:00-03:00")).unwrap(), json!("2026-02-28T13:00:00Z"));
        assert_eq!(ok(FieldType::SingleChoice, json!("gold")).unwrap(), json!("Gold"));
        assert_eq!(ok(FieldType::MultipleChoice, json!(["silver", "Gold", "SILVER"])).unwrap(), json!(["Silver", "Gold"]));
        assert_eq!(ok(FieldType::Phone, json!("+55 11 98765-4321")).unwrap(), json!("+5511987654321"));
        assert_eq!(ok(FieldType::Email, json!(" ana@example.com ")).unwrap(), json!("ana@example.com"));
        for (t, v) in [
            (FieldType::Number, json!("3")),
            (FieldType::Boolean, json!("yes")),
            (FieldType::Date, json!("2026-02-30")),
            (FieldType::Datetime, json!("yesterday")),
            (FieldType::SingleChoice, json!("Bronze")),
            (FieldType::MultipleChoice, json!("Gold")),
            (FieldType::Url, json!("ftp://x")),
            (FieldType::Url, json!("https://")),
            (FieldType::Email, json!("ana@localhost")),
            (FieldType::Phone, json!("12")),
            (FieldType::Text, json!("")),
        ] {
            let e = ok(t, v.clone()).unwrap_err();
            assert_eq!(e.field, "customFields.tier", "{t:?} {v}");
        }
    }

    #[test]
    fn definitions_refuse_bad_keys_options_and_patterns() {
        let new = |key: &str, t, options: Vec<&str>, pattern: Option<&str>| {
            FieldDefinition::new(key, "L", t, options.into_iter().map(Into::into).collect(), pattern.map(Into::into), false)
        };
        assert_eq!(new("Tier", FieldType::Text, vec![], None).unwrap_err().field, "key");
        assert_eq!(new("1x", FieldType::Text, vec![], None).unwrap_err().field, "key");
        assert_eq!(new("tier", FieldType::SingleChoice, vec![], None).unwrap_err().field, "options");
        assert_eq!(new("tier", FieldType::SingleChoice, vec!["a", "A"], None).unwrap_err().field, "options");
        assert_eq!(new("tier", FieldType::Number, vec!["a"], None).unwrap_err().field, "options");
        assert_eq!(new("tier", FieldType::Text, vec![], Some("([a-z")).unwrap_err().field, "pattern");
        assert_eq!(new("tier", FieldType::Number, vec![], Some("x")).unwrap_err().field, "pattern");
        let code = new("code", FieldType::Text, vec![], Some("^[A-Z]{3}-[0-9]{4}$")).unwrap();
        assert!(code.check("customFields.code", &json!("ABC-1234")).is_ok());
        assert!(code.check("customFields.code", &json!("abc-1234")).unwrap_err().reason.contains("pattern"));
    }

    #[test]
    fn indexed_values_compare_dates_as_numbers_and_text_without_case() {
        let v = |text: Option<&str>, number: Option<f64>| IndexedValue { text: text.map(Into::into), number };
        assert_eq!(indexed(&json!("2026-01-01")), vec![v(Some("2026-01-01"), Some(1_767_225_600.0))]);
        assert_eq!(indexed(&json!(["Gold", "Silver"])), vec![v(Some("gold"), None), v(Some("silver"), None)]);
        assert_eq!(indexed(&json!(true)), vec![v(Some("true"), None)]);
        assert_eq!(indexed(&json!(12)), vec![v(None, Some(12.0))]);
    }
}
