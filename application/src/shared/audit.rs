//! The audit log: who did what to a shop's data, and when (consent changes, erasures, exports,
//! imports, API keys and numbers). Written in the transaction of the change it records.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::shared::repo::{Page, RepoResult};
use domain::ShopId;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub shop_id: ShopId,
    /// `api-key:<id>`, `platform`, or `system`.
    pub actor: String,
    /// `customer.erased`, `customer.exported`, `customers.imported`, `consent.recorded`, ...
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    /// What the action touched, without personal data.
    pub details: Value,
    pub at: DateTime<Utc>,
    /// The member the actor's key acts for, beside it (set by the trail: see
    /// [`AuditTrail::attribute_to`]).
    pub actor_member_id: Option<domain::MemberId>,
}

impl AuditEntry {
    pub fn new(
        shop_id: ShopId,
        actor: &str,
        action: &str,
        subject_type: &str,
        subject_id: Option<String>,
        details: Value,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            shop_id,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject_type: subject_type.to_owned(),
            subject_id,
            details,
            at,
            actor_member_id: None,
        }
    }
}

/// The write side, inside a unit of work.
#[async_trait]
pub trait AuditTrail: Send {
    /// Every entry recorded in this unit of work is attributed to `member` too (the pipeline
    /// sets the caller's, so that handlers writing their own entries need not know it).
    fn attribute_to(&mut self, member: Option<domain::MemberId>);
    async fn record(&mut self, entries: &[AuditEntry]) -> RepoResult<()>;
}

/// The read side.
#[async_trait]
pub trait AuditReads: Send + Sync {
    /// Newest first, optionally one action only.
    async fn list(&self, shop: ShopId, action: Option<&str>, page: Page) -> RepoResult<(Vec<AuditEntry>, u64)>;
}
