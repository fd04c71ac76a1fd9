//! Archive renewal, shared by both services: every stored archival record (electronic results,
//! issued reports) is walked in key order, in batches; those whose newest document timestamp
//! is missing, made with a retired hash or about to lose its authority's certificate get a new
//! one through [`Archival::renew`]. Each renewed document is written in its own short
//! transaction, only if it has not changed since it was read, with an audit record. A run can
//! be stopped at any point: the next one finds the renewed documents not in need and goes on.

mod endpoint;
mod settings;
mod stored;

use chrono::{DateTime, Utc};
use motcua_core::record_ids::ApiKeyId;
use motcua_db::audit::{self, NewAuditEvent};
use motcua_db::{write_transaction, DbConnection, DbPool};
use motcua_pki::pades::{renewal_need, RenewalNeed};
use motcua_pki::TrustStore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use self::endpoint::{RenewalRequest, MAX_RENEWALS_PER_REQUEST};
pub use self::settings::{ArchiveSettings, DEFAULT_MARGIN_DAYS};
pub use self::stored::ArchiveService;
use self::stored::{count_after, page, replace_if_unchanged, Position, StoredDocument};
use crate::archival::Archival;
use crate::error::ApiError;

/// Documents read (and held in memory) at a time.
const BATCH: i64 = 100;

/// How many stored documents need what, at the time of asking.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ArchiveStatus {
    /// Documents stored.
    pub total: u64,
    pub not_needed: u64,
    /// Signed documents without any document timestamp yet.
    pub no_document_timestamp: u64,
    /// Documents whose newest document timestamp's authority certificate ends within the margin.
    pub authority_expiring: u64,
    /// Documents whose newest document timestamp uses a retired hash algorithm.
    pub hash_retired: u64,
    /// Documents whose signatures or timestamps cannot be read.
    pub unreadable: u64,
}

impl ArchiveStatus {
    fn count(&mut self, need: &Result<RenewalNeed, String>) {
        self.total += 1;
        let counter = match need {
            Ok(RenewalNeed::NotNeeded) => &mut self.not_needed,
            Ok(RenewalNeed::NoDocumentTimestamp) => &mut self.no_document_timestamp,
            Ok(RenewalNeed::AuthorityExpiring { .. }) => &mut self.authority_expiring,
            Ok(RenewalNeed::HashRetired { .. }) => &mut self.hash_retired,
            Err(_) => &mut self.unreadable,
        };
        *counter += 1;
    }
}

/// A document that could not be renewed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RenewalFailure {
    /// The dossier id of a result, the report id of a report.
    pub object_id: String,
    pub reason: String,
}

/// What a renewal run has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RenewalProgress {
    /// Documents read and judged.
    pub examined: u64,
    /// Documents given a new document timestamp and written back.
    pub renewed: u64,
    /// Documents that needed nothing.
    pub not_needed: u64,
    /// Documents changed by someone else between read and write: left for the next run.
    pub skipped_changed: u64,
    /// Documents that could not be read or renewed.
    pub failed: Vec<RenewalFailure>,
    /// Documents not examined because the run stopped at its limit.
    pub remaining: u64,
}

impl RenewalProgress {
    /// Renewals attempted (renewed, skipped or failed): what `limit` bounds.
    fn attempts(&self) -> u64 {
        self.renewed + self.skipped_changed + self.failed.len() as u64
    }
}

/// Who runs a renewal, for its audit records.
#[derive(Debug, Clone)]
pub struct RenewalBy {
    pub key_id: Option<ApiKeyId>,
    pub name: String,
    pub request_id: String,
}

/// One renewal run over the documents of `service`.
pub struct RenewalRun<'a> {
    pub db: &'a DbPool,
    pub service: ArchiveService,
    pub archival: &'a Archival,
    /// Chains of signers and authorities are built from it.
    pub store: &'a TrustStore,
    pub settings: &'a ArchiveSettings,
    pub by: RenewalBy,
}

/// Counts the stored documents of `service` by what they need at `now`.
pub async fn status(
    db: &DbPool,
    service: ArchiveService,
    settings: &ArchiveSettings,
    now: DateTime<Utc>,
) -> Result<ArchiveStatus, ApiError> {
    let mut status = ArchiveStatus::default();
    let mut after = None;
    loop {
        let batch = judged_batch(db, service, settings, now, after.clone()).await?;
        let Some((last, _)) = batch.last() else {
            return Ok(status);
        };
        after = Some(last.position.clone());
        for (_, need) in &batch {
            status.count(need);
        }
    }
}

impl RenewalRun<'_> {
    /// Renews what needs it, at most `limit` renewals (none: all), reporting after each batch.
    pub async fn run(
        &self,
        limit: Option<u64>,
        mut report: impl FnMut(&RenewalProgress),
    ) -> Result<RenewalProgress, ApiError> {
        require_authority(self.archival)?;
        let mut progress = RenewalProgress::default();
        let mut after = None;
        loop {
            let now = Utc::now();
            let batch =
                judged_batch(self.db, self.service, self.settings, now, after.clone()).await?;
            if batch.is_empty() {
                return Ok(progress);
            }
            for (document, need) in batch {
                if limit.is_some_and(|limit| progress.attempts() >= limit) {
                    progress.remaining = self.count_after(after).await?;
                    report(&progress);
                    return Ok(progress);
                }
                after = Some(document.position.clone());
                progress.examined += 1;
                match need {
                    Ok(RenewalNeed::NotNeeded) => progress.not_needed += 1,
                    Ok(need) => self.renew_one(document, &need, &mut progress).await?,
                    Err(reason) => progress.failed.push(RenewalFailure {
                        object_id: document.object_id,
                        reason,
                    }),
                }
            }
            report(&progress);
        }
    }

    /// Documents after `after` (all when `None`).
    async fn count_after(&self, after: Option<Position>) -> Result<u64, ApiError> {
        let service = self.service;
        let count = blocking(self.db, move |conn| {
            Ok(count_after(conn, service, after.as_ref())?)
        })
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    async fn renew_one(
        &self,
        document: StoredDocument,
        need: &RenewalNeed,
        progress: &mut RenewalProgress,
    ) -> Result<(), ApiError> {
        let renewed = match self.archival.renew(&document.pdf, self.store).await {
            Ok(pdf) => pdf,
            Err(error) => {
                progress.failed.push(RenewalFailure {
                    object_id: document.object_id,
                    reason: error.to_string(),
                });
                return Ok(());
            }
        };
        let sha256 = hex::encode(Sha256::digest(&renewed));
        let event = self.audit_event(&document, need, &sha256)?;
        let written = blocking(self.db, move |conn| {
            write_transaction(conn, |conn| {
                if !replace_if_unchanged(conn, &document, &renewed, &sha256)? {
                    return Ok(false);
                }
                audit::append(conn, &event)?;
                Ok(true)
            })
        })
        .await?;
        if written {
            progress.renewed += 1;
        } else {
            progress.skipped_changed += 1;
        }
        Ok(())
    }

    fn audit_event(
        &self,
        document: &StoredDocument,
        need: &RenewalNeed,
        sha256: &str,
    ) -> Result<NewAuditEvent, ApiError> {
        let mut detail = serde_json::json!({
            "need": need.name(),
            "sha256_before": document.sha256,
            "sha256": sha256,
        });
        match need {
            RenewalNeed::AuthorityExpiring { not_after } => {
                detail["authority_not_after"] = serde_json::json!(not_after.to_rfc3339());
            }
            RenewalNeed::HashRetired { algorithm } => {
                detail["retired_hash"] = serde_json::json!(algorithm);
            }
            RenewalNeed::NotNeeded | RenewalNeed::NoDocumentTimestamp => {}
        }
        Ok(NewAuditEvent {
            at: motcua_db::now(),
            actor_key_id: self.by.key_id,
            actor_name: self.by.name.clone(),
            action: "archive.renewed".into(),
            object_type: self.service.object_type().into(),
            object_id: document.object_id.clone(),
            request_id: self.by.request_id.clone(),
            detail: serde_json::to_string(&detail)
                .map_err(|e| ApiError::internal(format!("audit detail: {e}")))?,
        })
    }
}

/// A renewal asks a timestamp authority for each document: refused at once without one.
fn require_authority(archival: &Archival) -> Result<(), ApiError> {
    let configured = archival
        .config()
        .tsa
        .as_ref()
        .is_some_and(|tsa| !tsa.endpoints.is_empty());
    if configured {
        Ok(())
    } else {
        // Like a missing key-store password: the request is sound, the configuration lacks it.
        Err(ApiError::Conflict(
            "archive renewal needs a timestamp authority: name one under [tsa] in the signing \
             configuration file (MOTCUA_SIGNING_CONFIG)"
                .into(),
        ))
    }
}

/// The next batch after `after`, each document with what it needs (or why it cannot be read);
/// parsed off the async threads.
async fn judged_batch(
    db: &DbPool,
    service: ArchiveService,
    settings: &ArchiveSettings,
    now: DateTime<Utc>,
    after: Option<Position>,
) -> Result<Vec<(StoredDocument, Result<RenewalNeed, String>)>, ApiError> {
    let margin = settings.margin;
    let retired = settings.retired_hashes.clone();
    blocking(db, move |conn| {
        let documents = page(conn, service, after.as_ref(), BATCH)?;
        Ok(documents
            .into_iter()
            .map(|document| {
                let need = renewal_need(&document.pdf, now, margin, &retired)
                    .map_err(|error| error.to_string());
                (document, need)
            })
            .collect())
    })
    .await
}

async fn blocking<T, F>(db: &DbPool, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
{
    let pool = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
}

/// One renewal run a service makes by itself (`MOTCUA_ARCHIVE_RENEWAL_INTERVAL_SECS`): its
/// progress and failures go to the log; nothing stops the service.
pub async fn scheduled_round(
    db: &DbPool,
    service: ArchiveService,
    archival: &Archival,
    settings: &ArchiveSettings,
    store: &TrustStore,
) {
    let run = RenewalRun {
        db,
        service,
        archival,
        store,
        settings,
        by: RenewalBy {
            key_id: None,
            name: "system: scheduled archive renewal".into(),
            request_id: "-".into(),
        },
    };
    match run.run(None, |_| {}).await {
        Ok(progress) => {
            for failure in &progress.failed {
                tracing::warn!(object = %failure.object_id, reason = %failure.reason, "archive renewal failed");
            }
            tracing::info!(
                examined = progress.examined,
                renewed = progress.renewed,
                not_needed = progress.not_needed,
                changed_meanwhile = progress.skipped_changed,
                failed = progress.failed.len(),
                "archive renewal round"
            );
        }
        Err(error) => tracing::warn!(%error, "archive renewal round failed"),
    }
}
