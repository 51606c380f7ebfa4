//! Events of the templates context.

use serde::Serialize;

use crate::ShopId;
use crate::shared::events::EventPayload;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateStatusUpdated {
    pub shop_id: ShopId,
    pub waba_id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub status: String,
    pub previous_status: Option<String>,
    pub reason: Option<String>,
    /// What Meta reported (lowercase): mostly the status itself, but `flagged` leaves a
    /// template `approved` (at risk of being disabled), `reinstated` makes it `approved` again,
    /// and `locked` / `unlocked` keep the status.
    pub meta_event: String,
}

impl EventPayload for TemplateStatusUpdated {
    const TYPE: &'static str = "template.status.updated";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.template_id.clone()
    }
}

/// A template was submitted to Meta by the service (Meta's review follows).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateCreated {
    pub shop_id: ShopId,
    pub id: uuid::Uuid,
    pub waba_id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub category: String,
    pub status: String,
}

impl EventPayload for TemplateCreated {
    const TYPE: &'static str = "template.created";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.template_id.clone()
    }
}

/// Meta changed a template's quality score (`message_template_quality_update`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateQualityUpdated {
    pub shop_id: ShopId,
    pub waba_id: String,
    pub template_id: String,
    pub template_name: String,
    pub language: String,
    pub quality: String,
    pub previous_quality: Option<String>,
}

impl EventPayload for TemplateQualityUpdated {
    const TYPE: &'static str = "template.quality.updated";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.template_id.clone()
    }
}

crate::context_events! {
    /// What happens to a shop's message templates.
    pub enum TemplateEvent { TemplateStatusUpdated, TemplateCreated, TemplateQualityUpdated }
}
