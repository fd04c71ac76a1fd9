//! What the shared extractors and middleware need of a service: its database, its request
//! limits and its cache of API keys. Each service registers one as `Data<WebContext>`.

use motcua_core::ids::UnitId;
use motcua_db::{write_transaction, DbConnection, DbPool};

use std::sync::Arc;

use crate::audit_trail::CheckpointKey;
use crate::auth::KeyCache;
use crate::error::ApiError;
use crate::observe::Metrics;

/// Upper bounds on what a request may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// JSON bodies.
    pub max_body_bytes: usize,
    /// Documents sent as raw bytes (`application/pdf`, packages).
    pub max_document_bytes: usize,
    /// The largest body any route accepts (bulk imports included): what the idempotency layer
    /// may buffer.
    pub max_any_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
            max_any_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }
}

/// 50 MiB: a scanned dossier component or a signed report with its attachments.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 50 * 1024 * 1024;

/// Whether a unit exists, where the service keeps units (keys limited to an unknown unit are
/// refused); a service whose unit ids refer to another system has none.
pub type UnitExists = fn(&mut DbConnection, UnitId) -> motcua_db::DbResult<()>;

pub struct WebContext {
    pub db: DbPool,
    pub limits: Limits,
    /// API keys recently looked up.
    pub keys: KeyCache,
    pub unit_exists: Option<UnitExists>,
    pub metrics: Metrics,
    /// The key that signs audit checkpoints (none: checkpoints are unsigned).
    pub checkpoint_key: Option<Arc<dyn CheckpointKey>>,
}

impl WebContext {
    /// `service` names the service in the metrics (`results`, `reports`).
    pub fn new(service: &str, db: DbPool, limits: Limits, unit_exists: Option<UnitExists>) -> Self {
        Self {
            db,
            limits,
            keys: KeyCache::default(),
            unit_exists,
            metrics: Metrics::new(service),
            checkpoint_key: None,
        }
    }

    /// Signs audit checkpoints with the key `key` finds.
    pub fn with_checkpoint_key(mut self, key: Arc<dyn CheckpointKey>) -> Self {
        self.checkpoint_key = Some(key);
        self
    }

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

    /// Like [`WebContext::read`], inside one write transaction: all of it happens, or none.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, work)).await
    }
}
