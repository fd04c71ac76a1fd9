//! How this service checks the signatures of a signed PDF now: against the trust roots of
//! `MOTCUA_TRUST_ROOTS_DIR`, with revocation checked where a CRL is at hand (a province
//! receiving from many districts may not hold every CRL). The report and inbox endpoints and
//! the verification page all go through here. A long-term document (B-LTA) also holds
//! document timestamps: they are reported with `kind = document_timestamp`, are not the
//! leader's or the organisation's signature, and must pass like them.

use chrono::Utc;
use motcua_pki::pades::{self, ChangesAfter, PdfSignatureKind, PdfSignatureReport, VerifyOptions};
use motcua_pki::RevocationPolicy;
use motcua_web::error::ApiError;
use motcua_web::verify_upload::{verify_signed_pdf, VerificationError};

use crate::state::AppState;

/// Every signature of `pdf`; a PDF without signatures or one that cannot be read is refused.
pub async fn verify_now(
    state: &AppState,
    pdf: Vec<u8>,
) -> Result<Vec<PdfSignatureReport>, VerificationError> {
    let store = state.trust_store()?;
    let max_signatures = state.web.verification.max_signatures;
    verify_signed_pdf(&state.web, move |budget| {
        let options = VerifyOptions::new(&store, Utc::now(), RevocationPolicy::BestEffort)
            .max_signatures(max_signatures)
            .budget(budget);
        pades::verify_pdf_with(&pdf, &options)
    })
    .await
}

/// The signatures of a document this service stored (`what` names it): none is an answer
/// (the document is then not valid), an unreadable stored document a failure of the service.
pub async fn verify_stored(
    state: &AppState,
    what: &str,
    pdf: Vec<u8>,
) -> Result<Vec<PdfSignatureReport>, ApiError> {
    match verify_now(state, pdf).await {
        Ok(signatures) => Ok(signatures),
        Err(VerificationError::NoSignatures) => Ok(Vec::new()),
        Err(VerificationError::Unreadable(error) | VerificationError::TooManySignatures(error)) => {
            Err(ApiError::internal(format!(
                "stored document of {what}: {error}"
            )))
        }
        Err(VerificationError::Service(error)) => Err(error),
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
