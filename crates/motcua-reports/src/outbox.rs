//! Delivery of issued reports to the province. Submitting only queues the package in the
//! database (so it survives restarts); this worker sends due packages, verifies the signed
//! receipt, and retries failures with exponential backoff. The report id is the idempotency key:
//! the receiver stores a report once however often it is delivered.

use std::time::Duration;

use motcua_audit::Actor;
use motcua_db::now;
use motcua_db::reports::{self, OutboxEntry};

use crate::lifecycle::{self, Step};
use crate::package::{verify_receipt, ReportPackage, SignedReceipt};
use crate::state::AppState;

/// Why a round of the worker stopped: it is logged, and the next round tries again.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The database could not be read or written.
    #[error("outbox storage: {0}")]
    Storage(String),
    /// The receipt could not be kept as text.
    #[error("the receipt cannot be stored: {0}")]
    Receipt(#[from] serde_json::Error),
}

impl From<motcua_web::error::ApiError> for OutboxError {
    /// The shared database helpers answer in HTTP terms; the worker keeps only what failed.
    fn from(error: motcua_web::error::ApiError) -> Self {
        OutboxError::Storage(error.to_string())
    }
}

/// Entries looked at per round.
const BATCH: i64 = 20;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// One round of the worker (see [`crate::serve`]): sends what is due. A delivery cut short by a
/// crash is simply sent again; the receiver keeps one copy.
pub async fn round(state: &AppState) {
    if let Err(error) = deliver_due(state).await {
        tracing::warn!(%error, "outbox round failed");
    }
}

/// Sends every due entry once; returns how many were delivered.
pub async fn deliver_due(state: &AppState) -> Result<usize, OutboxError> {
    let (due, depth) = state
        .read(|conn| {
            Ok((
                reports::due(conn, now(), BATCH)?,
                reports::outbox_depth(conn)?,
            ))
        })
        .await?;
    state.web.metrics.outbox_depth.set(depth);
    let mut delivered = 0;
    for entry in due {
        match deliver(state, &entry).await {
            Ok(receipt) => {
                acknowledge(state, &entry, receipt).await?;
                state
                    .web
                    .metrics
                    .outbox_attempts
                    .with_label_values(&["delivered"])
                    .inc();
                state.web.metrics.outbox_depth.dec();
                delivered += 1;
            }
            Err(reason) => {
                state
                    .web
                    .metrics
                    .outbox_attempts
                    .with_label_values(&["failed"])
                    .inc();
                tracing::info!(report = %entry.report_id, attempts = entry.attempts + 1, %reason, "delivery failed; will retry");
                let wait = backoff(state.config.outbox_retry_base, entry.attempts);
                let next =
                    now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                let id = entry.report_id.clone();
                state
                    .write(move |conn| Ok(reports::record_failure(conn, &id, &reason, next)?))
                    .await?;
            }
        }
    }
    Ok(delivered)
}

/// `base` doubled per earlier failure, at most an hour.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    base.saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_BACKOFF)
}

/// One attempt: the receipt when the province accepted the package, else why not.
async fn deliver(state: &AppState, entry: &OutboxEntry) -> Result<SignedReceipt, String> {
    let url = format!("{}/inbox", entry.destination.trim_end_matches('/'));
    let mut request = state
        .http
        .post(&url)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", &entry.report_id)
        .body(entry.package.clone());
    if let Some(key) = &state.config.receiver_api_key {
        request = request.bearer_auth(key.expose());
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the answer of {url}: {e}"))?;
    if !status.is_success() {
        let excerpt: String = String::from_utf8_lossy(&body).chars().take(2000).collect();
        return Err(format!("{url} answered {status}: {excerpt}"));
    }
    let receipt: SignedReceipt =
        serde_json::from_slice(&body).map_err(|e| format!("the receipt is unreadable: {e}"))?;
    let package: ReportPackage = serde_json::from_slice(&entry.package)
        .map_err(|e| format!("the queued package is unreadable: {e}"))?;
    let store = state.trust_store().map_err(|e| e.to_string())?;
    verify_receipt(&receipt, &package, &store).map_err(|e| format!("receipt refused: {e}"))?;
    Ok(receipt)
}

async fn acknowledge(
    state: &AppState,
    entry: &OutboxEntry,
    receipt: SignedReceipt,
) -> Result<(), OutboxError> {
    let id = entry.report_id.clone();
    let receipt_json = serde_json::to_string(&receipt)?;
    state
        .write(move |conn| {
            let at = now();
            reports::record_delivery(conn, &id, &receipt_json, at)?;
            let mut report = reports::find(conn, &id)?;
            let step = Step::Acknowledge {
                at,
                receiver: receipt.receipt.receiver,
                received_at: receipt.receipt.received_at,
            };
            lifecycle::take(conn, &mut report, step, &Actor::system("outbox"))?;
            Ok(())
        })
        .await?;
    Ok(())
}
