//! The media context's share of a customer's personal data: the files they sent (their rows
//! become `erased`, their names go, their bytes are removed from the media store after commit).
//! An export lists them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::media::ports::MediaUnitOfWork;
use crate::shared::personal_data::{DataSubject, Erased, PersonalData};
use crate::shared::repo::RepoResult;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{CustomerId, ShopId};

pub struct CustomerFiles {
    pub reads: std::sync::Arc<dyn super::ports::MediaReads>,
}

#[async_trait]
impl PersonalData for CustomerFiles {
    fn context(&self) -> &'static str {
        "media"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["media"]
    }

    async fn erase(&self, uow: &mut dyn UnitOfWork, subject: &DataSubject, now: DateTime<Utc>) -> RepoResult<Erased> {
        let mut files = uow.media().lock_of_customer(subject.shop_id, subject.customer_id).await?;
        for f in &mut files {
            f.erase(now);
        }
        uow.media().save_many(&files).await?;
        let keys: Vec<String> = files.iter().map(|f| f.storage_key()).collect();
        Ok(Erased { counts: vec![("files", keys.len() as u64)], files: keys, ..Erased::default() })
    }

    async fn export(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Option<serde_json::Value>> {
        let files = self.reads.of_customer(shop, customer).await?;
        if files.is_empty() {
            return Ok(None);
        }
        Ok(Some(json!({"files": files.iter().map(|f| json!({
            "id": f.id(), "kind": f.kind().as_str(), "mimeType": f.mime_type(), "size": f.size(),
            "filename": f.filename(), "state": f.state().as_str(), "createdAt": f.created_at()
        })).collect::<Vec<_>>()})))
    }
}
