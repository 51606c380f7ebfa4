//! Media: customers' files fetched from Meta and kept in the media store; files shops upload
//! to send; each shop's retention policy.

pub mod apply_retention;
pub mod fetch_media;
pub mod get_media_info;
pub mod get_media_settings;
pub mod memory;
pub mod open_media;
pub mod personal_data;
pub mod ports;
pub mod update_media_settings;
pub mod upload_media;

/// Why a file could not be uploaded to Meta.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MetaUploadError {
    #[error("the number has no token")]
    NoToken,
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] crate::shared::ports::CipherError),
    #[error("Meta refused the file")]
    Meta(#[source] crate::shared::meta::CloudApiError),
    #[error(transparent)]
    Storage(#[from] crate::shared::repo::RepoError),
}
crate::credentials_error!(MetaUploadError);

/// Upload `bytes` to Meta with the number's token (`POST /{phone-number-id}/media`): Meta's id.
pub(crate) async fn upload_to_meta(
    credentials: &dyn crate::accounts::ports::NumberCredentials,
    api: &dyn ports::MediaApi,
    account: &domain::accounts::WhatsAppAccount,
    bytes: bytes::Bytes,
    mime_type: &str,
    filename: Option<&str>,
) -> Result<String, MetaUploadError> {
    let token = credentials.token(account.id()).await?.ok_or(MetaUploadError::NoToken)?;
    let pnid = account.snapshot().phone_number_id.to_string();
    api.upload(&pnid, &token, bytes, mime_type, filename).await.map_err(MetaUploadError::Meta)
}
