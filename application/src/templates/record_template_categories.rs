//! RecordTemplateCategories: Meta's `template_category_update` webhooks, recorded for every shop
//! with a number on that WABA. The category decides the consent a send of the template needs
//! (MARKETING needs an opt-in). Runs inside the inbound batch.

use async_trait::async_trait;
use validator::Validate;

use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::templates::TemplateCategoryReport;

#[derive(Debug, Validate)]
pub struct RecordTemplateCategories {
    pub reports: Vec<TemplateCategoryReport>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TemplateCategoryOutcome {
    pub changed: u32,
    pub unroutable: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordTemplateCategoriesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not store the template category")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RecordTemplateCategoriesError);

impl Command for RecordTemplateCategories {
    type Output = TemplateCategoryOutcome;
    type Error = RecordTemplateCategoriesError;
    const NAME: &'static str = "RecordTemplateCategories";
}

pub struct RecordTemplateCategoriesHandler;

#[async_trait]
impl CommandHandler<RecordTemplateCategories> for RecordTemplateCategoriesHandler {
    async fn handle(
        &self,
        cmd: &RecordTemplateCategories,
        uow: &mut dyn UnitOfWork,
    ) -> Result<TemplateCategoryOutcome, RecordTemplateCategoriesError> {
        let mut out = TemplateCategoryOutcome::default();
        for report in &cmd.reports {
            let shops = super::shops_on_waba(uow, &report.waba_id).await?;
            if shops.is_empty() {
                out.unroutable.push(format!("template update for WABA {}", report.waba_id));
            }
            for shop in shops {
                if uow.templates().save_category(shop, &report.name, &report.language, report.category).await? {
                    out.changed += 1;
                }
            }
        }
        Ok(out)
    }
}
