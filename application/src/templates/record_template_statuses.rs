//! RecordTemplateStatuses: Meta's `message_template_status_update` webhooks, recorded for every
//! shop with a number on that WABA; only a real change emits `template.status.updated`. Runs
//! inside the inbound batch.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::Events;
use domain::templates::{TemplateStatus, TemplateStatusReport};

#[derive(Debug, Validate)]
pub struct RecordTemplateStatuses {
    pub reports: Vec<TemplateStatusReport>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TemplateStatusOutcome {
    pub changed: u32,
    pub unroutable: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordTemplateStatusesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the template status")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordTemplateStatusesError);

impl Command for RecordTemplateStatuses {
    type Output = TemplateStatusOutcome;
    type Error = RecordTemplateStatusesError;
    const NAME: &'static str = "RecordTemplateStatuses";
}

pub struct RecordTemplateStatusesHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordTemplateStatuses> for RecordTemplateStatusesHandler {
    async fn handle(
        &self,
        cmd: &RecordTemplateStatuses,
        uow: &mut dyn UnitOfWork,
    ) -> Result<TemplateStatusOutcome, RecordTemplateStatusesError> {
        let now = self.clock.now();
        let mut out = TemplateStatusOutcome::default();
        let mut events = Events::new();
        for report in &cmd.reports {
            let shops = super::shops_on_waba(uow, &report.waba_id).await?;
            if shops.is_empty() {
                out.unroutable.push(format!("template update for WABA {}", report.waba_id));
            }
            for shop in shops {
                let previous = uow.templates().lock_status(shop, &report.meta_template_id).await?;
                if let Some((record, event)) = TemplateStatus::record(previous.as_ref(), shop, report, now) {
                    uow.templates().save_status(&record).await?;
                    events.push(event);
                    out.changed += 1;
                }
            }
        }
        uow.outbox().append(&events, now).await?;
        Ok(out)
    }
}
