//! Errors shared by every use case. Each use case has its own error enum (in its file); they
//! all carry [`Invalid`] for bad input and [`RepoError`] for storage trouble, which the
//! pipeline needs to see. Nothing here knows about HTTP: `api` maps each enum.

use crate::shared::repo::RepoError;

/// Bad input, naming the field as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl From<validator::ValidationErrors> for Invalid {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields: Vec<_> = errors.field_errors().into_iter().collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields
            .into_iter()
            .next()
            .map(|(field, errs)| {
                let msg = errs
                    .first()
                    .and_then(|e| e.message.as_ref().map(|m| m.to_string()))
                    .unwrap_or_else(|| errs.first().map(|e| e.code.to_string()).unwrap_or_else(|| "is invalid".into()));
                Invalid::new(field.to_string(), msg)
            })
            .unwrap_or_else(|| Invalid::new("request", "is invalid"))
    }
}

/// What the pipeline needs from a use case's error: turn bad input and storage failures into
/// it, and see the storage failure again (to retry a conflict, and to log faults loudly).
pub trait UseCaseError: std::error::Error + From<Invalid> + From<RepoError> + Send + Sync + 'static {
    fn storage(&self) -> Option<&RepoError>;
    /// The storage failure itself, or the error back (to pass a nested use case's storage
    /// failure on unchanged).
    fn into_storage(self) -> Result<RepoError, Self>
    where
        Self: Sized;
}

/// Implements [`UseCaseError`] for an enum with `Invalid(#[from] Invalid)` and
/// `Storage(#[from] RepoError)` variants.
#[macro_export]
macro_rules! use_case_error {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::shared::error::UseCaseError for $t {
            fn storage(&self) -> Option<&$crate::shared::repo::RepoError> {
                match self {
                    Self::Storage(e) => Some(e),
                    _ => None,
                }
            }
            fn into_storage(self) -> Result<$crate::shared::repo::RepoError, Self> {
                match self {
                    Self::Storage(e) => Ok(e),
                    other => Err(other),
                }
            }
        }
    )*};
}

/// Shows an error and every source under it on one line (`what: why: why underneath`), for
/// logs: `tracing::warn!(error = %Chain(&e), "…")`. An error's own `Display` names only its
/// level (a use case's "could not tag the customer"); the database's words are further down.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::repo::Cause;

    #[derive(Debug, thiserror::Error)]
    #[error("deadlock detected")]
    struct DriverError;

    #[derive(Debug, thiserror::Error)]
    enum TagError {
        #[error("could not tag the customer")]
        Storage(#[from] RepoError),
    }

    #[test]
    fn a_chain_names_every_level_down_to_the_database() {
        let e = TagError::from(RepoError::Concurrency(Cause::caused_by("the database saw a concurrent change", DriverError)));
        assert_eq!(
            Chain(&e).to_string(),
            "could not tag the customer: concurrent change: the database saw a concurrent change: deadlock detected"
        );
    }
}
