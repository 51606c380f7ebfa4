//! CreateTemplate: a template checked against Meta's rules here (every problem at once), then
//! submitted for review on the WABA of one of the shop's numbers (`CreateTemplateService`: the
//! call to Meta happens outside the transaction), then stored with Meta's id and status.
//! `template.created` is published; Meta's review arrives later as a status webhook.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::ports::{Submitted, TemplateApi};
use crate::accounts::ports::{AccountReads, NumberCredentials};
use crate::accounts::{NumberChoice, sending_number};
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Audited, Command, CommandHandler, Pipeline};
use crate::shared::ports::{CipherError, Clock};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::templates::{Problem, Template, TemplateDefinition};
use domain::{AccountId, Events, ShopId};

/// What the merchant asks for (Meta's shape).
#[derive(Debug, Clone)]
pub struct CreateTemplate {
    pub shop_id: ShopId,
    /// The number whose WABA gets the template; the shop's only number when absent.
    pub account_id: Option<AccountId>,
    pub name: String,
    pub language: String,
    pub category: String,
    pub parameter_format: Option<String>,
    pub components: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateTemplateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Every rule the draft breaks.
    #[error("the template breaks {} of Meta's rules", .0.len())]
    Rejected(Vec<Problem>),
    #[error("the shop has no such number")]
    AccountNotFound,
    #[error("a template {0} already exists on this WABA")]
    AlreadyExists(String),
    #[error("Meta refused the template")]
    Meta(#[source] CloudApiError),
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] CipherError),
    #[error("could not store the template")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateTemplateError);
crate::credentials_error!(CreateTemplateError);

/// Store what Meta accepted (the second half of the use case, in one transaction).
#[derive(Debug, validator::Validate)]
pub struct RecordCreatedTemplate {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub waba_id: String,
    pub definition: TemplateDefinition,
    pub submitted: Submitted,
}

impl Command for RecordCreatedTemplate {
    type Output = Template;
    type Error = CreateTemplateError;
    const NAME: &'static str = "RecordCreatedTemplate";
    fn audit(&self, out: &Template) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "template.created",
            subject_type: "template",
            subject_id: Some(out.id().to_string()),
            details: json!({"name": out.name(), "language": out.language(), "metaTemplateId": out.meta_template_id()}),
        })
    }
}

pub struct RecordCreatedTemplateHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordCreatedTemplate> for RecordCreatedTemplateHandler {
    async fn handle(&self, cmd: &RecordCreatedTemplate, uow: &mut dyn UnitOfWork) -> Result<Template, CreateTemplateError> {
        let now = self.clock.now();
        // A status webhook may have been faster than Meta's answer: keep its status.
        let earlier = uow.templates().lock(cmd.shop_id, &cmd.submitted.id).await?;
        let first_status = earlier.is_none();
        let (template, event) = Template::submitted(
            cmd.shop_id,
            cmd.account_id,
            &cmd.waba_id,
            cmd.definition.clone(),
            &cmd.submitted.id,
            &cmd.submitted.status,
            cmd.submitted.category,
            earlier.as_ref(),
            now,
        );
        uow.templates().save_many(&[(template.clone(), first_status)]).await?;
        uow.outbox().append(&Events::from(event), now).await?;
        Ok(template)
    }
}

pub struct CreateTemplateService {
    pub pipeline: Pipeline,
    pub accounts: Arc<dyn AccountReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub api: Arc<dyn TemplateApi>,
    pub record: RecordCreatedTemplateHandler,
}

impl CreateTemplateService {
    #[tracing::instrument(name = "create_template", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn run(&self, ctx: &crate::RequestContext, cmd: CreateTemplate) -> Result<Template, CreateTemplateError> {
        let definition =
            TemplateDefinition::parse(&cmd.name, &cmd.language, &cmd.category, cmd.parameter_format.as_deref(), &cmd.components)
                .map_err(CreateTemplateError::Rejected)?;
        let account = sending_number(self.accounts.as_ref(), cmd.shop_id, cmd.account_id).await.map_err(|e| match e {
            NumberChoice::NotFound => CreateTemplateError::AccountNotFound,
            NumberChoice::Invalid(i) => i.into(),
            NumberChoice::Storage(s) => s.into(),
        })?;
        let waba_id = account.snapshot().waba_id.to_string();
        let token = self.credentials.token(account.id()).await?.ok_or(CreateTemplateError::AccountNotFound)?;
        let mut body = json!({
            "name": definition.name, "language": definition.language, "category": definition.category.as_str(),
            "components": definition.components,
        });
        if definition.format == domain::templates::definition::ParameterFormat::Named {
            body["parameter_format"] = json!("NAMED");
        }
        let submitted = self.api.submit(&waba_id, &token, &body).await.map_err(|e| match e.code {
            // Meta: "a template with this name and language already exists".
            Some(100) if e.subcode == Some(2388023) || e.subcode == Some(2388024) => {
                CreateTemplateError::AlreadyExists(format!("{} ({})", definition.name, definition.language))
            }
            _ => CreateTemplateError::Meta(e),
        })?;
        let record = RecordCreatedTemplate { shop_id: cmd.shop_id, account_id: account.id(), waba_id, definition, submitted };
        self.pipeline.execute(ctx, &self.record, record).await
    }
}
