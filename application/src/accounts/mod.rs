//! Accounts: the WhatsApp Business numbers a shop connects.

pub mod connect_account;
pub mod credentials;
pub mod disconnect_account;
pub mod get_account;
pub mod list_accounts;
pub mod ports;
pub mod record_quality_updates;
pub mod routed;
pub mod update_account;

/// Why no number was chosen for a shop's request.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NumberChoice {
    #[error("the shop has no such number")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] crate::shared::error::Invalid),
    #[error(transparent)]
    Storage(#[from] crate::shared::repo::RepoError),
}

/// The number a request names (`accountId`), or the shop's only number.
pub(crate) async fn sending_number(
    accounts: &dyn ports::AccountReads,
    shop: domain::ShopId,
    id: Option<domain::AccountId>,
) -> Result<domain::accounts::WhatsAppAccount, NumberChoice> {
    match id {
        Some(id) => accounts.account(shop, id).await?.ok_or(NumberChoice::NotFound),
        None => {
            let mut all = accounts.accounts(shop).await?;
            match all.len() {
                0 => Err(NumberChoice::NotFound),
                1 => Ok(all.remove(0)),
                _ => Err(crate::shared::error::Invalid::new("accountId", "is required: the shop has several numbers").into()),
            }
        }
    }
}
