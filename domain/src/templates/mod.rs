//! Templates: Meta message templates — their definition checked against Meta's rules, their
//! review status as Meta reports it, and the parameters of a send.

pub mod category;
pub mod definition;
pub mod events;
pub mod parameters;
pub mod review;
pub mod template;
pub mod template_status;

pub use crate::shared::problem::Problem;
pub use category::{TemplateCategory, TemplateCategoryReport};
pub use definition::TemplateDefinition;
pub use events::{TemplateCreated, TemplateEvent, TemplateQualityUpdated, TemplateStatusUpdated};
pub use parameters::RenderedTemplate;
pub use review::ReviewStatus;
pub use template::{ListedTemplate, NotApproved, Reconciled, Template, TemplateQualityReport, TemplateSnapshot};
pub use template_status::{TemplateStatus, TemplateStatusReport, TemplateStatusSnapshot};
