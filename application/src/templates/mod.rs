//! Templates: Meta message templates — made, listed, previewed, synced and deleted here; their
//! review status as Meta reports it; and the check every template send passes.

use crate::accounts::ports::AccountsUnitOfWork;

pub mod create_template;
pub mod delete_template;
pub mod edit_template;
pub mod get_template;
pub mod list_templates;
pub mod listed;
pub mod ports;
pub mod preview_template;
pub mod record_template_categories;
pub mod record_template_quality;
pub mod record_template_statuses;
pub mod sync_templates;

/// The shops with a number on `waba`, each once, in order: a WABA-level webhook (a template's
/// status, category or quality) is about every one of them.
pub(crate) async fn shops_on_waba(
    uow: &mut dyn crate::shared::unit_of_work::UnitOfWork,
    waba: &domain::WabaId,
) -> crate::shared::repo::RepoResult<Vec<domain::ShopId>> {
    let mut shops: Vec<domain::ShopId> = uow.accounts().lock_by_waba(waba).await?.iter().map(|a| a.shop_id()).collect();
    shops.sort();
    shops.dedup();
    Ok(shops)
}

/// A connected number of the shop on `waba_id` (its token speaks for the WABA at Meta), if it has
/// one. A disconnected number's token was wiped, so it never speaks for the WABA.
pub(crate) async fn account_on_waba(
    accounts: &dyn crate::accounts::ports::AccountReads,
    shop: domain::ShopId,
    waba_id: &str,
) -> crate::shared::repo::RepoResult<Option<domain::accounts::WhatsAppAccount>> {
    Ok(accounts
        .accounts(shop)
        .await?
        .into_iter()
        .find(|a| a.snapshot().waba_id.to_string() == waba_id && a.status() != domain::accounts::AccountStatus::Disconnected))
}
