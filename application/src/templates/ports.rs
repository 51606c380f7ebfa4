//! Ports of the templates context.

use async_trait::async_trait;
use serde_json::Value;

use crate::shared::meta::CloudApiError;
use crate::shared::ports::Secret;
use crate::shared::repo::{Page, RepoResult};
use domain::ShopId;
use domain::templates::{ReviewStatus, Template, TemplateCategory, TemplateStatus};

/// The write side, inside a unit of work.
#[async_trait]
pub trait TemplateRepository: Send {
    /// The recorded status of a template (by Meta's id) for a shop, locked.
    async fn lock_status(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<TemplateStatus>>;
    /// Insert or replace the status of the template for its shop, and add it to its history.
    async fn save_status(&mut self, status: &TemplateStatus) -> RepoResult<()>;
    /// The category Meta gave a template (by name and language), if the service knows it.
    async fn category_of(&mut self, shop: ShopId, name: &str, language: &str) -> RepoResult<Option<TemplateCategory>>;
    /// Record the category Meta gave a template. `true` if it changed.
    async fn save_category(&mut self, shop: ShopId, name: &str, language: &str, category: TemplateCategory) -> RepoResult<bool>;
    /// A shop's template by Meta's id, locked.
    async fn lock(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<Template>>;
    /// A shop's templates by Meta's ids, locked (one read for a page of a sync).
    async fn lock_many(&mut self, shop: ShopId, meta_template_ids: &[String]) -> RepoResult<Vec<Template>>;
    /// Insert templates, or replace those with the same Meta id (their own ids kept), each with
    /// whether its status changed (the caller locked it first and knows): a changed status goes
    /// into the history and moves `status_at`. What a template says is replaced.
    async fn save_many(&mut self, templates: &[(Template, bool)]) -> RepoResult<()>;
    /// The shop's templates of this name and language (one per WABA).
    async fn by_name(&mut self, shop: ShopId, name: &str, language: &str) -> RepoResult<Vec<Template>>;
    /// Whether the shop keeps any template of `waba_id`.
    async fn any_on_waba(&mut self, shop: ShopId, waba_id: &str) -> RepoResult<bool>;
    /// Remove a template (and its history). `false` if there was none.
    async fn delete(&mut self, shop: ShopId, id: uuid::Uuid) -> RepoResult<bool>;
}

/// One status a template went through.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub status: String,
    pub reason: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What became of a template's sends (on the numbers of its WABA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateFigures {
    /// Accepted by Meta (they have a wamid).
    pub sent: u64,
    /// Delivered or read.
    pub delivered: u64,
    pub read: u64,
    pub failed: u64,
    /// The customer wrote back within 24 hours of the send.
    pub replied_within_24h: u64,
    /// Meta's pricing in the status webhooks said billable.
    pub billable: u64,
    /// What the billable sends cost by the shop's rate card (its currency and the cost); `None`
    /// when the shop has no card.
    pub cost: Option<(String, domain::billing::Cost)>,
}

/// The read side.
#[async_trait]
pub trait TemplateReads: Send + Sync {
    /// Figures of the sends of `name`/`language` by the shop's numbers on `waba_id`.
    async fn figures(&self, shop: ShopId, waba_id: &str, name: &str, language: &str) -> RepoResult<TemplateFigures>;
    /// The template's billable sends counted by Meta's pricing category and the recipient's
    /// first four digits (enough for any calling code and the markets inside one).
    async fn billable_by_market(&self, shop: ShopId, waba_id: &str, name: &str, language: &str) -> RepoResult<Vec<(String, String, u64)>>;
    /// A page of the shop's templates, by name then language; `status` (lowercase) and a part
    /// of the name narrow it.
    async fn list(&self, shop: ShopId, status: Option<&str>, name: Option<&str>, page: Page) -> RepoResult<(Vec<Template>, u64)>;
    async fn by_id(&self, shop: ShopId, id: uuid::Uuid) -> RepoResult<Option<Template>>;
    /// Its statuses, oldest first.
    async fn history(&self, shop: ShopId, meta_template_id: &str) -> RepoResult<Vec<StatusChange>>;
}

/// What Meta answered a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub id: String,
    pub status: ReviewStatus,
    pub category: Option<TemplateCategory>,
}

/// One page of Meta's template list.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplatePage {
    pub templates: Vec<Value>,
    /// The cursor of the next page, if there is one.
    pub after: Option<String>,
}

/// Meta's template endpoints on a WABA (`/{waba-id}/message_templates`), with its token.
#[async_trait]
pub trait TemplateApi: Send + Sync {
    async fn submit(&self, waba_id: &str, token: &Secret, template: &Value) -> Result<Submitted, CloudApiError>;
    async fn list(&self, waba_id: &str, token: &Secret, after: Option<&str>) -> Result<TemplatePage, CloudApiError>;
    async fn delete(&self, waba_id: &str, token: &Secret, name: &str, meta_template_id: &str) -> Result<(), CloudApiError>;
    /// `POST /{template-id}`: new components (and category) for review.
    async fn edit(&self, meta_template_id: &str, token: &Secret, change: &Value) -> Result<(), CloudApiError>;
}

/// The templates inside a unit of work. (`use` this trait to call `uow.templates()`.)
pub trait TemplatesUnitOfWork {
    fn templates(&mut self) -> &mut dyn TemplateRepository;
}

impl TemplatesUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn templates(&mut self) -> &mut dyn TemplateRepository {
        crate::shared::unit_of_work::repository::<dyn TemplateRepository>(self)
    }
}
