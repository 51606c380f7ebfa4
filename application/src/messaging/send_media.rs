//! A send that names our file (`content.mediaId`) goes out with Meta's id of it: the one from
//! the last upload with this number while it is fresh (Meta keeps an upload 30 days), or a new
//! upload of the stored bytes (an old upload, another number, or a customer's file forwarded).
//! Runs before the send's transaction; the send itself then checks everything else.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::BytesMut;
use futures_util::TryStreamExt;

use crate::accounts::ports::{AccountReads, NumberCredentials};
use crate::media::ports::MediaUnitOfWork;
use crate::media::ports::{MediaApi, MediaReads, MediaStore, StoreError};
use crate::media::{MetaUploadError, upload_to_meta};
use crate::shared::error::Invalid;
use crate::shared::meta::CloudApiError;
use crate::shared::pipeline::{Command, CommandHandler, Pipeline};
use crate::shared::ports::{CipherError, Clock};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::messaging::{Media, MessageContent};
use domain::{AccountId, MediaId, ShopId};

#[derive(Debug, thiserror::Error)]
pub enum SendMediaError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("Meta refused the file")]
    Meta(#[source] CloudApiError),
    #[error("the account's token cannot be decrypted")]
    Cipher(#[source] CipherError),
    #[error("the media store failed")]
    Store(#[source] StoreError),
    /// Other files hold the process's file memory (`MEDIA_MEMORY_BYTES`): retry shortly.
    #[error("too many files are in memory; retry shortly")]
    Busy,
    #[error("could not read or record the file")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(SendMediaError);

#[derive(Debug, validator::Validate)]
pub struct RecordReupload {
    pub shop_id: ShopId,
    pub media_id: MediaId,
    pub account_id: AccountId,
    pub meta_media_id: String,
}

impl Command for RecordReupload {
    type Output = ();
    type Error = SendMediaError;
    const NAME: &'static str = "RecordReupload";
}

pub struct RecordReuploadHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<RecordReupload> for RecordReuploadHandler {
    async fn handle(&self, cmd: &RecordReupload, uow: &mut dyn UnitOfWork) -> Result<(), SendMediaError> {
        if let Some(mut file) = uow.media().lock(cmd.shop_id, cmd.media_id).await? {
            file.reuploaded(cmd.account_id, &cmd.meta_media_id, self.clock.now());
            uow.media().save(&file).await?;
        }
        Ok(())
    }
}

pub struct SendMediaService {
    pub pipeline: Pipeline,
    pub reads: Arc<dyn MediaReads>,
    pub accounts: Arc<dyn AccountReads>,
    /// A send named by its conversation: the number it goes out from.
    pub conversations: Arc<dyn crate::messaging::ports::MessagingReads>,
    pub credentials: Arc<dyn NumberCredentials>,
    pub api: Arc<dyn MediaApi>,
    pub store: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
    pub record: RecordReuploadHandler,
    /// Bytes of files in memory at once (shared with uploads and fetches).
    pub memory: crate::media::memory::FileMemory,
}

fn media_of(content: &mut MessageContent) -> Option<&mut Media> {
    match content {
        MessageContent::Image(m)
        | MessageContent::Video(m)
        | MessageContent::Audio(m)
        | MessageContent::Document(m)
        | MessageContent::Sticker(m) => Some(m),
        _ => None,
    }
}

/// Whether `content` names one of our files (`mediaId`).
pub fn names_our_file(content: &mut MessageContent) -> bool {
    media_of(content).is_some_and(|m| m.media_id.is_some())
}

impl SendMediaService {
    /// Fill in Meta's id of the file `content` names by our id. An unknown sender is left to the
    /// send to refuse.
    pub async fn resolve(
        &self,
        ctx: &crate::RequestContext,
        shop: ShopId,
        via: &crate::messaging::via::Via,
        content: &mut MessageContent,
    ) -> Result<(), SendMediaError> {
        let Some(id) = media_of(content).and_then(|m| m.media_id) else { return Ok(()) };
        let file = self.reads.by_id(shop, id).await?.ok_or_else(|| Invalid::new("content.mediaId", "no such file in this shop"))?;
        if !file.is_available() {
            return Err(Invalid::new("content.mediaId", format!("the file is {}", file.state().as_str())).into());
        }
        let sent_as = content.type_name();
        if sent_as != file.kind().as_str() {
            return Err(Invalid::new("content.type", format!("the file is a {}, not a {sent_as}", file.kind().as_str())).into());
        }
        use crate::messaging::via::Via;
        // The number it goes out from (none: the send itself refuses it).
        let account = match via {
            Via::Numbers { from, .. } => self.accounts.by_display_number(shop, from).await?,
            Via::Account { account, .. } => self.accounts.account(shop, *account).await?,
            Via::Conversation(id) => match self.conversations.conversation(shop, *id).await? {
                Some(c) => self.accounts.account(shop, c.account_id()).await?,
                None => None,
            },
        };
        let Some(account) = account else { return Ok(()) };
        let now = self.clock.now();
        let meta_id = match file.meta_id_for(account.id(), now) {
            Some(m) => m.to_owned(),
            None => {
                let _held = self.memory.try_hold(file.size().unwrap_or(domain::media::rules::LARGEST)).ok_or(SendMediaError::Busy)?;
                let stored = self.store.get(&file.storage_key(), None).await.map_err(SendMediaError::Store)?;
                let bytes: BytesMut = stored
                    .body
                    .try_fold(BytesMut::new(), |mut acc, b| async move {
                        acc.extend_from_slice(&b);
                        Ok(acc)
                    })
                    .await
                    .map_err(SendMediaError::Store)?;
                let mime = file.mime_type().unwrap_or("application/octet-stream");
                let meta_id = upload_to_meta(self.credentials.as_ref(), self.api.as_ref(), &account, bytes.freeze(), mime, file.filename())
                    .await
                    .map_err(|e| match e {
                        MetaUploadError::NoToken => SendMediaError::Storage(RepoError::Other("the number has no token".into())),
                        MetaUploadError::Cipher(c) => SendMediaError::Cipher(c),
                        MetaUploadError::Meta(m) => SendMediaError::Meta(m),
                        MetaUploadError::Storage(s) => SendMediaError::Storage(s),
                    })?;
                let record = RecordReupload { shop_id: shop, media_id: id, account_id: account.id(), meta_media_id: meta_id.clone() };
                self.pipeline.execute(ctx, &self.record, record).await?;
                meta_id
            }
        };
        if let Some(m) = media_of(content) {
            m.id = Some(meta_id);
        }
        Ok(())
    }
}
