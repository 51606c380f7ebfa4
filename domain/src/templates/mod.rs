//! Templates: Meta message templates. Today: their review status as Meta reports it.

pub mod category;
pub mod events;
pub mod template_status;

pub use category::{TemplateCategory, TemplateCategoryReport};
pub use events::{TemplateEvent, TemplateStatusUpdated};
pub use template_status::{TemplateStatus, TemplateStatusReport};
