//! Templates: Meta message templates — made, listed, previewed, synced and deleted here; their
//! review status as Meta reports it; and the check every template send passes.

pub mod create_template;
pub mod delete_template;
pub mod get_templates;
pub mod ports;
pub mod record_template_categories;
pub mod record_template_quality;
pub mod record_template_statuses;
pub mod sync_templates;
