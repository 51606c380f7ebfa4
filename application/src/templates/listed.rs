//! Anti-corruption layer for Meta's template list (`GET /{waba-id}/message_templates`): each
//! entry's JSON (`id`, `name`, `language`, `status`, `category`, `components`,
//! `parameter_format`, `rejected_reason`, `quality_score`) becomes the domain's
//! `ListedTemplate`. Nothing else reads Meta's template JSON.

use serde_json::Value;

use domain::templates::{ListedTemplate, ReviewStatus, TemplateCategory, TemplateDefinition};

/// One entry of the list; `None` when it lacks an id, a name or a language. Components that do
/// not pass the local rules leave the definition unknown (the template still sends by name).
pub fn parse_listed(entry: &Value) -> Option<ListedTemplate> {
    let s = |k: &str| entry.get(k).and_then(Value::as_str);
    let (id, name, language) = (s("id")?, s("name")?, s("language")?);
    let category = s("category").and_then(TemplateCategory::parse);
    let definition = entry
        .get("components")
        .and_then(|c| TemplateDefinition::parse(name, language, category.map_or("", |c| c.as_str()), s("parameter_format"), c).ok());
    Some(ListedTemplate {
        meta_template_id: id.to_owned(),
        name: name.to_owned(),
        language: language.to_owned(),
        category,
        definition,
        status: ReviewStatus::parse(s("status").unwrap_or("pending")),
        reason: s("rejected_reason").filter(|r| !r.is_empty() && *r != "NONE").map(str::to_owned),
        quality: entry.get("quality_score").and_then(|q| q.get("score")).and_then(Value::as_str).map(str::to_ascii_uppercase),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_entry_of_meta_s_list_keeps_what_it_says() {
        let entry = json!({"id": "77", "name": "thanks", "language": "en_US", "status": "REJECTED", "category": "MARKETING",
            "rejected_reason": "INVALID_FORMAT", "quality_score": {"score": "green"},
            "components": [{"type": "BODY", "text": "Hi {{1}}, thanks.", "example": {"body_text": [["Ana"]]}}]});
        let t = parse_listed(&entry).unwrap();
        assert_eq!(
            (&t.status, t.reason.as_deref(), t.quality.as_deref()),
            (&ReviewStatus::Rejected, Some("INVALID_FORMAT"), Some("GREEN"))
        );
        assert_eq!(t.definition.as_ref().map(|d| d.body_variables.len()), Some(1));
        assert_eq!(t.category, Some(TemplateCategory::Marketing));
    }

    #[test]
    fn an_entry_without_id_name_or_language_is_skipped_and_odd_components_leave_the_content_unknown() {
        assert!(parse_listed(&json!({"name": "x"})).is_none());
        let odd = json!({"id": "1", "name": "x", "language": "en", "status": "APPROVED", "components": [{"type": "BODY"}]});
        let t = parse_listed(&odd).unwrap();
        assert_eq!((t.definition, t.status, t.reason), (None, ReviewStatus::Approved, None));
    }
}
