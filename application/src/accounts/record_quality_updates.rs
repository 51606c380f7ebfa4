//! RecordQualityUpdates: Meta's `phone_number_quality_update` webhooks (FLAGGED / UNFLAGGED,
//! the messaging tier) applied to the numbers they name. Runs inside the inbound batch.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::accounts::ports::AccountsUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::accounts::{MessagingTier, QualityRating};
use domain::{Events, WabaId};

/// One quality report, as the inbound parser read it.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityReport {
    pub waba_id: Option<WabaId>,
    /// The number's digits as Meta wrote them (`display_phone_number`).
    pub display_digits: String,
    /// `None` when Meta's event does not change the rating.
    pub rating: Option<QualityRating>,
    pub tier: Option<MessagingTier>,
}

#[derive(Debug, Validate)]
pub struct RecordQualityUpdates {
    pub reports: Vec<QualityReport>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QualityOutcome {
    pub applied: u32,
    /// Reports for a number this service does not know.
    pub unroutable: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordQualityError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the quality update")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordQualityError);

impl Command for RecordQualityUpdates {
    type Output = QualityOutcome;
    type Error = RecordQualityError;
    const NAME: &'static str = "RecordQualityUpdates";
}

pub struct RecordQualityHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordQualityUpdates> for RecordQualityHandler {
    async fn handle(&self, cmd: &RecordQualityUpdates, uow: &mut dyn UnitOfWork) -> Result<QualityOutcome, RecordQualityError> {
        let now = self.clock.now();
        let mut out = QualityOutcome::default();
        let mut events = Events::new();
        for r in &cmd.reports {
            let digits = r.display_digits.trim_start_matches('+');
            let accounts = match &r.waba_id {
                Some(w) => uow.accounts().lock_by_waba(w).await?,
                None => Vec::new(),
            };
            let Some(mut account) = accounts.into_iter().find(|a| a.display_phone_number().digits() == digits) else {
                out.unroutable.push(format!("quality update for {digits}"));
                continue;
            };
            if let Some(e) = account.update_quality(r.rating, r.tier, now) {
                uow.accounts().update(&account, None).await?;
                events.push(e);
                out.applied += 1;
            }
        }
        uow.outbox().append(&events, now).await?;
        Ok(out)
    }
}
