//! EditTemplate: new components (and, unless approved, a new category) for a template, checked
//! against Meta's rules and against what Meta lets be edited (`Template::check_edit`), sent to
//! Meta (`EditTemplateService`: outside the transaction), then stored: the template is PENDING
//! review again, and the change is in its history and the audit log.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::ports::{TemplateApi, TemplateReads};
use crate::accounts::ports::{AccountReads, NumberCredentials};
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Audited, Command, CommandHandler, Pipeline};
use crate::shared::ports::{CipherError, Clock};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::ShopId;
use domain::templates::{Problem, Template, TemplateDefinition};

#[derive(Debug, Clone)]
pub struct EditTemplate {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
    /// Unchanged when absent.
    pub category: Option<String>,
    pub parameter_format: Option<String>,
    pub components: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum EditTemplateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("the edit breaks {} rule(s)", .0.len())]
    Rejected(Vec<Problem>),
    #[error("no such template in this shop")]
    NotFound,
    #[error("no number of the shop is on this template's WABA")]
    NoAccount,
    #[error("Meta refused the edit")]
    Meta(#[source] CloudApiError),
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] CipherError),
    #[error("could not store the template")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(EditTemplateError);
crate::credentials_error!(EditTemplateError);

/// Store what Meta accepted.
#[derive(Debug, validator::Validate)]
pub struct RecordTemplateEdit {
    pub shop_id: ShopId,
    pub meta_template_id: String,
    pub definition: TemplateDefinition,
}

impl Command for RecordTemplateEdit {
    type Output = Template;
    type Error = EditTemplateError;
    const NAME: &'static str = "RecordTemplateEdit";
    fn audit(&self, out: &Template) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "template.edited",
            subject_type: "template",
            subject_id: Some(out.id().to_string()),
            details: json!({"name": out.name(), "language": out.language(), "category": out.category().map(|c| c.as_str())}),
        })
    }
}

pub struct RecordTemplateEditHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordTemplateEdit> for RecordTemplateEditHandler {
    async fn handle(&self, cmd: &RecordTemplateEdit, uow: &mut dyn UnitOfWork) -> Result<Template, EditTemplateError> {
        let mut t = uow.templates().lock(cmd.shop_id, &cmd.meta_template_id).await?.ok_or(EditTemplateError::NotFound)?;
        // Only an approved, rejected or paused template is edited: it is PENDING now.
        t.edited(cmd.definition.clone(), self.clock.now());
        uow.templates().save_many(&[(t.clone(), true)]).await?;
        Ok(t)
    }
}

pub struct EditTemplateService {
    pub pipeline: Pipeline,
    pub reads: Arc<dyn TemplateReads>,
    pub accounts: Arc<dyn AccountReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub api: Arc<dyn TemplateApi>,
    pub record: RecordTemplateEditHandler,
}

impl EditTemplateService {
    #[tracing::instrument(name = "edit_template", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn run(&self, ctx: &crate::RequestContext, cmd: EditTemplate) -> Result<Template, EditTemplateError> {
        let t = self.reads.by_id(cmd.shop_id, cmd.id).await?.ok_or(EditTemplateError::NotFound)?;
        let category = match (&cmd.category, t.category()) {
            (Some(c), _) => c.clone(),
            (None, Some(c)) => c.as_str().to_owned(),
            (None, None) => String::new(),
        };
        let format = cmd.parameter_format.clone().or_else(|| t.definition().map(|d| d.format.as_str().to_owned()));
        let next = TemplateDefinition::parse(t.name(), t.language(), &category, format.as_deref(), &cmd.components)
            .map_err(EditTemplateError::Rejected)?;
        t.check_edit(&next).map_err(EditTemplateError::Rejected)?;
        let account = super::account_on_waba(self.accounts.as_ref(), cmd.shop_id, t.waba_id()).await?;
        let account = account.ok_or(EditTemplateError::NoAccount)?;
        let token = self.credentials.token(account.id()).await?.ok_or(EditTemplateError::NoAccount)?;
        let mut change = json!({"components": next.components});
        if cmd.category.is_some() {
            change["category"] = json!(next.category.as_str());
        }
        self.api.edit(t.meta_template_id(), &token, &change).await.map_err(EditTemplateError::Meta)?;
        let record = RecordTemplateEdit { shop_id: cmd.shop_id, meta_template_id: t.meta_template_id().to_owned(), definition: next };
        self.pipeline.execute(ctx, &self.record, record).await
    }
}
