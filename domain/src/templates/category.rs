//! A template's category, as Meta assigns it: what it is for decides the consent it needs.

pub use crate::shared::category::TemplateCategory;
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
