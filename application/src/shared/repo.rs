//! What every storage port returns.

/// A storage failure. Its `source()` is the error underneath (the database driver's), so a log
/// of the cause chain names what the database said, not only which kind of failure it was.
#[derive(Debug)]
pub enum RepoError {
    /// The database is down or overloaded: transient.
    Unavailable(Cause),
    /// A unique rule refused the write (e.g. the phone number id is already connected).
    Conflict(Cause),
    /// Another transaction changed the same rows first (a stale version, a deadlock, a
    /// concurrent insert of the same key). Running the command again resolves it: the pipeline
    /// does, a few times.
    Concurrency(Cause),
    Corrupt(Cause),
    /// A statement ran past the time the adapter allows it (the inbox's search): narrowing the
    /// request helps, retrying the same one may not.
    TimedOut(Cause),
    Other(Cause),
}

impl RepoError {
    /// What went wrong, with the error underneath if there is one.
    pub fn cause(&self) -> &Cause {
        match self {
            Self::Unavailable(c) | Self::Conflict(c) | Self::Concurrency(c) | Self::Corrupt(c) | Self::TimedOut(c) | Self::Other(c) => c,
        }
    }
}

impl std::fmt::Display for RepoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Unavailable(_) => "storage unavailable",
            Self::Conflict(_) => "conflict",
            Self::Concurrency(_) => "concurrent change",
            Self::Corrupt(_) => "stored data is corrupt",
            Self::TimedOut(_) => "statement timed out",
            Self::Other(_) => "storage error",
        };
        write!(f, "{kind}: {}", self.cause())
    }
}

impl std::error::Error for RepoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause().source()
    }
}

/// Why storage failed: what the adapter was doing or found, and the error underneath, kept
/// whole (not flattened into text) for the cause chain.
#[derive(Debug)]
pub struct Cause {
    text: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Cause {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), source: None }
    }

    /// `text` says what failed; `source` is the error that made it fail.
    pub fn caused_by(text: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self { text: text.into(), source: Some(Box::new(source)) }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The error underneath, if any.
    pub fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<&str> for Cause {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Cause {
    fn from(text: String) -> Self {
        Self::new(text)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[derive(Debug, thiserror::Error)]
    #[error("relation \"customers\" does not exist")]
    struct DriverError;

    #[test]
    fn the_error_underneath_is_the_source_of_the_chain() {
        let e = RepoError::Other(Cause::caused_by("a statement failed", DriverError));
        assert_eq!(e.to_string(), "storage error: a statement failed");
        let source = e.source().expect("the driver's error is kept");
        assert_eq!(source.to_string(), "relation \"customers\" does not exist");
        assert!(source.downcast_ref::<DriverError>().is_some());
    }

    #[test]
    fn a_failure_found_by_the_adapter_itself_has_no_source() {
        let e = RepoError::Concurrency("customers: 1 of 2 rows changed since they were read".into());
        assert_eq!(e.to_string(), "concurrent change: customers: 1 of 2 rows changed since they were read");
        assert!(e.source().is_none());
    }
}
