//! The accounts API: connected WhatsApp numbers.

pub mod dto;
pub mod routes;

/// The context's operations, one entry of the service's spec (`http::Apis`).
pub type Api = routes::AccountsApi;

pub fn api() -> Api {
    routes::AccountsApi
}

use application::Pipeline;
use application::accounts::connect_account::{ConnectAccountError, ConnectAccountService};
use application::accounts::disconnect_account::{DisconnectAccountError, DisconnectAccountHandler};
use application::accounts::get_account::{GetAccountError, GetAccountHandler};
use application::accounts::list_accounts::{ListAccountsError, ListAccountsHandler};
use application::accounts::update_account::{UpdateAccountError, UpdateAccountService};

use super::error::ApiError;
use application::accounts::connect_account::ConnectAccountHandler;
use application::accounts::update_account::UpdateAccountHandler;
use std::sync::Arc;

/// What the accounts routes use, wired once at start-up.
pub struct AccountsHttp {
    pub pipeline: Pipeline,
    pub connect: ConnectAccountService,
    pub update: UpdateAccountService,
    pub disconnect: DisconnectAccountHandler,
    pub get: GetAccountHandler,
    pub list: ListAccountsHandler,
}

/// Meta refused the token for the number: 422 naming `accessToken`.
fn not_verified(e: &application::shared::meta::CloudApiError) -> ApiError {
    ApiError::Unprocessable(crate::http::error::body(
        "NUMBER_NOT_VERIFIED",
        "Meta did not confirm this phone number id for this access token.",
        serde_json::json!({ "field": "accessToken", "metaCode": e.code, "metaTitle": e.title }),
    ))
}

impl From<ConnectAccountError> for ApiError {
    fn from(e: ConnectAccountError) -> Self {
        match e {
            ConnectAccountError::Invalid(i) => i.into(),
            // Says nothing about who has it.
            ConnectAccountError::AlreadyConnected => {
                ApiError::conflict("NUMBER_UNAVAILABLE", "This number cannot be connected to this shop. Contact support if it is yours.")
            }
            ConnectAccountError::NotVerified(e) => not_verified(&e),
            ConnectAccountError::MetaUnavailable(e) => ApiError::whatsapp(&e, None),
            e @ ConnectAccountError::Cipher(_) => ApiError::fault(&e),
            ConnectAccountError::Storage(s) => s.into(),
        }
    }
}

impl From<UpdateAccountError> for ApiError {
    fn from(e: UpdateAccountError) -> Self {
        match e {
            UpdateAccountError::Invalid(i) => i.into(),
            UpdateAccountError::NotFound => ApiError::not_found("account"),
            e @ UpdateAccountError::Disconnected => ApiError::conflict("CONFLICT", e.to_string()),
            UpdateAccountError::NotVerified(e) => not_verified(&e),
            UpdateAccountError::MetaUnavailable(e) => ApiError::whatsapp(&e, None),
            e @ UpdateAccountError::Cipher(_) => ApiError::fault(&e),
            UpdateAccountError::Storage(s) => s.into(),
        }
    }
}

impl From<DisconnectAccountError> for ApiError {
    fn from(e: DisconnectAccountError) -> Self {
        match e {
            DisconnectAccountError::Invalid(i) => i.into(),
            DisconnectAccountError::NotFound => ApiError::not_found("account"),
            e @ DisconnectAccountError::Cipher(_) => ApiError::fault(&e),
            DisconnectAccountError::Storage(s) => s.into(),
        }
    }
}

impl From<GetAccountError> for ApiError {
    fn from(e: GetAccountError) -> Self {
        match e {
            GetAccountError::Invalid(i) => i.into(),
            GetAccountError::NotFound => ApiError::not_found("account"),
            GetAccountError::Storage(s) => s.into(),
        }
    }
}

impl From<ListAccountsError> for ApiError {
    fn from(e: ListAccountsError) -> Self {
        match e {
            ListAccountsError::Invalid(i) => i.into(),
            ListAccountsError::Storage(s) => s.into(),
        }
    }
}

/// This context's HTTP handle, wired from the service's adapters (once, at start-up).
pub fn wire(a: &crate::adapters::Adapters) -> Arc<AccountsHttp> {
    Arc::new(AccountsHttp {
        pipeline: a.pipeline.clone(),
        connect: ConnectAccountService {
            pipeline: a.pipeline.clone(),
            directory: a.cloud.clone(),
            handler: ConnectAccountHandler { clock: a.clock.clone(), cipher: a.cipher.clone() },
        },
        update: UpdateAccountService {
            pipeline: a.pipeline.clone(),
            accounts: a.account_reads.clone(),
            directory: a.cloud.clone(),
            handler: UpdateAccountHandler { clock: a.clock.clone(), cipher: a.cipher.clone() },
        },
        disconnect: DisconnectAccountHandler { clock: a.clock.clone(), cipher: a.cipher.clone() },
        get: GetAccountHandler { reads: a.account_reads.clone() },
        list: ListAccountsHandler { reads: a.account_reads.clone() },
    })
}
