//! Ports of the accounts context.

use async_trait::async_trait;

use crate::shared::repo::RepoResult;
use domain::accounts::WhatsAppAccount;
use domain::{AccountId, PhoneNumber, PhoneNumberId, ShopId, WabaId};

/// The write side, inside a unit of work. `lock_*` loads lock the rows until commit.
#[async_trait]
pub trait AccountRepository: Send {
    /// `RepoError::Conflict` if the phone number id is already connected.
    async fn insert(&mut self, account: &WhatsAppAccount, encrypted_token: &str) -> RepoResult<()>;
    /// Version-checked (`RepoError::Concurrency` if it changed since it was loaded). A token,
    /// when given, replaces the stored one.
    async fn update(&mut self, account: &WhatsAppAccount, encrypted_token: Option<&str>) -> RepoResult<()>;
    async fn lock(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>>;
    /// Meta's phone number ids are global, so this lookup is not shop-scoped.
    async fn lock_by_phone_number_id(&mut self, id: &PhoneNumberId) -> RepoResult<Option<WhatsAppAccount>>;
    /// Every connected number of a WABA (WABA-level webhook fields are routed by `entry.id`).
    async fn lock_by_waba(&mut self, waba: &WabaId) -> RepoResult<Vec<WhatsAppAccount>>;
    /// Webhook routing, without locking: the accounts with these phone number ids.
    async fn find_by_phone_number_ids(&mut self, ids: &[PhoneNumberId]) -> RepoResult<Vec<WhatsAppAccount>>;
    /// A connected (not disconnected) number of the shop, without locking.
    async fn find_by_display_number(&mut self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>>;
    /// One of the shop's numbers, without locking.
    async fn find(&mut self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>>;
}

/// The read side.
#[async_trait]
pub trait AccountReads: Send + Sync {
    async fn accounts(&self, shop: ShopId) -> RepoResult<Vec<WhatsAppAccount>>;
    /// Every shop with a number that is not disconnected (for jobs that visit each shop).
    async fn shops_with_numbers(&self) -> RepoResult<Vec<ShopId>>;
    async fn account(&self, shop: ShopId, id: AccountId) -> RepoResult<Option<WhatsAppAccount>>;
    /// A connected (not disconnected) number of the shop.
    async fn by_display_number(&self, shop: ShopId, number: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>>;
    /// The encrypted access token of an account.
    async fn encrypted_token(&self, id: AccountId) -> RepoResult<Option<String>>;
}

/// What Meta says about a phone number id, asked with the token a shop presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNumber {
    /// As Meta formats it (`+1 555-000-1111`), when it says.
    pub display_phone_number: Option<String>,
}

/// Meta's directory of phone numbers (`GET /{phone-number-id}`): proves that a token may use a
/// number before a shop connects it.
#[async_trait::async_trait]
pub trait NumberDirectory: Send + Sync {
    async fn verify_number(
        &self,
        phone_number_id: &domain::PhoneNumberId,
        token: &crate::shared::ports::Secret,
    ) -> Result<VerifiedNumber, crate::shared::meta::CloudApiError>;
}

/// `From<CredentialsError>` for a use case's error enum that has `Storage(RepoError)` and
/// `Cipher(CipherError)` variants, so `?` passes a failure to read a token on.
#[macro_export]
macro_rules! credentials_error {
    ($error:ty) => {
        impl From<$crate::accounts::ports::CredentialsError> for $error {
            fn from(e: $crate::accounts::ports::CredentialsError) -> Self {
                match e {
                    $crate::accounts::ports::CredentialsError::Storage(s) => Self::Storage(s),
                    $crate::accounts::ports::CredentialsError::Cipher(c) => Self::Cipher(c),
                }
            }
        }
    };
}

/// Why a number's credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(transparent)]
    Storage(#[from] crate::shared::repo::RepoError),
    #[error("the number's token cannot be decrypted")]
    Cipher(#[source] crate::shared::ports::CipherError),
}

/// A number's credentials for Meta: its token, read and decrypted (never logged). Every use case
/// that calls Meta on a number's behalf asks here, and maps "no token" (the number was
/// disconnected and its token wiped) to its own answer.
#[async_trait]
pub trait NumberCredentials: Send + Sync {
    /// The number's token; `None` when it has none.
    async fn token(&self, account: AccountId) -> Result<Option<crate::shared::ports::Secret>, CredentialsError>;

    /// The number's id and token, for a call on its behalf; `None` when it has no token.
    async fn of(&self, account: &WhatsAppAccount) -> Result<Option<crate::shared::meta::SenderCredentials>, CredentialsError> {
        Ok(self.token(account.id()).await?.map(|access_token| crate::shared::meta::SenderCredentials {
            phone_number_id: account.phone_number_id().clone(),
            access_token,
        }))
    }
}

/// The numbers inside a unit of work. (`use` this trait to call `uow.accounts()`.)
pub trait AccountsUnitOfWork {
    fn accounts(&mut self) -> &mut dyn AccountRepository;
}

impl AccountsUnitOfWork for dyn crate::shared::unit_of_work::UnitOfWork + '_ {
    fn accounts(&mut self) -> &mut dyn AccountRepository {
        crate::shared::unit_of_work::repository::<dyn AccountRepository>(self)
    }
}
