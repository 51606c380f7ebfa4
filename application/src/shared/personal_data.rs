//! A customer's personal data, as each context holds it: the port every context with personal
//! data implements for its own tables, and that the privacy context runs (an erasure in one
//! transaction; an export's sections). In the shared kernel, so that implementing it imports no
//! other context.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::shared::repo::RepoResult;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{CustomerId, Events, ShopId, WaId};

/// The customer whose personal data is erased.
#[derive(Debug, Clone)]
pub struct DataSubject {
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    /// The customer's number until now.
    pub wa_id: WaId,
    /// What the number becomes everywhere (a keyed pseudonym, so an opt-out still recognises it).
    pub pseudonym: WaId,
}

/// What one context erased.
#[derive(Debug, Default)]
pub struct Erased {
    /// What to count in the erasure's audit entry (`("messages", 12)`); never personal data.
    pub counts: Vec<(&'static str, u64)>,
    /// Bytes kept outside the database, removed once the transaction committed (media store keys).
    pub files: Vec<String>,
    pub events: Events,
}

/// One context's share of a customer's personal data. Implemented by each context for its own
/// tables, and run by the privacy use cases in the order they are given (the house's lock order:
/// customers, then conversations, then messages, then the rest).
#[async_trait]
pub trait PersonalData: Send + Sync {
    /// The context, as the export's section and the audit entry name it.
    fn context(&self) -> &'static str;
    /// The tables holding a customer's data that `erase` answers for (a test checks that every
    /// table referring to a customer is covered by one context, kept on purpose, or pruned).
    fn tables(&self) -> &'static [&'static str];
    /// Erase what this context holds about the subject, inside the erasure's transaction.
    async fn erase(&self, uow: &mut dyn UnitOfWork, subject: &DataSubject, now: DateTime<Utc>) -> RepoResult<Erased>;
    /// What this context holds about the customer beyond the export's own sections (profile,
    /// consent, conversations, messages), as JSON; `None` when it has nothing to add.
    async fn export(&self, _shop: ShopId, _customer: CustomerId) -> RepoResult<Option<serde_json::Value>> {
        Ok(None)
    }
}
