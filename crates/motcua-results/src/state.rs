//! What every handler shares: the database pool, the configuration and the trust store, and the
//! helpers that run database work off the async threads.

use motcua_db::{write_transaction, DbConnection, DbPool};

use crate::certs::TrustCache;
use crate::config::ResultsConfig;
use crate::error::ApiError;

pub struct AppState {
    pub db: DbPool,
    pub config: ResultsConfig,
    /// The trust store (roots, intermediates, CRLs) in memory, rebuilt when the database's
    /// copy changes.
    pub trust: TrustCache,
}

impl AppState {
    /// Runs blocking database work on the blocking thread pool.
    pub async fn read<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        let pool = self.db.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("database task failed: {e}")))?
    }

    /// Like [`AppState::read`], inside one write transaction: all of it happens, or none.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, work)).await
    }
}
