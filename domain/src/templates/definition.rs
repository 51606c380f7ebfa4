//! A template as the merchant writes it, in Meta's own shape (`name`, `language`, `category`,
//! `parameter_format`, `components`), checked here against Meta's rules so that nothing Meta would
//! reject leaves the service. Every problem is reported at once, each with the field it is in.
//!
//! The checked `TemplateDefinition` is also what a send is checked against (`check_send`) and
//! what a preview renders (`render`).

use serde_json::Value;

use super::category::TemplateCategory;
use crate::shared::problem::Problem;

pub const MAX_NAME: usize = 512;
pub const MAX_HEADER_TEXT: usize = 60;
pub const MAX_BODY: usize = 1024;
pub const MAX_FOOTER: usize = 60;
pub const MAX_BUTTONS: usize = 10;
pub const MAX_BUTTON_TEXT: usize = 25;
pub const MAX_URL_BUTTONS: usize = 2;
pub const MAX_COUPON_CODE: usize = 15;

/// The language codes Meta accepts for templates.
pub const LANGUAGES: &[&str] = &[
    "af", "sq", "ar", "ar_EG", "ar_AE", "ar_LB", "ar_MA", "ar_QA", "az", "be_BY", "bn", "bn_IN", "bg", "ca", "zh_CN", "zh_HK", "zh_TW",
    "hr", "cs", "da", "prs_AF", "nl", "nl_BE", "en", "en_GB", "en_US", "en_AE", "en_AU", "en_CA", "en_GH", "en_IE", "en_IN", "en_JM",
    "en_MY", "en_NZ", "en_QA", "en_SG", "en_UG", "en_ZA", "et", "fil", "fi", "fr", "fr_BE", "fr_CA", "fr_CH", "fr_CI", "fr_MA", "ka", "de",
    "de_AT", "de_CH", "el", "gu", "ha", "he", "hi", "hu", "id", "ga", "it", "ja", "kn", "kk", "rw_RW", "ko", "ky_KG", "lo", "lv", "lt",
    "mk", "ms", "ml", "mr", "nb", "ps_AF", "fa", "pl", "pt_BR", "pt_PT", "pa", "ro", "ru", "sr", "si_LK", "sk", "sl", "es", "es_AR",
    "es_CL", "es_CO", "es_CR", "es_DO", "es_EC", "es_HN", "es_MX", "es_PA", "es_PE", "es_ES", "es_UY", "sw", "sv", "ta", "te", "th", "tr",
    "uk", "ur", "uz", "vi", "zu",
];

/// How variables are written: `{{1}}` or `{{first_name}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterFormat {
    Positional,
    Named,
}

impl ParameterFormat {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Positional => "POSITIONAL",
            Self::Named => "NAMED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaFormat {
    Image,
    Video,
    Document,
}

impl MediaFormat {
    /// The parameter type a send gives for it (`image`, `video`, `document`).
    pub fn parameter_type(&self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Document => "document",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    /// Text, with at most one variable (its name: `1` or a named one).
    Text {
        text: String,
        variable: Option<String>,
    },
    Media(MediaFormat),
    Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Button {
    QuickReply {
        text: String,
    },
    /// `dynamic`: the URL ends in a variable, so each send gives its suffix.
    Url {
        text: String,
        url: String,
        dynamic: bool,
    },
    PhoneNumber {
        text: String,
    },
    CopyCode,
    Otp,
    Flow {
        text: String,
    },
}

impl Button {
    fn kind(&self) -> &'static str {
        match self {
            Self::QuickReply { .. } => "QUICK_REPLY",
            Self::Url { .. } => "URL",
            Self::PhoneNumber { .. } => "PHONE_NUMBER",
            Self::CopyCode => "COPY_CODE",
            Self::Otp => "OTP",
            Self::Flow { .. } => "FLOW",
        }
    }
}

/// A template that passed every local check.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateDefinition {
    pub name: String,
    pub language: String,
    pub category: TemplateCategory,
    pub format: ParameterFormat,
    pub header: Option<Header>,
    /// Empty for an authentication template (Meta writes its text).
    pub body: String,
    /// The body's distinct variables in order (`1`, `2`, … or names).
    pub body_variables: Vec<String>,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
    /// Meta's components as given: what is submitted, stored and returned.
    pub components: Value,
}

/// The variables in `text`: `(name, start, end)` of each `{{…}}`, or the reason one is malformed.
fn variables(text: &str) -> Result<Vec<(String, usize, usize)>, String> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find("{{").map(|i| i + rest) {
        let Some(close) = text[open..].find("}}").map(|i| i + open) else {
            return Err("has a '{{' without its '}}'".into());
        };
        let name = text[open + 2..close].trim().to_owned();
        let positional = !name.is_empty() && name.chars().all(|c| c.is_ascii_digit());
        let named = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !positional && !named {
            return Err(format!("has a variable '{{{{{name}}}}}': use {{{{1}}}}, {{{{2}}}}, … or lowercase names like {{{{first_name}}}}"));
        }
        out.push((name, open, close + 2));
        rest = close + 2;
    }
    Ok(out)
}

fn is_positional(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_digit())
}

/// The distinct names in order of first appearance.
fn distinct(vars: &[(String, usize, usize)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (n, _, _) in vars {
        if !out.contains(n) {
            out.push(n.clone());
        }
    }
    out
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn check_len(problems: &mut Vec<Problem>, field: &str, text: &str, max: usize) {
    let n = text.chars().count();
    if n > max {
        problems.push(Problem::new(field, format!("is {n} characters; at most {max}")));
    }
}

/// A positional example list (`example.body_text: [["a", "b"]]`, `example.header_text: ["a"]`) or
/// a named one (`…_named_params: [{"param_name", "example"}]`) covering `names`.
fn check_examples(problems: &mut Vec<Problem>, field: &str, example: Option<&Value>, key: &str, names: &[String], format: ParameterFormat) {
    if names.is_empty() {
        return;
    }
    let example_field = format!("{field}.example");
    match format {
        ParameterFormat::Positional => {
            let given = example.and_then(|e| e.get(key)).and_then(|v| match v.get(0) {
                Some(Value::Array(a)) => Some(a.clone()),
                Some(Value::String(_)) => v.as_array().cloned(),
                _ => None,
            });
            let n = given.as_ref().map_or(0, |g| g.iter().filter(|x| x.as_str().is_some_and(|s| !s.trim().is_empty())).count());
            if n != names.len() {
                problems.push(Problem::new(
                    example_field,
                    format!("needs {} example value(s) in {key}, one per variable; has {n}", names.len()),
                ));
            }
        }
        ParameterFormat::Named => {
            let given: Vec<String> = example
                .and_then(|e| e.get(format!("{key}_named_params")))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|p| str_at(p, "example").is_some_and(|s| !s.trim().is_empty()))
                        .filter_map(|p| str_at(p, "param_name").map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            for n in names.iter().filter(|n| !given.contains(n)) {
                problems.push(Problem::new(example_field.clone(), format!("needs an example for {{{{{n}}}}} in {key}_named_params")));
            }
        }
    }
}

/// Variables of a text checked against the template's format (all positional or all named).
fn check_format(problems: &mut Vec<Problem>, field: &str, names: &[String], format: ParameterFormat) {
    let wrong = names.iter().find(|n| is_positional(n) != (format == ParameterFormat::Positional));
    if let Some(n) = wrong {
        let reason = match format {
            ParameterFormat::Positional => {
                format!("mixes variable styles: {{{{{n}}}}} is named, the template's variables are positional ({{{{1}}}}, {{{{2}}}}, …)")
            }
            ParameterFormat::Named => format!("mixes variable styles: {{{{{n}}}}} is positional, the template's variables are named"),
        };
        problems.push(Problem::new(field, reason));
    }
}

fn parse_body(problems: &mut Vec<Problem>, field: &str, c: &Value, format: ParameterFormat) -> (String, Vec<String>) {
    let Some(text) = str_at(c, "text") else {
        problems.push(Problem::new(format!("{field}.text"), "is required"));
        return (String::new(), Vec::new());
    };
    let tf = format!("{field}.text");
    if text.trim().is_empty() {
        problems.push(Problem::new(tf.clone(), "must not be blank"));
    }
    check_len(problems, &tf, text, MAX_BODY);
    let vars = match variables(text) {
        Ok(v) => v,
        Err(reason) => {
            problems.push(Problem::new(tf, reason));
            return (text.to_owned(), Vec::new());
        }
    };
    let names = distinct(&vars);
    check_format(problems, &tf, &names, format);
    if format == ParameterFormat::Positional && names.iter().all(|n| is_positional(n)) {
        let mut numbers: Vec<usize> = names.iter().filter_map(|n| n.parse().ok()).collect();
        numbers.sort_unstable();
        if numbers.iter().enumerate().any(|(i, n)| *n != i + 1) {
            problems.push(Problem::new(tf.clone(), "numbers its variables out of sequence: use {{1}}, {{2}}, … without gaps"));
        }
    }
    let trimmed = text.trim();
    if !vars.is_empty() && (trimmed.starts_with("{{") || trimmed.ends_with("}}")) {
        problems.push(Problem::new(tf.clone(), "starts or ends with a variable; Meta refuses that"));
    }
    if vars.windows(2).any(|w| text[w[0].2..w[1].1].trim().is_empty()) {
        problems.push(Problem::new(tf.clone(), "has two variables side by side; put text between them"));
    }
    check_examples(problems, field, c.get("example"), "body_text", &names, format);
    (text.to_owned(), names)
}

fn parse_header(problems: &mut Vec<Problem>, field: &str, c: &Value, format: ParameterFormat) -> Option<Header> {
    match str_at(c, "format").map(str::to_ascii_uppercase).as_deref() {
        Some("TEXT") => {
            let tf = format!("{field}.text");
            let Some(text) = str_at(c, "text").filter(|t| !t.trim().is_empty()) else {
                problems.push(Problem::new(tf, "is required for a TEXT header"));
                return None;
            };
            check_len(problems, &tf, text, MAX_HEADER_TEXT);
            let names = match variables(text) {
                Ok(v) => distinct(&v),
                Err(reason) => {
                    problems.push(Problem::new(tf, reason));
                    return None;
                }
            };
            if names.len() > 1 {
                problems.push(Problem::new(tf.clone(), "has more than one variable; a header may have one"));
            }
            check_format(problems, &tf, &names, format);
            check_examples(problems, field, c.get("example"), "header_text", &names, format);
            Some(Header::Text { text: text.to_owned(), variable: names.first().cloned() })
        }
        Some(m @ ("IMAGE" | "VIDEO" | "DOCUMENT")) => {
            let handle = c.get("example").and_then(|e| e.get("header_handle")).and_then(Value::as_array);
            if handle.is_none_or(|h| h.iter().all(|x| x.as_str().is_none_or(str::is_empty))) {
                problems.push(Problem::new(
                    format!("{field}.example.header_handle"),
                    format!("needs a sample {} (an upload handle)", m.to_lowercase()),
                ));
            }
            Some(Header::Media(match m {
                "IMAGE" => MediaFormat::Image,
                "VIDEO" => MediaFormat::Video,
                _ => MediaFormat::Document,
            }))
        }
        Some("LOCATION") => Some(Header::Location),
        _ => {
            problems.push(Problem::new(format!("{field}.format"), "must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION"));
            None
        }
    }
}

fn button_text(problems: &mut Vec<Problem>, field: &str, b: &Value) -> String {
    let text = str_at(b, "text").unwrap_or("");
    if text.trim().is_empty() {
        problems.push(Problem::new(format!("{field}.text"), "is required"));
    }
    check_len(problems, &format!("{field}.text"), text, MAX_BUTTON_TEXT);
    text.to_owned()
}

fn parse_button(problems: &mut Vec<Problem>, field: &str, b: &Value) -> Option<Button> {
    match str_at(b, "type").map(str::to_ascii_uppercase).as_deref() {
        Some("QUICK_REPLY") => Some(Button::QuickReply { text: button_text(problems, field, b) }),
        Some("URL") => {
            let text = button_text(problems, field, b);
            let url = str_at(b, "url").unwrap_or("");
            let uf = format!("{field}.url");
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() <= "https://".len() {
                problems.push(Problem::new(uf.clone(), "must be an http(s) URL"));
            }
            check_len(problems, &uf, url, 2000);
            let vars = variables(url).unwrap_or_else(|reason| {
                problems.push(Problem::new(uf.clone(), reason));
                Vec::new()
            });
            if vars.len() > 1 || vars.first().is_some_and(|(_, _, end)| *end != url.len()) {
                problems.push(Problem::new(uf.clone(), "may have one variable, at its end (the dynamic suffix)"));
            }
            let dynamic = !vars.is_empty();
            if dynamic
                && b.get("example").and_then(Value::as_array).is_none_or(|e| e.first().and_then(Value::as_str).is_none_or(str::is_empty))
            {
                problems.push(Problem::new(format!("{field}.example"), "needs a sample URL for the dynamic suffix"));
            }
            Some(Button::Url { text, url: url.to_owned(), dynamic })
        }
        Some("PHONE_NUMBER") => {
            let text = button_text(problems, field, b);
            let phone = str_at(b, "phone_number").unwrap_or("");
            let digits = phone.trim_start_matches('+');
            if !phone.starts_with('+') || digits.len() < 7 || digits.len() > 20 || !digits.chars().all(|c| c.is_ascii_digit()) {
                problems.push(Problem::new(format!("{field}.phone_number"), "must be a phone number in E.164 (+ and digits)"));
            }
            Some(Button::PhoneNumber { text })
        }
        Some("COPY_CODE") => {
            let example = b.get("example").and_then(|e| e.as_str().or_else(|| e.get(0).and_then(Value::as_str))).unwrap_or("");
            if example.is_empty() {
                problems.push(Problem::new(format!("{field}.example"), "needs a sample code"));
            }
            check_len(problems, &format!("{field}.example"), example, MAX_COUPON_CODE);
            Some(Button::CopyCode)
        }
        Some("OTP") => {
            if !matches!(str_at(b, "otp_type").map(str::to_ascii_uppercase).as_deref(), Some("COPY_CODE" | "ONE_TAP" | "ZERO_TAP")) {
                problems.push(Problem::new(format!("{field}.otp_type"), "must be COPY_CODE, ONE_TAP or ZERO_TAP"));
            }
            Some(Button::Otp)
        }
        Some("FLOW") => {
            let text = button_text(problems, field, b);
            if str_at(b, "flow_id").is_none() && str_at(b, "flow_name").is_none() && str_at(b, "flow_json").is_none() {
                problems.push(Problem::new(format!("{field}.flow_id"), "is required (or flow_name, or flow_json)"));
            }
            Some(Button::Flow { text })
        }
        _ => {
            problems.push(Problem::new(format!("{field}.type"), "must be QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP or FLOW"));
            None
        }
    }
}

/// Meta's limits on buttons: how many of each, and quick replies kept together.
fn check_buttons(problems: &mut Vec<Problem>, field: &str, buttons: &[Button], category: TemplateCategory) {
    let count = |k: &str| buttons.iter().filter(|b| b.kind() == k).count();
    if buttons.is_empty() {
        problems.push(Problem::new(field, "needs at least one button"));
    }
    if buttons.len() > MAX_BUTTONS {
        problems.push(Problem::new(field, format!("has {} buttons; at most {MAX_BUTTONS}", buttons.len())));
    }
    for (kind, max) in [("URL", MAX_URL_BUTTONS), ("PHONE_NUMBER", 1), ("COPY_CODE", 1), ("OTP", 1), ("FLOW", 1)] {
        if count(kind) > max {
            problems.push(Problem::new(field, format!("has {} {kind} buttons; at most {max}", count(kind))));
        }
    }
    // Quick replies form one group, before or after the other buttons.
    let groups =
        buttons.windows(2).filter(|w| matches!(w[0], Button::QuickReply { .. }) != matches!(w[1], Button::QuickReply { .. })).count();
    if groups > 1 {
        problems.push(Problem::new(field, "mixes quick replies with other buttons; keep the quick replies together, first or last"));
    }
    let otp = count("OTP");
    match category {
        TemplateCategory::Authentication if otp != 1 || buttons.len() != otp => {
            problems.push(Problem::new(field, "an AUTHENTICATION template has exactly one OTP button and no other"));
        }
        TemplateCategory::Marketing | TemplateCategory::Utility if otp > 0 => {
            problems.push(Problem::new(field, "OTP buttons are only for AUTHENTICATION templates"));
        }
        _ => {}
    }
}

impl TemplateDefinition {
    /// Check a template against Meta's rules; every problem at once.
    pub fn parse(
        name: &str,
        language: &str,
        category: &str,
        parameter_format: Option<&str>,
        components: &Value,
    ) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            problems.push(Problem::new("name", format!("must be 1 to {MAX_NAME} lowercase letters, digits and underscores")));
        }
        if !LANGUAGES.contains(&language) {
            problems.push(Problem::new("language", "is not a language Meta offers for templates (for example en_US, pt_BR, es, vi)"));
        }
        let category = TemplateCategory::parse(category);
        if category.is_none() {
            problems.push(Problem::new("category", "must be MARKETING, UTILITY or AUTHENTICATION"));
        }
        let format = match parameter_format.map(str::to_ascii_uppercase).as_deref() {
            None | Some("POSITIONAL") => ParameterFormat::Positional,
            Some("NAMED") => ParameterFormat::Named,
            Some(_) => {
                problems.push(Problem::new("parameterFormat", "must be POSITIONAL or NAMED"));
                ParameterFormat::Positional
            }
        };
        let auth = category == Some(TemplateCategory::Authentication);
        let Some(list) = components.as_array() else {
            problems.push(Problem::new("components", "must be a list of components (HEADER, BODY, FOOTER, BUTTONS)"));
            return Err(problems);
        };
        let (mut header, mut body, mut footer, mut buttons) = (None, None, None, Vec::new());
        let mut seen: Vec<String> = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let field = format!("components[{i}]");
            let kind = str_at(c, "type").map(str::to_ascii_uppercase).unwrap_or_default();
            if seen.contains(&kind) {
                problems.push(Problem::new(format!("{field}.type"), format!("{kind} appears twice")));
                continue;
            }
            seen.push(kind.clone());
            match kind.as_str() {
                "HEADER" => {
                    if auth {
                        problems.push(Problem::new(field.clone(), "an AUTHENTICATION template has no header"));
                    }
                    header = parse_header(&mut problems, &field, c, format);
                }
                "BODY" if auth && c.get("text").is_none() => body = Some((String::new(), Vec::new())),
                "BODY" => body = Some(parse_body(&mut problems, &field, c, format)),
                "FOOTER" if auth && c.get("text").is_none() => {}
                "FOOTER" => {
                    let text = str_at(c, "text").unwrap_or("");
                    let tf = format!("{field}.text");
                    if text.trim().is_empty() {
                        problems.push(Problem::new(tf.clone(), "is required"));
                    }
                    check_len(&mut problems, &tf, text, MAX_FOOTER);
                    if variables(text).map_or(true, |v| !v.is_empty()) {
                        problems.push(Problem::new(tf, "may not have variables"));
                    }
                    footer = Some(text.to_owned());
                }
                "BUTTONS" => {
                    let Some(list) = c.get("buttons").and_then(Value::as_array) else {
                        problems.push(Problem::new(format!("{field}.buttons"), "must be a list"));
                        continue;
                    };
                    buttons = list
                        .iter()
                        .enumerate()
                        .filter_map(|(j, b)| parse_button(&mut problems, &format!("{field}.buttons[{j}]"), b))
                        .collect();
                    if let Some(category) = category {
                        check_buttons(&mut problems, &format!("{field}.buttons"), &buttons, category);
                    }
                }
                _ => problems.push(Problem::new(format!("{field}.type"), "must be HEADER, BODY, FOOTER or BUTTONS")),
            }
        }
        if body.is_none() {
            problems.push(Problem::new("components", "needs a BODY"));
        }
        if auth && buttons.is_empty() {
            problems.push(Problem::new("components", "an AUTHENTICATION template needs a BUTTONS component with one OTP button"));
        }
        match (problems.is_empty(), category, body) {
            (true, Some(category), Some((body, body_variables))) => Ok(Self {
                name: name.to_owned(),
                language: language.to_owned(),
                category,
                format,
                header,
                body,
                body_variables,
                footer,
                buttons,
                components: components.clone(),
            }),
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn order_update() -> Value {
        json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#123"]}},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today.", "example": {"body_text": [["Ana", "#123"]]}},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Thanks"}, {"type": "QUICK_REPLY", "text": "Help"},
                {"type": "URL", "text": "Track", "url": "https://shop.example/track/{{1}}", "example": ["https://shop.example/track/123"]}
            ]}
        ])
    }

    fn parse(components: Value) -> Result<TemplateDefinition, Vec<Problem>> {
        TemplateDefinition::parse("order_update", "en_US", "UTILITY", None, &components)
    }

    fn fields(r: Result<TemplateDefinition, Vec<Problem>>) -> Vec<String> {
        r.err().unwrap_or_default().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_template_that_meta_accepts_passes() {
        let t = parse(order_update()).unwrap();
        assert_eq!(t.body_variables, ["1", "2"]);
        assert_eq!(t.header, Some(Header::Text { text: "Order {{1}}".into(), variable: Some("1".into()) }));
        assert_eq!(t.buttons.len(), 3);
        let named = json!([{"type": "BODY", "text": "Hi {{first_name}}, see you {{day}}.",
            "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"}, {"param_name": "day", "example": "Monday"}]}}]);
        let t = TemplateDefinition::parse("hello", "pt_BR", "MARKETING", Some("NAMED"), &named).unwrap();
        assert_eq!(t.body_variables, ["first_name", "day"]);
        let auth = json!([{"type": "BODY", "add_security_recommendation": true}, {"type": "FOOTER", "code_expiration_minutes": 5},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]);
        assert!(TemplateDefinition::parse("login_code", "en", "AUTHENTICATION", None, &auth).is_ok());
    }

    #[test]
    fn each_rule_names_its_field() {
        let long = "x".repeat(1025);
        let cases: Vec<(Value, &str)> = vec![
            (json!([{"type": "BODY", "text": long}]), "components[0].text"),
            (json!([{"type": "BODY", "text": "Hi {{1}} and {{name}}!", "example": {"body_text": [["a", "b"]]}}]), "components[0].text"),
            (json!([{"type": "BODY", "text": "Hi {{1}}, {{3}}.", "example": {"body_text": [["a", "b"]]}}]), "components[0].text"),
            (json!([{"type": "BODY", "text": "{{1}} is here", "example": {"body_text": [["a"]]}}]), "components[0].text"),
            (json!([{"type": "BODY", "text": "Hi {{1}}", "example": {"body_text": [["a"]]}}]), "components[0].text"),
            (json!([{"type": "BODY", "text": "Hi {{1}} {{2}} there", "example": {"body_text": [["a", "b"]]}}]), "components[0].text"),
            (json!([{"type": "BODY", "text": "Hi {{1}}, ok"}]), "components[0].example"),
            (json!([{"type": "BODY", "text": "Hi {{Bad-Name}} ok"}]), "components[0].text"),
            (json!([{"type": "HEADER", "format": "TEXT", "text": "x".repeat(61)}, {"type": "BODY", "text": "ok"}]), "components[0].text"),
            (
                json!([{"type": "HEADER", "format": "TEXT", "text": "{{1}} and {{2}}", "example": {"header_text": ["a"]}}, {"type": "BODY", "text": "ok"}]),
                "components[0].text",
            ),
            (json!([{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "ok"}]), "components[0].example.header_handle"),
            (json!([{"type": "HEADER", "format": "GIF"}, {"type": "BODY", "text": "ok"}]), "components[0].format"),
            (json!([{"type": "BODY", "text": "ok"}, {"type": "FOOTER", "text": "x".repeat(61)}]), "components[1].text"),
            (json!([{"type": "BODY", "text": "ok"}, {"type": "FOOTER", "text": "Hi {{1}}"}]), "components[1].text"),
            (json!([{"type": "BODY", "text": "ok"}, {"type": "BODY", "text": "again"}]), "components[1].type"),
            (json!([{"type": "FOOTER", "text": "no body"}]), "components"),
            (json!([{"type": "BODY", "text": "ok"}, {"type": "CAROUSEL"}]), "components[1].type"),
            (json!({"type": "BODY"}), "components"),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "x".repeat(26)}]}]),
                "components[1].buttons[0].text",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": (0..11).map(|i| json!({"type": "QUICK_REPLY", "text": format!("b{i}")})).collect::<Vec<_>>()}]),
                "components[1].buttons",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": (0..3).map(|i| json!({"type": "URL", "text": format!("u{i}"), "url": "https://a.example"})).collect::<Vec<_>>()}]),
                "components[1].buttons",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go", "url": "https://a.example/{{1}}/x", "example": ["https://a.example/1/x"]}]}]),
                "components[1].buttons[0].url",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go", "url": "https://a.example/{{1}}"}]}]),
                "components[1].buttons[0].example",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go", "url": "ftp://a"}]}]),
                "components[1].buttons[0].url",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "PHONE_NUMBER", "text": "Call", "phone_number": "12"}]}]),
                "components[1].buttons[0].phone_number",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "PHONE_NUMBER", "text": "a", "phone_number": "+5511999999999"}, {"type": "PHONE_NUMBER", "text": "b", "phone_number": "+5511999999998"}]}]),
                "components[1].buttons",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "a"}, {"type": "URL", "text": "u", "url": "https://a.example"}, {"type": "QUICK_REPLY", "text": "b"}]}]),
                "components[1].buttons",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "COPY_CODE", "example": "X".repeat(16)}]}]),
                "components[1].buttons[0].example",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]),
                "components[1].buttons",
            ),
            (
                json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": [{"type": "FLOW", "text": "Open"}]}]),
                "components[1].buttons[0].flow_id",
            ),
            (json!([{"type": "BODY", "text": "ok"}, {"type": "BUTTONS", "buttons": []}]), "components[1].buttons"),
        ];
        for (components, field) in cases {
            let got = fields(parse(components.clone()));
            assert!(got.iter().any(|f| f == field), "{components} should be refused at {field}; got {got:?}");
        }
    }

    #[test]
    fn name_language_category_and_authentication_rules() {
        let body = json!([{"type": "BODY", "text": "ok"}]);
        for (name, language, category, field) in [
            ("Order Update", "en_US", "UTILITY", "name"),
            ("", "en_US", "UTILITY", "name"),
            ("order", "english", "UTILITY", "language"),
            ("order", "en_US", "PROMO", "category"),
            ("order", "en_US", "AUTHENTICATION", "components"),
        ] {
            let got = fields(TemplateDefinition::parse(name, language, category, None, &body));
            assert!(got.iter().any(|f| f == field), "{name}/{language}/{category}: {got:?}");
        }
        assert_eq!(fields(TemplateDefinition::parse(&"a".repeat(513), "en", "UTILITY", None, &body)), ["name"]);
        let named_mixed = json!([{"type": "BODY", "text": "Hi {{1}} ok", "example": {"body_text": [["a"]]}}]);
        assert_eq!(
            fields(TemplateDefinition::parse("x", "en", "UTILITY", Some("NAMED"), &named_mixed)),
            ["components[0].text", "components[0].example"]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = json!([{"type": "HEADER", "format": "TEXT", "text": "x".repeat(61)}, {"type": "BODY", "text": "{{1}}"}, {"type": "FOOTER", "text": "x".repeat(61)}]);
        let problems = TemplateDefinition::parse("Bad Name", "xx", "UTILITY", None, &bad).unwrap_err();
        let got: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for f in ["name", "language", "components[0].text", "components[1].text", "components[1].example", "components[2].text"] {
            assert!(got.contains(&f), "{f} missing from {got:?}");
        }
    }

    #[test]
    fn a_send_is_checked_and_rendered() {
        let t = parse(order_update()).unwrap();
        let good = vec![
            json!({"type": "header", "parameters": [{"type": "text", "text": "#9"}]}),
            json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#9"}]}),
            json!({"type": "button", "sub_type": "url", "index": "2", "parameters": [{"type": "text", "text": "9"}]}),
        ];
        let r = t.render(&good).unwrap();
        assert_eq!(r.header.as_deref(), Some("Order #9"));
        assert_eq!(r.body, "Hi Ana, your order #9 ships today.");
        assert_eq!(r.footer.as_deref(), Some("Reply STOP to opt out"));
        assert_eq!(r.buttons, ["Thanks", "Help", "Track → https://shop.example/track/9"]);

        let cases: Vec<(Vec<Value>, &str)> = vec![
            (vec![good[0].clone(), good[2].clone()], "template.components.body.parameters"),
            (vec![good[1].clone(), good[2].clone()], "template.components.header.parameters"),
            (vec![good[0].clone(), good[1].clone()], "template.components.buttons[2]"),
            (
                vec![good[0].clone(), json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}), good[2].clone()],
                "template.components.body.parameters",
            ),
            (
                vec![
                    good[0].clone(),
                    good[1].clone(),
                    good[2].clone(),
                    json!({"type": "button", "sub_type": "url", "index": 7, "parameters": []}),
                ],
                "template.components.buttons",
            ),
            (vec![json!({"type": "footer"})], "template.components[0].type"),
            (
                vec![
                    good[0].clone(),
                    json!({"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#9\n"}]}),
                    good[2].clone(),
                ],
                "template.components.body.parameters[1]",
            ),
            (
                vec![json!({"type": "header", "parameters": [{"type": "text", "text": "\t"}]}), good[1].clone(), good[2].clone()],
                "template.components.header.parameters[0]",
            ),
        ];
        for (components, field) in cases {
            let got: Vec<String> = t.render(&components).unwrap_err().into_iter().map(|p| p.field).collect();
            assert!(got.iter().any(|f| f == field), "{components:?} should be refused at {field}; got {got:?}");
        }
    }

    #[test]
    fn named_parameters_and_media_headers() {
        let components = json!([
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1n"]}},
            {"type": "BODY", "text": "Hi {{first_name}}, welcome.", "example": {"body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]}}
        ]);
        let t = TemplateDefinition::parse("welcome", "en", "MARKETING", Some("NAMED"), &components).unwrap();
        let ok = [
            json!({"type": "header", "parameters": [{"type": "image", "image": {"link": "https://a.example/i.png"}}]}),
            json!({"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "Bia"}]}),
        ];
        assert_eq!(t.render(&ok).unwrap().body, "Hi Bia, welcome.");
        let video = json!({"type": "header", "parameters": [{"type": "video", "video": {"id": "1"}}]});
        let wrong_name = json!({"type": "body", "parameters": [{"type": "text", "parameter_name": "name", "text": "Bia"}]});
        let spaced = json!({"type": "body", "parameters": [{"type": "text", "parameter_name": "first_name", "text": "B      ia"}]});
        let got: Vec<String> = t.render(&[ok[0].clone(), spaced]).unwrap_err().into_iter().map(|p| p.field).collect();
        assert_eq!(got, ["template.components.body.parameters[0]"], "refused once, not also as missing");
        let got: Vec<String> = t.render(&[video, wrong_name]).unwrap_err().into_iter().map(|p| p.field).collect();
        assert_eq!(
            got,
            [
                "template.components.header.parameters",
                "template.components.body.parameters[0].parameter_name",
                "template.components.body.parameters"
            ]
        );
    }
}
