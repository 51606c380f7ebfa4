//! A template's category, as Meta assigns it: what it is for decides the consent it needs (the
//! customers' rule) and what Meta charges (billing). Shared, since templates, customers and
//! billing all speak it.

use serde::{Deserialize, Serialize};

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
