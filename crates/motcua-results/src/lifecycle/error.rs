//! Why a dossier change was refused, in the terms of the rules; the routes map it to HTTP
//! (`routes::lifecycle_errors`).

use motcua_db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// A value of the request breaks a rule: which field and why.
    #[error("invalid value of {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A field names a record that does not exist.
    #[error("{0} refers to a record that does not exist")]
    MissingReference(&'static str),
    /// The change does not fit the dossier's current state.
    #[error("{0}")]
    Conflict(String),
    /// Something that the rules never produce from valid records (a bug or corrupt data).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl LifecycleError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Maps "not found" of a referenced record to a refusal naming the field that named it.
    pub fn missing_reference(field: &'static str) -> impl FnOnce(DbError) -> LifecycleError {
        move |error| match error {
            DbError::NotFound => LifecycleError::MissingReference(field),
            other => other.into(),
        }
    }
}
