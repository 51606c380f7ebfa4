//! Templates: Meta message templates. Today: their review status as Meta reports it (the
//! template CRUD arrives with the Templates issue).

pub mod ports;
pub mod record_template_categories;
pub mod record_template_statuses;
