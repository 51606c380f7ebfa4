//! A template's category, as Meta assigns it: what it is for decides the consent it needs.

use serde::{Deserialize, Serialize};

use crate::shared::phone::WabaId;

/// What Meta's `template_category_update` webhook said about one template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateCategoryReport {
    pub waba_id: WabaId,
    pub meta_template_id: String,
    pub name: String,
    pub language: String,
    pub category: TemplateCategory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
}

impl TemplateCategory {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Marketing => "MARKETING",
            Self::Utility => "UTILITY",
            Self::Authentication => "AUTHENTICATION",
        }
    }
    /// Meta's spelling, without regard to case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "MARKETING" => Some(Self::Marketing),
            "UTILITY" => Some(Self::Utility),
            "AUTHENTICATION" => Some(Self::Authentication),
            _ => None,
        }
    }
}
