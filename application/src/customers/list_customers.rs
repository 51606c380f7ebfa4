//! GetCustomersQuery: a shop's customers, filtered (text, tags any/all, custom field values,
//! consent, last inbound, window open, first contact), sorted and paginated. The filter is an
//! audience (`domain::customers::Group`), the same a segment saves.

use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::ports::{CustomerReads, CustomerSort};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::{Page, Paged, RepoError};
use domain::ShopId;
use domain::customers::audience::field_condition;
use domain::customers::{Condition, Customer, Group, OptInStatus, Purpose, TimeRange};

/// The list's filters as a client gives them; all must hold.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Part of a name, `waId` or `userId`, case-insensitive.
    pub search: Option<String>,
    pub tags: Vec<String>,
    /// All of `tags` (else any).
    pub all_tags: bool,
    /// `key:op[:value]`: `tier:equals:gold`, `orders:gt:3`, `birthday:between:2020-01-01,2020-12-31`,
    /// `code:set`, `code:unset`, `name:contains:ana`.
    pub fields: Vec<String>,
    /// `purpose:status`: `marketing:opted_in`.
    pub consent: Vec<String>,
    pub last_inbound: TimeRange,
    pub first_contact: TimeRange,
    pub window_open: Option<bool>,
}

#[derive(Debug, Validate)]
pub struct ListCustomers {
    pub shop_id: ShopId,
    pub filter: CustomerFilter,
    pub sort: CustomerSort,
    #[validate(range(min = 1, max = 200, message = "must be 1 to 200"))]
    pub limit: u64,
    #[validate(range(max = 1_000_000, message = "must be at most 1000000"))]
    pub offset: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ListCustomersError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not read the customers")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ListCustomersError);

impl Query for ListCustomers {
    type Output = Paged<Customer>;
    type Error = ListCustomersError;
    const NAME: &'static str = "GetCustomers";
}

pub struct ListCustomersHandler {
    pub reads: Arc<dyn CustomerReads>,
    pub clock: Arc<dyn Clock>,
}

/// The audience the filters describe (field conditions resolved against the shop's fields).
pub async fn audience_of(reads: &dyn CustomerReads, shop: ShopId, f: &CustomerFilter) -> Result<Group, ListCustomersError> {
    let mut conditions = Vec::new();
    if let Some(s) = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        conditions.push(Condition::Search(s.to_owned()));
    }
    if !f.tags.is_empty() {
        let mut tags: Vec<String> = f.tags.iter().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()).collect();
        tags.dedup();
        if tags.len() > 100 || tags.iter().any(|t| t.chars().count() > 64) {
            return Err(Invalid::new("tag", "at most 100 tags of 64 characters").into());
        }
        conditions.push(Condition::Tags { all: f.all_tags, tags });
    }
    if f.fields.iter().any(|f| !f.trim().is_empty()) {
        let defs = reads.field_definitions(shop).await?;
        for raw in f.fields.iter().filter(|f| !f.trim().is_empty()) {
            let mut parts = raw.splitn(3, ':');
            let (key, op, value) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next());
            let value = value.map(|v| serde_json::Value::String(v.to_owned()));
            let c = field_condition(&defs, "field", key, op, value.as_ref())
                .map_err(|e| Invalid::new(e.field, format!("{raw}: {}", e.reason)))?;
            conditions.push(c);
        }
    }
    for raw in f.consent.iter().filter(|c| !c.trim().is_empty()) {
        let parsed = raw.split_once(':').and_then(|(p, s)| Some((Purpose::parse(p)?, OptInStatus::parse(s)?)));
        let (purpose, status) = parsed.ok_or_else(|| Invalid::new("consent", format!("{raw}: purpose:status, e.g. marketing:opted_in")))?;
        conditions.push(Condition::Consent { purpose, status });
    }
    if f.last_inbound != TimeRange::default() {
        conditions.push(Condition::LastInbound(f.last_inbound));
    }
    if f.first_contact != TimeRange::default() {
        conditions.push(Condition::FirstContact(f.first_contact));
    }
    if let Some(open) = f.window_open {
        conditions.push(Condition::WindowOpen(open));
    }
    Ok(Group { any: false, conditions })
}

#[async_trait]
impl QueryHandler<ListCustomers> for ListCustomersHandler {
    async fn handle(&self, q: &ListCustomers) -> Result<Paged<Customer>, ListCustomersError> {
        let audience = audience_of(self.reads.as_ref(), q.shop_id, &q.filter).await?;
        let page = Page { limit: q.limit, offset: q.offset };
        let (items, total) = self.reads.list(q.shop_id, &audience, q.sort, page, self.clock.now()).await?;
        Ok(Paged::new(items, total, page))
    }
}
