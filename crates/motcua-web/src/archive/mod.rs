//! Archive renewal, shared by both services: every stored archival record (electronic results,
//! issued reports) is walked in key order, in batches; those whose newest document timestamp
//! is missing, made with a retired hash or about to lose its authority's certificate get a new
//! one through [`Archival::renew`]. Each renewed document is written in its own short
//! transaction, only if it has not changed since it was read, with an audit record. A run can
//! be stopped at any point: the next one finds the renewed documents not in need and goes on.

mod endpoint;
mod settings;
mod stored;

use std::num::NonZeroUsize;

use chrono::{DateTime, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use motcua_core::record_ids::ApiKeyId;
use motcua_db::audit::{self, NewAuditEvent};
use motcua_db::{write_transaction, DbConnection, DbPool};
use motcua_pki::pades::{renewal_need, RenewalNeed};
use motcua_pki::TrustStore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use self::endpoint::{RenewalRequest, MAX_RENEWALS_PER_REQUEST};
pub use self::settings::{ArchiveSettings, DEFAULT_CONCURRENCY, DEFAULT_MARGIN_DAYS};
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

    fn record(&mut self, outcomes: Vec<Outcome>) {
        for outcome in outcomes {
            match outcome {
                Outcome::Renewed => self.renewed += 1,
                Outcome::Changed => self.skipped_changed += 1,
                Outcome::Failed(failure) => self.failed.push(failure),
            }
        }
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
    /// The next batch is read and judged while the renewals of this one are in flight.
    pub async fn run(
        &self,
        limit: Option<u64>,
        mut report: impl FnMut(&RenewalProgress),
    ) -> Result<RenewalProgress, ApiError> {
        require_authority(self.archival)?;
        let mut progress = RenewalProgress::default();
        let mut batch = self.judged_after(None).await?;
        let mut before = None;
        while let Some((last, _)) = batch.last() {
            let last = last.position.clone();
            let sorted = sort(batch, before, limit, &mut progress);
            if let Some(stopped_after) = sorted.stopped_after {
                progress.record(self.renew_all(sorted.renewals).await?);
                progress.remaining = self.count_after(stopped_after).await?;
                report(&progress);
                return Ok(progress);
            }
            let (next, outcomes) = tokio::try_join!(
                self.judged_after(Some(last.clone())),
                self.renew_all(sorted.renewals)
            )?;
            progress.record(outcomes);
            report(&progress);
            (batch, before) = (next, Some(last));
        }
        Ok(progress)
    }

    async fn judged_after(&self, after: Option<Position>) -> Result<Judged, ApiError> {
        judged_batch(self.db, self.service, self.settings, Utc::now(), after).await
    }

    /// Renews `renewals`, `concurrency` at a time; the outcomes in the same order.
    async fn renew_all(
        &self,
        renewals: Vec<(StoredDocument, RenewalNeed)>,
    ) -> Result<Vec<Outcome>, ApiError> {
        stream::iter(renewals)
            .map(|(document, need)| self.renew_one(document, need))
            .buffered(self.settings.concurrency.get())
            .try_collect()
            .await
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
        need: RenewalNeed,
    ) -> Result<Outcome, ApiError> {
        let renewed = match self.archival.renew(&document.pdf, self.store).await {
            Ok(pdf) => pdf,
            Err(error) => {
                return Ok(Outcome::Failed(RenewalFailure {
                    object_id: document.object_id,
                    reason: error.to_string(),
                }))
            }
        };
        let sha256 = hex::encode(Sha256::digest(&renewed));
        let event = self.audit_event(&document, &need, &sha256)?;
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
        Ok(if written {
            Outcome::Renewed
        } else {
            Outcome::Changed
        })
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

/// What became of one renewal.
enum Outcome {
    Renewed,
    /// Changed by someone else between read and write.
    Changed,
    Failed(RenewalFailure),
}

/// A judged batch: each document with what it needs, or why it cannot be read.
type Judged = Vec<(StoredDocument, Result<RenewalNeed, String>)>;

/// A batch sorted: the documents to renew, and where the run stopped if it reached its limit.
struct Sorted {
    renewals: Vec<(StoredDocument, RenewalNeed)>,
    stopped_after: Option<Option<Position>>,
}

/// Counts what needs nothing and what cannot be read, and sets aside what needs renewing, until
/// `limit` renewals are attempted (counting those set aside).
/// `after` is the last document examined before this batch.
fn sort(
    batch: Judged,
    mut after: Option<Position>,
    limit: Option<u64>,
    progress: &mut RenewalProgress,
) -> Sorted {
    let mut renewals = Vec::new();
    for (document, need) in batch {
        let attempts = progress.attempts() + renewals.len() as u64;
        if limit.is_some_and(|limit| attempts >= limit) {
            return Sorted {
                renewals,
                stopped_after: Some(after),
            };
        }
        after = Some(document.position.clone());
        progress.examined += 1;
        match need {
            Ok(RenewalNeed::NotNeeded) => progress.not_needed += 1,
            Ok(need) => renewals.push((document, need)),
            Err(reason) => progress.failed.push(RenewalFailure {
                object_id: document.object_id,
                reason,
            }),
        }
    }
    Sorted {
        renewals,
        stopped_after: None,
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

/// The next batch after `after`, each document with what it needs (or why it cannot be read).
async fn judged_batch(
    db: &DbPool,
    service: ArchiveService,
    settings: &ArchiveSettings,
    now: DateTime<Utc>,
    after: Option<Position>,
) -> Result<Judged, ApiError> {
    let documents = blocking(db, move |conn| {
        Ok(page(conn, service, after.as_ref(), BATCH)?)
    })
    .await?;
    judge(documents, settings, now).await
}

/// Judges `documents` off the async threads, split over the machine's cores: parsing every
/// stored file is most of the cost of walking an archive.
async fn judge(
    documents: Vec<StoredDocument>,
    settings: &ArchiveSettings,
    now: DateTime<Utc>,
) -> Result<Judged, ApiError> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let share = documents.len().div_ceil(cores).max(1);
    let mut documents = documents.into_iter();
    let mut parts = Vec::new();
    loop {
        let part: Vec<StoredDocument> = documents.by_ref().take(share).collect();
        if part.is_empty() {
            break;
        }
        let (margin, retired) = (settings.margin, settings.retired_hashes.clone());
        parts.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|document| {
                    let need = renewal_need(&document.pdf, now, margin, &retired)
                        .map_err(|error| error.to_string());
                    (document, need)
                })
                .collect::<Judged>()
        }));
    }
    let mut judged = Vec::new();
    for part in parts {
        judged.extend(
            part.await
                .map_err(|e| ApiError::internal(format!("judging task failed: {e}")))?,
        );
    }
    Ok(judged)
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
