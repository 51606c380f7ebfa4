//! DeleteTemplate: a template removed at Meta (by name and id, so only that language goes) and
//! then here (`DeleteTemplateService`: Meta first, outside the transaction).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::ports::{TemplateApi, TemplateReads};
use crate::accounts::ports::{AccountReads, NumberCredentials};
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Audited, Command, CommandHandler, Pipeline};
use crate::shared::ports::CipherError;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::ShopId;

#[derive(Debug, thiserror::Error)]
pub enum DeleteTemplateError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such template in this shop")]
    NotFound,
    #[error("Meta refused to delete the template")]
    Meta(#[source] CloudApiError),
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] CipherError),
    #[error("could not delete the template")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DeleteTemplateError);
crate::credentials_error!(DeleteTemplateError);

#[derive(Debug, validator::Validate)]
pub struct ForgetTemplate {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
    pub name: String,
}

impl Command for ForgetTemplate {
    type Output = ();
    type Error = DeleteTemplateError;
    const NAME: &'static str = "ForgetTemplate";
    fn audit(&self, _: &()) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "template.deleted",
            subject_type: "template",
            subject_id: Some(self.id.to_string()),
            details: json!({"name": self.name}),
        })
    }
}

pub struct ForgetTemplateHandler;

#[async_trait]
impl CommandHandler<ForgetTemplate> for ForgetTemplateHandler {
    async fn handle(&self, cmd: &ForgetTemplate, uow: &mut dyn UnitOfWork) -> Result<(), DeleteTemplateError> {
        if uow.templates().delete(cmd.shop_id, cmd.id).await? { Ok(()) } else { Err(DeleteTemplateError::NotFound) }
    }
}

pub struct DeleteTemplateService {
    pub pipeline: Pipeline,
    pub reads: Arc<dyn TemplateReads>,
    pub accounts: Arc<dyn AccountReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub api: Arc<dyn TemplateApi>,
}

impl DeleteTemplateService {
    #[tracing::instrument(name = "delete_template", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn run(&self, ctx: &crate::RequestContext, shop: ShopId, id: uuid::Uuid) -> Result<(), DeleteTemplateError> {
        let t = self.reads.by_id(shop, id).await?.ok_or(DeleteTemplateError::NotFound)?;
        // The token of a number of the shop on the template's WABA.
        let account = super::account_on_waba(self.accounts.as_ref(), shop, t.waba_id()).await?;
        if let Some(account) = account
            && let Some(token) = self.credentials.token(account.id()).await?
        {
            match self.api.delete(t.waba_id(), &token, t.name(), t.meta_template_id()).await {
                Ok(()) => {}
                // Already gone at Meta: forget it here too.
                Err(e) if e.http_status == Some(404) => {}
                Err(e) => return Err(DeleteTemplateError::Meta(e)),
            }
        }
        self.pipeline.execute(ctx, &ForgetTemplateHandler, ForgetTemplate { shop_id: shop, id, name: t.name().to_owned() }).await
    }
}
