//! Events of the media context.

use serde::Serialize;

use crate::shared::events::EventPayload;
use crate::{MediaId, MessageId, ShopId};

/// A customer's file was fetched from Meta, checked and stored: `GET /api/v1/media/{mediaId}`
/// serves it from now on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaStored {
    pub shop_id: ShopId,
    pub media_id: MediaId,
    pub message_id: Option<MessageId>,
    pub kind: String,
    pub mime_type: Option<String>,
    pub size: u64,
}

impl EventPayload for MediaStored {
    const TYPE: &'static str = "media.stored";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.media_id.to_string()
    }
}

/// A customer's file could not be fetched from Meta, after every retry or for good.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFailed {
    pub shop_id: ShopId,
    pub media_id: MediaId,
    pub message_id: Option<MessageId>,
    pub attempts: u32,
    pub reason: String,
}

impl EventPayload for MediaFailed {
    const TYPE: &'static str = "media.failed";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.media_id.to_string()
    }
}

crate::context_events! {
    /// What happens to the files customers send.
    pub enum MediaEvent { MediaStored, MediaFailed }
}
