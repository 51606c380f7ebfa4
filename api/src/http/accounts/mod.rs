//! The accounts API: connected WhatsApp numbers.

pub mod dto;
pub mod routes;

use application::Pipeline;
use application::accounts::connect_account::{ConnectAccountError, ConnectAccountHandler};
use application::accounts::disconnect_account::{DisconnectAccountError, DisconnectAccountHandler};
use application::accounts::get_account::{GetAccountError, GetAccountHandler};
use application::accounts::list_accounts::{ListAccountsError, ListAccountsHandler};
use application::accounts::update_account::{UpdateAccountError, UpdateAccountHandler};

use super::error::ApiError;

/// What the accounts routes use, wired once at start-up.
pub struct AccountsHttp {
    pub pipeline: Pipeline,
    pub connect: ConnectAccountHandler,
    pub update: UpdateAccountHandler,
    pub disconnect: DisconnectAccountHandler,
    pub get: GetAccountHandler,
    pub list: ListAccountsHandler,
}

impl From<ConnectAccountError> for ApiError {
    fn from(e: ConnectAccountError) -> Self {
        match e {
            ConnectAccountError::Invalid(i) => i.into(),
            ConnectAccountError::AlreadyConnected => ApiError::conflict("CONFLICT", "this phone number id is already connected"),
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
