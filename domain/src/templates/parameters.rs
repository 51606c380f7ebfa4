//! A send's parameters (Meta's send `components`) checked against the stored template, and the
//! text they make (the preview).

use serde::Serialize;
use serde_json::Value;

use super::category::TemplateCategory;
use super::definition::{Button, Header, ParameterFormat, TemplateDefinition};
use crate::shared::meta::text_parameter_problem;
use crate::shared::problem::Problem;

const FIELD: &str = "template.components";

/// What the customer would see.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderedTemplate {
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<String>,
}

fn kind(c: &Value) -> String {
    c.get("type").and_then(Value::as_str).unwrap_or("").to_ascii_lowercase()
}

fn params(c: &Value) -> &[Value] {
    c.get("parameters").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The text of a text parameter.
fn text_of(p: &Value) -> Option<&str> {
    p.get("text").and_then(Value::as_str)
}

/// A text parameter's value, or a problem at `field` when Meta would refuse it.
fn checked(field: String, value: &str, problems: &mut Vec<Problem>) -> Option<String> {
    match text_parameter_problem(value) {
        Some(reason) => {
            problems.push(Problem { field, reason: reason.into() });
            None
        }
        None => Some(value.to_owned()),
    }
}

/// The values of the body's variables by name, or the problems.
fn body_values(t: &TemplateDefinition, given: &[Value], problems: &mut Vec<Problem>) -> Vec<(String, String)> {
    let field = format!("{FIELD}.body.parameters");
    if t.category == TemplateCategory::Authentication {
        if given.len() != 1 || text_of(&given[0]).is_none_or(str::is_empty) {
            problems.push(Problem { field, reason: "an AUTHENTICATION template takes one text parameter: the code".into() });
        }
        return Vec::new();
    }
    let mut out = Vec::new();
    match t.format {
        ParameterFormat::Positional => {
            if given.len() != t.body_variables.len() {
                problems.push(Problem {
                    field: field.clone(),
                    reason: format!("the template's body has {} variable(s); {} parameter(s) given", t.body_variables.len(), given.len()),
                });
            }
            for (i, p) in given.iter().enumerate().take(t.body_variables.len()) {
                match text_of(p).or_else(|| p.get("currency").and_then(|c| c.get("fallback_value")).and_then(Value::as_str)) {
                    Some(v) => {
                        if let Some(v) = checked(format!("{field}[{i}]"), v, problems) {
                            out.push(((i + 1).to_string(), v));
                        }
                    }
                    None => problems.push(Problem { field: format!("{field}[{i}]"), reason: "needs a text value".into() }),
                }
            }
        }
        ParameterFormat::Named => {
            let mut given_names = Vec::new();
            for (i, p) in given.iter().enumerate() {
                let name = p.get("parameter_name").and_then(Value::as_str).unwrap_or("");
                if !t.body_variables.iter().any(|v| v == name) {
                    problems.push(Problem {
                        field: format!("{field}[{i}].parameter_name"),
                        reason: format!("'{name}' is not a variable of the template"),
                    });
                } else if let Some(v) = text_of(p) {
                    if let Some(v) = checked(format!("{field}[{i}]"), v, problems) {
                        out.push((name.to_owned(), v));
                    }
                } else {
                    problems.push(Problem { field: format!("{field}[{i}]"), reason: "needs a text value".into() });
                }
                given_names.push(name);
            }
            for missing in t.body_variables.iter().filter(|v| !given_names.contains(&v.as_str())) {
                problems.push(Problem { field: field.clone(), reason: format!("needs a value for {{{{{missing}}}}}") });
            }
        }
    }
    out
}

fn substitute(text: &str, values: &[(String, String)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in values {
        for pattern in [format!("{{{{{name}}}}}"), format!("{{{{ {name} }}}}")] {
            out = out.replace(&pattern, value);
        }
    }
    out
}

impl TemplateDefinition {
    /// Check a send's `components` against this template and render what it would show: every
    /// missing, extra or mistyped parameter is a problem naming where it is.
    pub fn render(&self, components: &[Value]) -> Result<RenderedTemplate, Vec<Problem>> {
        let mut problems = Vec::new();
        let find = |k: &str| components.iter().filter(|c| kind(c) == k).collect::<Vec<_>>();
        for (i, c) in components.iter().enumerate() {
            if !matches!(kind(c).as_str(), "header" | "body" | "button") {
                problems.push(Problem { field: format!("{FIELD}[{i}].type"), reason: "must be header, body or button".into() });
            }
        }

        // Header.
        let header_params: Vec<Value> = find("header").first().map(|c| params(c).to_vec()).unwrap_or_default();
        let hf = format!("{FIELD}.header.parameters");
        let header = match &self.header {
            None => {
                if !header_params.is_empty() {
                    problems.push(Problem { field: hf, reason: "the template has no header".into() });
                }
                None
            }
            Some(Header::Text { text, variable: None }) => {
                if !header_params.is_empty() {
                    problems.push(Problem { field: hf, reason: "the template's header has no variable".into() });
                }
                Some(text.clone())
            }
            Some(Header::Text { text, variable: Some(v) }) => match header_params.as_slice() {
                [p] if text_of(p).is_some() => checked(format!("{hf}[0]"), text_of(p).unwrap_or_default(), &mut problems)
                    .map(|value| substitute(text, &[(v.clone(), value)])),
                _ => {
                    problems.push(Problem { field: hf, reason: format!("the template's header needs one text value for {{{{{v}}}}}") });
                    None
                }
            },
            Some(Header::Media(m)) => {
                let t = m.parameter_type();
                match header_params.as_slice() {
                    [p] if p.get("type").and_then(Value::as_str) == Some(t)
                        && p.get(t).is_some_and(|x| x.get("id").or_else(|| x.get("link")).is_some()) =>
                    {
                        Some(format!("[{t}]"))
                    }
                    _ => {
                        problems.push(Problem { field: hf, reason: format!("the template's header needs one {t} (with an id or a link)") });
                        None
                    }
                }
            }
            Some(Header::Location) => match header_params.as_slice() {
                [p] if p.get("type").and_then(Value::as_str) == Some("location") => Some("[location]".into()),
                _ => {
                    problems.push(Problem { field: hf, reason: "the template's header needs a location".into() });
                    None
                }
            },
        };

        // Body.
        let body_params: Vec<Value> = find("body").first().map(|c| params(c).to_vec()).unwrap_or_default();
        let values = body_values(self, &body_params, &mut problems);
        let body = substitute(&self.body, &values);

        // Buttons: a dynamic URL needs its suffix, a copy-code button its code; nothing else takes one.
        let given_buttons = find("button");
        let mut labels = Vec::new();
        for (i, b) in self.buttons.iter().enumerate() {
            let param = given_buttons
                .iter()
                .find(|c| c.get("index").and_then(|x| x.as_u64().or_else(|| x.as_str().and_then(|s| s.parse().ok()))) == Some(i as u64));
            let bf = format!("{FIELD}.buttons[{i}]");
            match b {
                Button::Url { dynamic: true, text, url } => match param.and_then(|c| params(c).first()).and_then(text_of) {
                    Some(suffix) => labels.push(format!("{text} → {}", url.split("{{").next().unwrap_or("").to_owned() + suffix)),
                    None => problems.push(Problem { field: bf, reason: "the URL button needs its suffix (a text parameter)".into() }),
                },
                Button::CopyCode => {
                    match param.and_then(|c| params(c).first()).and_then(|p| p.get("coupon_code")).and_then(Value::as_str) {
                        Some(code) => labels.push(format!("Copy code {code}")),
                        None => problems.push(Problem { field: bf, reason: "the copy-code button needs its coupon_code".into() }),
                    }
                }
                Button::Otp => labels.push("Copy code".into()),
                Button::Url { text, .. } | Button::QuickReply { text } | Button::PhoneNumber { text } | Button::Flow { text } => {
                    labels.push(text.clone())
                }
            }
        }
        for c in &given_buttons {
            let index = c.get("index").and_then(|x| x.as_u64().or_else(|| x.as_str().and_then(|s| s.parse().ok())));
            if index.is_none_or(|i| i as usize >= self.buttons.len()) {
                problems.push(Problem {
                    field: format!("{FIELD}.buttons"),
                    reason: format!("the template has no button at index {}", index.map_or("?".into(), |i| i.to_string())),
                });
            }
        }
        if problems.is_empty() {
            Ok(RenderedTemplate { header, body, footer: self.footer.clone(), buttons: labels })
        } else {
            Err(problems)
        }
    }
}
