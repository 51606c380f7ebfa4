//! UploadMedia: a file the shop will send. Checked against Meta's rules (kind, type, content,
//! size), uploaded to Meta with the sending number (`POST /{phone-number-id}/media`), put in the
//! media store, then recorded. Sends refer to it by our id (`content.mediaId`). Nothing is kept
//! half-way: a refusal stores nothing, and a failed record removes the stored bytes.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::ports::{MediaApi, MediaStore, StoreError};
use super::{MetaUploadError, upload_to_meta};
use crate::accounts::ports::{AccountReads, NumberCredentials};
use crate::accounts::{NumberChoice, sending_number};
use crate::media::ports::MediaUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Audited, Command, CommandHandler, Pipeline};
use crate::shared::ports::{CipherError, Clock};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::media::{MediaFile, MediaProblem, check_upload};
use domain::{AccountId, ShopId};

pub struct UploadMedia {
    pub shop_id: ShopId,
    /// The number that will send it; the shop's only number when absent.
    pub account_id: Option<AccountId>,
    /// `image`, `video`, `audio`, `document` or `sticker`; from the type when absent.
    pub kind: Option<String>,
    pub mime_type: Option<String>,
    pub filename: Option<String>,
    pub bytes: Bytes,
}

impl fmt::Debug for UploadMedia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadMedia")
            .field("shop_id", &self.shop_id)
            .field("kind", &self.kind)
            .field("mime_type", &self.mime_type)
            .field("size", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadMediaError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Refused(MediaProblem),
    #[error("the shop has no such number")]
    AccountNotFound,
    #[error("Meta refused the file")]
    Meta(#[source] CloudApiError),
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] CipherError),
    #[error("the media store failed")]
    Store(#[source] StoreError),
    #[error("could not record the file")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UploadMediaError);

/// Record the uploaded file (the last step, in one transaction).
#[derive(Debug, validator::Validate)]
pub struct RecordUpload {
    pub file: MediaFile,
}

impl Command for RecordUpload {
    type Output = MediaFile;
    type Error = UploadMediaError;
    const NAME: &'static str = "RecordUpload";
    fn audit(&self, out: &MediaFile) -> Option<Audited> {
        Some(Audited {
            shop_id: out.shop_id(),
            action: "media.uploaded",
            subject_type: "media",
            subject_id: Some(out.id().to_string()),
            details: json!({"kind": out.kind().as_str(), "mimeType": out.mime_type(), "size": out.size()}),
        })
    }
}

pub struct RecordUploadHandler;

#[async_trait]
impl CommandHandler<RecordUpload> for RecordUploadHandler {
    async fn handle(&self, cmd: &RecordUpload, uow: &mut dyn UnitOfWork) -> Result<MediaFile, UploadMediaError> {
        uow.media().insert_many(std::slice::from_ref(&cmd.file)).await?;
        Ok(cmd.file.clone())
    }
}

pub struct UploadMediaService {
    pub pipeline: Pipeline,
    pub accounts: Arc<dyn AccountReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub api: Arc<dyn MediaApi>,
    pub store: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
}

impl UploadMediaService {
    #[tracing::instrument(name = "upload_media", skip_all, fields(request_id = %ctx.request_id))]
    pub async fn run(&self, ctx: &crate::RequestContext, cmd: UploadMedia) -> Result<MediaFile, UploadMediaError> {
        let checked = check_upload(cmd.kind.as_deref(), cmd.mime_type.as_deref(), cmd.filename.as_deref(), &cmd.bytes)
            .map_err(UploadMediaError::Refused)?;
        let account = sending_number(self.accounts.as_ref(), cmd.shop_id, cmd.account_id).await.map_err(|e| match e {
            NumberChoice::NotFound => UploadMediaError::AccountNotFound,
            NumberChoice::Invalid(i) => i.into(),
            NumberChoice::Storage(s) => s.into(),
        })?;
        let sha256 = hex::encode(Sha256::digest(&cmd.bytes));
        let size = cmd.bytes.len() as u64;
        let meta_id = upload_to_meta(
            self.credentials.as_ref(),
            self.api.as_ref(),
            &account,
            cmd.bytes.clone(),
            &checked.mime_type,
            cmd.filename.as_deref(),
        )
        .await
        .map_err(|e| match e {
            MetaUploadError::NoToken => UploadMediaError::AccountNotFound,
            MetaUploadError::Cipher(c) => UploadMediaError::Cipher(c),
            MetaUploadError::Meta(m) => UploadMediaError::Meta(m),
            MetaUploadError::Storage(s) => UploadMediaError::Storage(s),
        })?;
        let file = MediaFile::uploaded(
            cmd.shop_id,
            account.id(),
            checked.kind,
            &checked.mime_type,
            cmd.filename.clone(),
            size,
            &sha256,
            &meta_id,
            self.clock.now(),
        );
        let key = file.storage_key();
        self.store.put(&key, cmd.bytes).await.map_err(UploadMediaError::Store)?;
        let recorded = self.pipeline.execute(ctx, &RecordUploadHandler, RecordUpload { file }).await;
        if recorded.is_err()
            && let Err(e) = self.store.delete(&key).await
        {
            tracing::warn!(%key, error = %crate::Chain(&e), "an upload that was not recorded could not be removed from the store");
        }
        recorded
    }
}
