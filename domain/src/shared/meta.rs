//! Rules Meta enforces on what a send carries, checked locally by more than one context (a
//! send's content in messaging, a preview in templates), so a request Meta would refuse is
//! answered 422 at once instead of failing later at Meta.

/// Why Meta would refuse this text parameter of a template's body or header (error 132018), if
/// it would: an empty value, a newline, a tab, or more than four consecutive spaces.
pub fn text_parameter_problem(value: &str) -> Option<&'static str> {
    if value.trim().is_empty() {
        Some("must not be empty")
    } else if value.contains(['\n', '\r']) {
        Some("must not contain a newline (Meta refuses it: 132018)")
    } else if value.contains('\t') {
        Some("must not contain a tab (Meta refuses it: 132018)")
    } else if value.contains("     ") {
        Some("must not contain more than four consecutive spaces (Meta refuses it: 132018)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::text_parameter_problem;

    #[test]
    fn meta_refuses_empty_values_newlines_tabs_and_long_runs_of_spaces() {
        for (value, refused) in [
            ("Ana", false),
            ("Ana  Maria    Silva", false),
            ("", true),
            ("   ", true),
            ("a\nb", true),
            ("a\r\nb", true),
            ("a\tb", true),
            ("a     b", true),
        ] {
            assert_eq!(text_parameter_problem(value).is_some(), refused, "{value:?}");
        }
    }
}
