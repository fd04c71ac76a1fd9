use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Storage failures, sorted by what the caller should tell its client.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the row; `constraint` names it where the backend says.
    #[error("already exists ({constraint})")]
    Duplicate { constraint: String },
    /// A referenced row does not exist.
    #[error("refers to a record that does not exist ({constraint})")]
    MissingReference { constraint: String },
    /// A CHECK constraint or trigger refused the change.
    #[error("refused by the database: {0}")]
    Refused(String),
    /// The database cannot be reached or the pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let constraint = info
                    .constraint_name()
                    .map(str::to_owned)
                    .unwrap_or_else(|| info.message().to_owned());
                match kind {
                    DatabaseErrorKind::UniqueViolation => DbError::Duplicate { constraint },
                    DatabaseErrorKind::ForeignKeyViolation => {
                        DbError::MissingReference { constraint }
                    }
                    DatabaseErrorKind::CheckViolation | DatabaseErrorKind::NotNullViolation => {
                        DbError::Refused(constraint)
                    }
                    DatabaseErrorKind::ClosedConnection => {
                        DbError::Unavailable(info.message().to_owned())
                    }
                    _ if is_unavailable_message(info.message()) => {
                        DbError::Unavailable(info.message().to_owned())
                    }
                    _ => DbError::Other(info.message().to_owned()),
                }
            }
            DieselError::BrokenTransactionManager => {
                DbError::Unavailable("broken transaction".into())
            }
            other => DbError::Other(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for DbError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        DbError::Unavailable(error.to_string())
    }
}

/// Connection loss and a busy SQLite file are outages, not bugs.
fn is_unavailable_message(message: &str) -> bool {
    const MARKERS: [&str; 5] = [
        "database is locked",
        "server closed the connection",
        "terminating connection",
        "connection refused",
        "no connection to the server",
    ];
    let message = message.to_ascii_lowercase();
    MARKERS.iter().any(|m| message.contains(m))
}
