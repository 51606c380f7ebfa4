//! StartCustomersExportCommand: a bulk export (CSV or JSON of a filter or segment) is about to
//! stream; this records who asked for what in the audit log before the first row leaves.

use async_trait::async_trait;
use serde_json::Value;
use validator::Validate;

use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::ShopId;

#[derive(Debug, Validate)]
pub struct StartCustomersExport {
    pub shop_id: ShopId,
    /// The format, the segment or the filters: what was exported (no personal data).
    pub details: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum StartCustomersExportError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not record the export")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(StartCustomersExportError);

impl Command for StartCustomersExport {
    type Output = ();
    type Error = StartCustomersExportError;
    const NAME: &'static str = "StartCustomersExport";
    fn audit(&self, _: &()) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "customers.exported",
            subject_type: "customers",
            subject_id: None,
            details: self.details.clone(),
        })
    }
}

pub struct StartCustomersExportHandler;

#[async_trait]
impl CommandHandler<StartCustomersExport> for StartCustomersExportHandler {
    async fn handle(&self, _: &StartCustomersExport, _: &mut dyn UnitOfWork) -> Result<(), StartCustomersExportError> {
        Ok(())
    }
}
