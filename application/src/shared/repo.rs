//! What every storage port returns.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The database is down or overloaded: transient.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A unique rule refused the write (e.g. the phone number id is already connected).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Another transaction changed the same rows first (a stale version, a deadlock, a
    /// concurrent insert of the same key). Running the command again resolves it: the pipeline
    /// does, a few times.
    #[error("concurrent change: {0}")]
    Concurrency(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("storage error: {0}")]
    Other(String),
}

pub type RepoResult<T> = Result<T, RepoError>;

/// A page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u64,
    pub offset: u64,
}

/// A page of items and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub has_more: bool,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, total: u64, page: Page) -> Self {
        let has_more = page.offset + (items.len() as u64) < total;
        Self { items, total, has_more }
    }
}
