//! Verifying uploaded signatures, the same way for the JSON API and the verification page of
//! either service: on the blocking pool once a signature slot is free, within the service's
//! verification budget, stopped when the client goes away, refusing what is not a signed
//! document, counted in the metrics.

use motcua_pki::cms::CmsVerification;
use motcua_pki::pades::{ChangesAfter, PdfSignatureKind, PdfSignatureReport};
use motcua_pki::{Budget, PkiError};

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::context::WebContext;
use crate::error::ApiError;
use crate::limits::{SignatureJobs, SignatureSlot};

/// Why a document was not verified.
#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    /// The bytes cannot be read as a PDF or a CMS signature.
    #[error("{0}")]
    Unreadable(String),
    /// A readable PDF without any signature.
    #[error("the PDF has no signatures")]
    NoSignatures,
    /// More signatures than the service verifies in one document.
    #[error("{0}")]
    TooManySignatures(String),
    /// The service itself failed (database, trust store, worker thread).
    #[error(transparent)]
    Service(#[from] ApiError),
}

/// A document's signatures checked now and the verdict on them: what the verification
/// endpoints answer, and what a refusal to issue an unverifiable document carries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignaturesVerdict {
    /// Every signature and document timestamp is TOTAL_PASSED, and nothing but signatures,
    /// validation data and timestamps followed them.
    pub valid: bool,
    /// The report of every signature, oldest first.
    pub signatures: Vec<PdfSignatureReport>,
}

impl SignaturesVerdict {
    /// The verdict on `signatures`, of a document that needs at least `minimum` signatures.
    pub fn of(signatures: Vec<PdfSignatureReport>, minimum: usize) -> Self {
        Self {
            valid: document_valid(&signatures, minimum),
            signatures,
        }
    }
}

/// The signatures of persons and organisations in `reports`, with their index in it: document
/// timestamps (B-LTA) are left out, they are checked as timestamps.
pub fn signatures_of(
    reports: &[PdfSignatureReport],
) -> impl Iterator<Item = (usize, &PdfSignatureReport)> {
    reports
        .iter()
        .enumerate()
        .filter(|(_, report)| report.kind == PdfSignatureKind::Signature)
}

/// Whether a document's signatures make it valid: at least `minimum` signatures, and every
/// signature and every document timestamp passed, with nothing but signatures, validation data
/// and timestamps after it.
pub fn document_valid(reports: &[PdfSignatureReport], minimum: usize) -> bool {
    signatures_of(reports).count() >= minimum.max(1)
        && reports.iter().all(|report| {
            report.report.is_valid() && report.changes_after != ChangesAfter::OtherContent
        })
}

impl From<VerificationError> for ApiError {
    fn from(error: VerificationError) -> Self {
        match error {
            VerificationError::Service(error) => error,
            refused => ApiError::invalid("body", refused.to_string()),
        }
    }
}

impl From<PkiError> for VerificationError {
    fn from(error: PkiError) -> Self {
        match error {
            PkiError::TooManySignatures { .. } => Self::TooManySignatures(error.to_string()),
            other => Self::Unreadable(other.to_string()),
        }
    }
}

/// Runs `verify` (a call of `verify_pdf_with` with the service's trust store and policy and the
/// budget it is given) like [`run_verification`]. A PDF without signatures is refused; every
/// signature found is counted by its indication.
pub async fn verify_signed_pdf<F>(
    web: &WebContext,
    verify: F,
) -> Result<Vec<PdfSignatureReport>, VerificationError>
where
    F: FnOnce(Budget) -> Result<Vec<PdfSignatureReport>, PkiError> + Send + 'static,
{
    let reports = run_verification(web, verify).await?;
    counted(web, reports)
}

/// Like [`verify_signed_pdf`], for a caller that already holds a signature slot (`_held`: it
/// verifies what it has just signed): taking a second slot could leave concurrent signers each
/// waiting for the other's.
pub async fn verify_signed_pdf_in_slot<F>(
    web: &WebContext,
    _held: &SignatureSlot,
    verify: F,
) -> Result<Vec<PdfSignatureReport>, VerificationError>
where
    F: FnOnce(Budget) -> Result<Vec<PdfSignatureReport>, PkiError> + Send + 'static,
{
    let reports = run_budgeted(None, web.verification.budget, verify).await?;
    counted(web, reports)
}

/// The reports of a PDF's signatures, counted by indication; none is a refusal.
fn counted(
    web: &WebContext,
    reports: Vec<PdfSignatureReport>,
) -> Result<Vec<PdfSignatureReport>, VerificationError> {
    if reports.is_empty() {
        return Err(VerificationError::NoSignatures);
    }
    for report in &reports {
        web.metrics.verified(&report.report.indication);
    }
    Ok(reports)
}

/// Runs `verify` (a call of `verify_cms`) like [`run_verification`], counting the signature.
pub async fn verify_signed_cms<F>(
    web: &WebContext,
    verify: F,
) -> Result<CmsVerification, VerificationError>
where
    F: FnOnce(Budget) -> Result<CmsVerification, PkiError> + Send + 'static,
{
    let verified = run_verification(web, verify).await?;
    web.metrics.verified(&verified.signature.indication);
    Ok(verified)
}

/// Runs `verify` on the blocking pool, since parsing and chain validation take milliseconds of
/// CPU, once a signature slot is free (busy: [`ApiError::Busy`]). It gets a budget of the
/// service's verification time that is cancelled when this future is dropped (the client went
/// away), and the slot stays taken until the work has really stopped.
async fn run_verification<T, F>(web: &WebContext, verify: F) -> Result<T, VerificationError>
where
    T: Send + 'static,
    F: FnOnce(Budget) -> Result<T, PkiError> + Send + 'static,
{
    run_on_slot(&web.signature_jobs, web.verification.budget, verify).await
}

async fn run_on_slot<T, F>(
    jobs: &SignatureJobs,
    time: Duration,
    verify: F,
) -> Result<T, VerificationError>
where
    T: Send + 'static,
    F: FnOnce(Budget) -> Result<T, PkiError> + Send + 'static,
{
    let slot = jobs.slot().await?;
    run_budgeted(Some(slot), time, verify).await
}

/// Runs `verify` on the blocking pool within a budget of `time`, holding `slot` (if any) until
/// the work has stopped.
async fn run_budgeted<T, F>(
    slot: Option<SignatureSlot>,
    time: Duration,
    verify: F,
) -> Result<T, VerificationError>
where
    T: Send + 'static,
    F: FnOnce(Budget) -> Result<T, PkiError> + Send + 'static,
{
    let budget = Budget::new(time);
    let _cancel_when_dropped = budget.canceller().cancel_on_drop();
    let result = actix_web::web::block(move || {
        let _slot = slot;
        verify(budget)
    })
    .await
    .map_err(|e| ApiError::internal(format!("verification task failed: {e}")))?;
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A verification whose caller goes away (the client hung up, so actix drops the handler's
    /// future) is stopped through its budget, and its slot is free again only once it stopped.
    #[actix_web::test]
    async fn dropping_the_request_stops_the_work_and_then_frees_the_slot() {
        let jobs = SignatureJobs::new(1, Duration::from_secs(5));
        let stopped = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&stopped);
        let work = run_on_slot(&jobs, Duration::from_secs(3600), move |budget| {
            while budget.check().is_ok() {
                std::thread::sleep(Duration::from_millis(1));
            }
            // Cleaning up after the stop still holds the slot.
            std::thread::sleep(Duration::from_millis(50));
            seen.store(true, Ordering::SeqCst);
            Ok(())
        });
        let cut = tokio::time::timeout(Duration::from_millis(100), work).await;
        assert!(cut.is_err(), "the work ran until its caller went away");
        assert_eq!(
            jobs.in_progress(),
            1,
            "the slot is held while the work stops"
        );
        let freed = tokio::time::timeout(Duration::from_secs(10), jobs.slot()).await;
        assert!(freed.is_ok_and(|slot| slot.is_ok()), "the slot came back");
        assert!(stopped.load(Ordering::SeqCst), "the work had stopped first");
    }

    #[actix_web::test]
    async fn the_budget_ends_the_work_and_its_answer_is_returned() {
        let jobs = SignatureJobs::new(1, Duration::from_secs(5));
        let answer = run_on_slot(&jobs, Duration::from_millis(20), |budget| {
            while budget.check().is_ok() {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(budget.check().map_err(|stop| stop.to_string()))
        })
        .await
        .expect("an answer");
        assert!(
            answer.is_err_and(|reason| reason.contains("budget")),
            "the budget ran out"
        );
        assert_eq!(jobs.in_progress(), 0);
    }
}
