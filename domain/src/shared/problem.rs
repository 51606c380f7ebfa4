//! One problem of a request that is checked whole (a template draft, a send's template
//! parameters, a rate card; the coming flow validation): every problem is named at once, with
//! where it is, in one 422 (`details.problems`).

use serde::Serialize;

/// One thing wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: String,
    pub reason: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}
