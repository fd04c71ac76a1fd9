//! What the shared extractors and middleware need of a service: its database, its request
//! limits and its cache of API keys. Each service registers one as `Data<WebContext>`.

use motcua_core::record_ids::UnitId;
use motcua_db::{write_transaction, DbConnection, DbPool};

use crate::answer::Answer;
use crate::auth::KeyCache;
use crate::error::ApiError;
use crate::limits::{Limits, ServerLimits, SignatureJobs, VerificationLimits};
use crate::observe::Metrics;

/// Whether a unit exists, where the service keeps units (keys limited to an unknown unit are
/// refused); a service whose unit ids refer to another system has none.
pub type UnitExists = fn(&mut DbConnection, UnitId) -> motcua_db::DbResult<()>;

pub struct WebContext {
    /// `results` or `reports`.
    pub service: String,
    pub db: DbPool,
    pub limits: Limits,
    /// API keys recently looked up.
    pub keys: KeyCache,
    pub unit_exists: Option<UnitExists>,
    pub metrics: Metrics,
    /// Slots for signing and verifying.
    pub signature_jobs: SignatureJobs,
    /// What one verification may take.
    pub verification: VerificationLimits,
    /// The base URL clients reach the service at, when configured: `Location` headers are
    /// built from it (see [`crate::location`]).
    pub public_url: Option<String>,
}

impl WebContext {
    /// `service` names the service in the metrics (`results`, `reports`).
    pub fn new(service: &str, db: DbPool, limits: Limits, unit_exists: Option<UnitExists>) -> Self {
        Self {
            service: service.to_owned(),
            db,
            limits,
            keys: KeyCache::default(),
            unit_exists,
            metrics: Metrics::new(service),
            signature_jobs: signature_jobs(&ServerLimits::default()),
            verification: VerificationLimits::default(),
            public_url: None,
        }
    }

    /// `Location` headers start with `public_url` instead of the request's scheme and host.
    pub fn with_public_url(mut self, public_url: Option<String>) -> Self {
        self.public_url = public_url;
        self
    }

    /// Caps signature work and verifications as `limits` say.
    pub fn with_server_limits(mut self, limits: &ServerLimits) -> Self {
        self.signature_jobs = signature_jobs(limits);
        self.verification = limits.verification;
        self
    }

    /// Waits for a signature slot (see [`SignatureJobs::slot`]).
    pub async fn signature_slot(&self) -> Result<crate::limits::SignatureSlot, ApiError> {
        self.signature_jobs.slot().await
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
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Like [`WebContext::read`], inside one write transaction: all of it happens, or none.
    pub async fn write<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, work)).await
    }

    /// Like [`WebContext::write`] for a POST that changes something: `work` builds the answer
    /// inside the transaction, and when the request has an `Idempotency-Key` the answer is kept
    /// in that same transaction (see [`crate::idempotency`]).
    pub async fn write_answer<F>(&self, work: F) -> Result<Answer, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<Answer, ApiError> + Send + 'static,
    {
        crate::idempotency::write_answer(self, work).await
    }
}

fn signature_jobs(limits: &ServerLimits) -> SignatureJobs {
    SignatureJobs::new(limits.max_signature_jobs, limits.signature_queue_timeout)
}
