//! SyncTemplates: every page of Meta's template list for each WABA of the shop's numbers, stored
//! (`SyncTemplatesService`: Meta is read outside the transaction, then each page is one command).
//! Templates made in Meta's own tools appear; a changed status goes into the history and
//! publishes `template.status.updated`, as a webhook would.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;

use super::ports::TemplateApi;
use crate::accounts::ports::{AccountReads, NumberCredentials};
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Audited, Command, CommandHandler, Pipeline};
use crate::shared::ports::{CipherError, Clock};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::templates::{ListedTemplate, Reconciled, Template};
use domain::{Events, ShopId};

/// At most this many pages per WABA in one sync (100 templates a page: 50,000 templates).
pub const MAX_PAGES: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    pub wabas: u32,
    pub pages: u32,
    pub seen: u32,
    pub created: u32,
    pub updated: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncTemplatesError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("Meta's template list could not be read")]
    Meta(#[source] CloudApiError),
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] CipherError),
    #[error("could not store the templates")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SyncTemplatesError);
crate::credentials_error!(SyncTemplatesError);

/// One page of Meta's list, stored.
#[derive(Debug, validator::Validate)]
pub struct RecordTemplatePage {
    pub shop_id: ShopId,
    pub waba_id: String,
    pub templates: Vec<ListedTemplate>,
}

impl Command for RecordTemplatePage {
    type Output = (u32, u32);
    type Error = SyncTemplatesError;
    const NAME: &'static str = "RecordTemplatePage";
    fn audit(&self, out: &(u32, u32)) -> Option<Audited> {
        (out.0 + out.1 > 0).then(|| Audited {
            shop_id: self.shop_id,
            action: "templates.synced",
            subject_type: "waba",
            subject_id: Some(self.waba_id.clone()),
            details: json!({"created": out.0, "updated": out.1}),
        })
    }
}

pub struct RecordTemplatePageHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordTemplatePage> for RecordTemplatePageHandler {
    async fn handle(&self, cmd: &RecordTemplatePage, uow: &mut dyn UnitOfWork) -> Result<(u32, u32), SyncTemplatesError> {
        let now = self.clock.now();
        let (mut created, mut updated) = (0, 0);
        let mut events = Events::new();
        // Each template once (a page that repeats one would make the upsert touch a row twice).
        let mut seen = std::collections::HashSet::new();
        let page: Vec<&ListedTemplate> = cmd.templates.iter().filter(|t| seen.insert(t.meta_template_id.clone())).collect();
        let ids: Vec<String> = page.iter().map(|t| t.meta_template_id.clone()).collect();
        let mut held: HashMap<String, Template> =
            uow.templates().lock_many(cmd.shop_id, &ids).await?.into_iter().map(|t| (t.meta_template_id().to_owned(), t)).collect();
        let mut to_save: Vec<(Template, bool)> = Vec::new();
        for listed in page {
            match held.remove(&listed.meta_template_id) {
                None => {
                    created += 1;
                    to_save.push((Template::listed(cmd.shop_id, &cmd.waba_id, listed.clone(), now), true));
                }
                Some(mut t) => match t.reconcile(listed.clone(), now) {
                    Reconciled::Unchanged => {}
                    Reconciled::Changed { status } => {
                        updated += 1;
                        let status_changed = status.is_some();
                        events.push_opt(status);
                        to_save.push((t, status_changed));
                    }
                },
            }
        }
        uow.templates().save_many(&to_save).await?;
        uow.outbox().append(&events, now).await?;
        Ok((created, updated))
    }
}

pub struct SyncTemplatesService {
    pub pipeline: Pipeline,
    pub accounts: Arc<dyn AccountReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub api: Arc<dyn TemplateApi>,
    pub record: RecordTemplatePageHandler,
}

impl SyncTemplatesService {
    #[tracing::instrument(name = "sync_templates", skip_all, fields(request_id = %ctx.request_id, shop = %shop))]
    pub async fn run(&self, ctx: &crate::RequestContext, shop: ShopId) -> Result<SyncOutcome, SyncTemplatesError> {
        let mut out = SyncOutcome::default();
        let mut done: Vec<String> = Vec::new();
        for account in self.accounts.accounts(shop).await? {
            let waba = account.snapshot().waba_id.to_string();
            if done.contains(&waba) {
                continue;
            }
            done.push(waba.clone());
            let Some(token) = self.credentials.token(account.id()).await? else { continue };
            out.wabas += 1;
            let mut after: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let page = self.api.list(&waba, &token, after.as_deref()).await.map_err(SyncTemplatesError::Meta)?;
                out.pages += 1;
                out.seen += page.templates.len() as u32;
                let listed = page.templates.iter().filter_map(super::listed::parse_listed).collect();
                let (c, u) = self
                    .pipeline
                    .execute(ctx, &self.record, RecordTemplatePage { shop_id: shop, waba_id: waba.clone(), templates: listed })
                    .await?;
                out.created += c;
                out.updated += u;
                match page.after {
                    Some(a) if Some(&a) != after.as_ref() => after = Some(a),
                    _ => break,
                }
            }
        }
        Ok(out)
    }
}
