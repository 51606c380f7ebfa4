//! GetAccount: one of a shop's numbers.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::AccountReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use domain::accounts::WhatsAppAccount;
use domain::{AccountId, ShopId};

#[derive(Debug, Validate)]
pub struct GetAccount {
    pub shop_id: ShopId,
    pub account_id: AccountId,
}

#[derive(Debug, thiserror::Error)]
pub enum GetAccountError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("account not found")]
    NotFound,
    #[error("could not read the account")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(GetAccountError);

impl Query for GetAccount {
    type Output = WhatsAppAccount;
    type Error = GetAccountError;
    const NAME: &'static str = "GetAccount";
}

pub struct GetAccountHandler {
    pub reads: Arc<dyn AccountReads>,
}

#[async_trait]
impl QueryHandler<GetAccount> for GetAccountHandler {
    async fn handle(&self, q: &GetAccount) -> Result<WhatsAppAccount, GetAccountError> {
        self.reads.account(q.shop_id, q.account_id).await?.ok_or(GetAccountError::NotFound)
    }
}
