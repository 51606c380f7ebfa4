//! The credentials port's adapter: a number's token, read from the accounts' read side and
//! decrypted with the service's cipher. Wired once at start-up; every use case that calls Meta
//! on a number's behalf holds it.

use std::sync::Arc;

use async_trait::async_trait;

use super::ports::{AccountReads, CredentialsError, NumberCredentials};
use crate::shared::ports::{Secret, SecretCipher};
use domain::AccountId;

pub struct StoredCredentials {
    pub accounts: Arc<dyn AccountReads>,
    pub cipher: Arc<dyn SecretCipher>,
}

#[async_trait]
impl NumberCredentials for StoredCredentials {
    async fn token(&self, account: AccountId) -> Result<Option<Secret>, CredentialsError> {
        let Some(encrypted) = self.accounts.encrypted_token(account).await? else { return Ok(None) };
        let token = self.cipher.decrypt(&encrypted).map_err(CredentialsError::Cipher)?;
        // A disconnected number's token was wiped: it has none.
        Ok(Some(token).filter(|t| !t.expose().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::repo::RepoResult;
    use crate::testing::TestCipher;
    use domain::accounts::WhatsAppAccount;
    use domain::{PhoneNumber, ShopId};

    /// One number's stored (encrypted) token, or none.
    struct OneToken(Option<String>);

    #[async_trait]
    impl AccountReads for OneToken {
        async fn accounts(&self, _: ShopId) -> RepoResult<Vec<WhatsAppAccount>> {
            Ok(Vec::new())
        }
        async fn shops_with_numbers(&self) -> RepoResult<Vec<ShopId>> {
            Ok(Vec::new())
        }
        async fn account(&self, _: ShopId, _: AccountId) -> RepoResult<Option<WhatsAppAccount>> {
            Ok(None)
        }
        async fn by_display_number(&self, _: ShopId, _: &PhoneNumber) -> RepoResult<Option<WhatsAppAccount>> {
            Ok(None)
        }
        async fn encrypted_token(&self, _: AccountId) -> RepoResult<Option<String>> {
            Ok(self.0.clone())
        }
    }

    #[tokio::test]
    async fn a_token_is_decrypted_and_a_wiped_one_is_none() {
        let cipher: Arc<dyn SecretCipher> = Arc::new(TestCipher);
        let with = |stored: Option<String>| StoredCredentials { accounts: Arc::new(OneToken(stored)), cipher: cipher.clone() };
        let stored = cipher.encrypt(&Secret::new("EAAG-token")).unwrap();
        let got = with(Some(stored)).token(AccountId::new()).await.unwrap();
        assert_eq!(got.map(|t| t.expose().to_owned()).as_deref(), Some("EAAG-token"));
        let wiped = cipher.encrypt(&Secret::new("")).unwrap();
        assert!(with(Some(wiped)).token(AccountId::new()).await.unwrap().is_none(), "a disconnected number has none");
        assert!(with(None).token(AccountId::new()).await.unwrap().is_none());
        assert!(matches!(with(Some("garbage".into())).token(AccountId::new()).await, Err(CredentialsError::Cipher(_))));
    }
}
