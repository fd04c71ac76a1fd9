//! How this service checks the signatures of a signed PDF now: against the trust roots of
//! `MOTCUA_TRUST_ROOTS_DIR` and those of the results service (`crate::trust`), with revocation
//! checked where a CRL is at hand (a province receiving from many districts may not hold every
//! CRL). The report and inbox endpoints and
//! the verification page all go through here. A long-term document (B-LTA) also holds
//! document timestamps: they are reported with `kind = document_timestamp`, are not the
//! leader's or the organisation's signature, and must pass like them.

use std::sync::Arc;

use chrono::Utc;
use motcua_pki::cms::SubIndication;
use motcua_pki::pades::{self, PdfSignatureReport, VerifyOptions};
use motcua_pki::RevocationPolicy;
use motcua_web::error::ApiError;
use motcua_web::limits::SignatureSlot;
pub use motcua_web::verify_upload::{document_valid, signatures_of};
use motcua_web::verify_upload::{verify_signed_pdf, verify_signed_pdf_in_slot, VerificationError};

use crate::state::AppState;

/// Every signature of `pdf`; a PDF without signatures or one that cannot be read is refused.
/// When a signature finds no chain, the results service's trust store is read again at once
/// and, if it changed, the document verified again.
pub async fn verify_now(
    state: &AppState,
    pdf: Vec<u8>,
) -> Result<Vec<PdfSignatureReport>, VerificationError> {
    verify_checked(state, pdf, None).await
}

/// Like [`verify_now`], in the signature slot `held` that the caller took to sign.
async fn verify_checked(
    state: &AppState,
    pdf: Vec<u8>,
    held: Option<&SignatureSlot>,
) -> Result<Vec<PdfSignatureReport>, VerificationError> {
    let pdf = Arc::new(pdf);
    let reports = verify_against(state, pdf.clone(), held).await?;
    if finds_no_chain(&reports) && state.trust.refresh_now().await {
        return verify_against(state, pdf, held).await;
    }
    Ok(reports)
}

async fn verify_against(
    state: &AppState,
    pdf: Arc<Vec<u8>>,
    held: Option<&SignatureSlot>,
) -> Result<Vec<PdfSignatureReport>, VerificationError> {
    let store = state.trust_store()?;
    let max_signatures = state.web.verification.max_signatures;
    let verify = move |budget| {
        let options = VerifyOptions::new(&store, Utc::now(), RevocationPolicy::BestEffort)
            .max_signatures(max_signatures)
            .budget(budget);
        pades::verify_pdf_with(&pdf, &options)
    };
    match held {
        Some(slot) => verify_signed_pdf_in_slot(&state.web, slot, verify).await,
        None => verify_signed_pdf(&state.web, verify).await,
    }
}

/// Whether a signature of `reports` reaches no trust anchor.
pub fn finds_no_chain(reports: &[PdfSignatureReport]) -> bool {
    reports
        .iter()
        .any(|report| report.report.sub_indication == Some(SubIndication::NoCertificateChainFound))
}

/// The signatures of a document this service stored (`what` names it): none is an answer
/// (the document is then not valid), an unreadable stored document a failure of the service.
pub async fn verify_stored(
    state: &AppState,
    what: &str,
    pdf: Vec<u8>,
) -> Result<Vec<PdfSignatureReport>, ApiError> {
    of_own_document(what, verify_now(state, pdf).await)
}

/// Like [`verify_stored`], for a document this service has just signed, in the signature slot
/// `held` it signed in.
pub async fn verify_just_signed(
    state: &AppState,
    held: &SignatureSlot,
    what: &str,
    pdf: Vec<u8>,
) -> Result<Vec<PdfSignatureReport>, ApiError> {
    of_own_document(what, verify_checked(state, pdf, Some(held)).await)
}

fn of_own_document(
    what: &str,
    verified: Result<Vec<PdfSignatureReport>, VerificationError>,
) -> Result<Vec<PdfSignatureReport>, ApiError> {
    match verified {
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
