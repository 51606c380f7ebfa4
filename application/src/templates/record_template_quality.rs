//! RecordTemplateQuality: Meta's `message_template_quality_update` webhooks, applied to the
//! templates the service keeps for every shop with a number on that WABA. A RED score blocks new
//! sends of the template at once; a real change publishes `template.quality.updated`. A template
//! the service does not keep yet is noted (a sync brings it, with its score). Runs inside the
//! inbound batch.

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
use domain::templates::TemplateQualityReport;

#[derive(Debug, Validate)]
pub struct RecordTemplateQuality {
    pub reports: Vec<TemplateQualityReport>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TemplateQualityOutcome {
    pub changed: u32,
    /// Reports about templates no shop keeps (yet), or WABAs no shop has.
    pub unknown: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordTemplateQualityError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the template quality")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordTemplateQualityError);

impl Command for RecordTemplateQuality {
    type Output = TemplateQualityOutcome;
    type Error = RecordTemplateQualityError;
    const NAME: &'static str = "RecordTemplateQuality";
}

pub struct RecordTemplateQualityHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordTemplateQuality> for RecordTemplateQualityHandler {
    async fn handle(
        &self,
        cmd: &RecordTemplateQuality,
        uow: &mut dyn UnitOfWork,
    ) -> Result<TemplateQualityOutcome, RecordTemplateQualityError> {
        let now = self.clock.now();
        let mut out = TemplateQualityOutcome::default();
        let mut events = Events::new();
        for report in &cmd.reports {
            let shops = super::shops_on_waba(uow, &report.waba_id).await?;
            let mut kept = false;
            for shop in shops {
                let Some(mut t) = uow.templates().lock(shop, &report.meta_template_id).await? else { continue };
                kept = true;
                if let Some(event) = t.rate(&report.quality, now) {
                    uow.templates().save_many(&[(t, false)]).await?;
                    events.push(event);
                    out.changed += 1;
                }
            }
            if !kept {
                out.unknown.push(format!("quality of template {} on WABA {}", report.meta_template_id, report.waba_id));
            }
        }
        uow.outbox().append(&events, now).await?;
        Ok(out)
    }
}
