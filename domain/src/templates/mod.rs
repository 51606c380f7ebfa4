//! Templates: Meta message templates. Today: their review status as Meta reports it.

pub mod events;
pub mod template_status;

pub use events::{TemplateEvent, TemplateStatusUpdated};
pub use template_status::{TemplateStatus, TemplateStatusReport};
