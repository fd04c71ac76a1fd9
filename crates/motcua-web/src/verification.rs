//! Verifying an uploaded signed PDF, the same way for the JSON API and the verification page of
//! either service: on the blocking pool, refusing what is not a signed PDF, counted in the
//! metrics.

use motcua_pki::pades::PdfSignatureReport;
use motcua_pki::PkiError;

use crate::context::WebContext;
use crate::error::ApiError;

/// Why a document was not verified.
#[derive(Debug, thiserror::Error)]
pub enum VerificationError {
    /// The bytes cannot be read as a PDF.
    #[error("the PDF cannot be read: {0}")]
    Unreadable(String),
    /// A readable PDF without any signature.
    #[error("the PDF has no signatures")]
    NoSignatures,
    /// The service itself failed (database, trust store, worker thread).
    #[error(transparent)]
    Service(#[from] ApiError),
}

impl From<VerificationError> for ApiError {
    fn from(error: VerificationError) -> Self {
        match error {
            VerificationError::Service(error) => error,
            refused => ApiError::invalid("body", refused.to_string()),
        }
    }
}

/// Runs `verify` (a call of `verify_pdf` with the service's trust store and policy) on the
/// blocking pool, since parsing and chain validation take milliseconds of CPU, once a signature
/// slot is free (busy: [`ApiError::Busy`]). A PDF without signatures is refused; every signature
/// found is counted by its indication.
pub async fn verify_signed_pdf<F>(
    web: &WebContext,
    verify: F,
) -> Result<Vec<PdfSignatureReport>, VerificationError>
where
    F: FnOnce() -> Result<Vec<PdfSignatureReport>, PkiError> + Send + 'static,
{
    // Signature work waits for a slot: a burst cannot take every core.
    let _slot = web.signature_slot().await?;
    let reports = actix_web::web::block(verify)
        .await
        .map_err(|e| ApiError::Internal(format!("verification task failed: {e}")))?
        .map_err(|error| VerificationError::Unreadable(error.to_string()))?;
    if reports.is_empty() {
        return Err(VerificationError::NoSignatures);
    }
    for report in &reports {
        web.metrics.verified(&report.report.indication);
    }
    Ok(reports)
}
