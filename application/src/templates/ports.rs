//! Ports of the templates context.

use async_trait::async_trait;

use crate::shared::repo::RepoResult;
use domain::ShopId;
use domain::templates::{TemplateCategory, TemplateStatus};

/// The write side, inside a unit of work.
#[async_trait]
pub trait TemplateRepository: Send {
    /// The recorded status of a template (by Meta's id) for a shop, locked.
    async fn lock_status(&mut self, shop: ShopId, meta_template_id: &str) -> RepoResult<Option<TemplateStatus>>;
    /// Insert or replace the status of the template for its shop.
    async fn save_status(&mut self, status: &TemplateStatus) -> RepoResult<()>;
    /// The category Meta gave a template (by name and language), if the service knows it.
    async fn category_of(&mut self, shop: ShopId, name: &str, language: &str) -> RepoResult<Option<TemplateCategory>>;
    /// Record the category Meta gave a template. `true` if it changed.
    async fn save_category(&mut self, shop: ShopId, name: &str, language: &str, category: TemplateCategory) -> RepoResult<bool>;
}
