//! Public verification (no API key): every signature of an uploaded PDF, a CMS signature with or
//! without the data it signs, or the stored electronic result of a dossier, checked now against
//! the service's trust store within the verification budget.

use actix_web::web::{Data, Json, Path};
use actix_web::{get, post};
use chrono::Utc;
use motcua_pki::cms::{self, CmsVerification};
use motcua_pki::pades::{self, has_revision_with_sha256, PdfSignatureReport, VerifyOptions};
use motcua_pki::{Budget, RevocationPolicy};
use motcua_web::openapi::PdfDocument;
use motcua_web::signed_upload::SignedUpload;
use motcua_web::verification_page::{parse_sha256, SHA256_PARAM};
use motcua_web::verify_upload::{
    verify_signed_cms, verify_signed_pdf, SignaturesVerdict, VerificationError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::results::stored_result;
use crate::state::AppState;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, Problem};
use motcua_web::extract::ValidQuery;

/// Whether revocation data is required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevocationCheck {
    /// Without a usable CRL for every certificate below the root a signature is INDETERMINATE /
    /// TRY_LATER.
    #[default]
    Require,
    /// A missing or stale CRL is reported as a skipped check and does not change the result; a
    /// CRL that lists a certificate still makes it revoked.
    Skip,
}

impl From<RevocationCheck> for RevocationPolicy {
    fn from(check: RevocationCheck) -> Self {
        match check {
            RevocationCheck::Require => Self::Require,
            RevocationCheck::Skip => Self::BestEffort,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// `require` (default) or `skip`: with `skip` the report still says, check by check, that
    /// revocation was not checked.
    pub revocation: Option<RevocationCheck>,
}

/// The answer of `POST /verify`: the report of every signature of a PDF (oldest first), or the
/// report of one CMS signature.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Verification {
    Pdf(Vec<PdfSignatureReport>),
    Cms(Box<CmsVerification>),
}

/// The signed data of a detached signature, as a part of `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DetachedSignatureForm {
    /// The CMS signature (DER or PEM), at most 1 MiB.
    #[schema(value_type = String, format = Binary)]
    signature: Vec<u8>,
    /// The data it signs, within the document limit.
    #[schema(value_type = String, format = Binary)]
    data: Vec<u8>,
}

/// A CMS signature holding its content, DER or PEM.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct CmsSignature(#[allow(dead_code)] Vec<u8>);

/// Verify every signature of a signed PDF (`application/pdf`), a CMS signature holding its
/// content (`application/pkcs7-signature`), or a detached CMS signature and its data
/// (`multipart/form-data` with the parts `signature` and `data`) against the service's trust
/// store, now. No API key needed. Revocation data is required unless `revocation=skip`. A body
/// that cannot be read, a PDF without signatures, or one with more signatures than the service
/// checks in one document is a 422. What is not verified within the verification budget is
/// INDETERMINATE / BUDGET_EXCEEDED.
#[utoipa::path(
    tag = "verification",
    params(VerifyQuery),
    request_body(content(
        (PdfDocument = "application/pdf"),
        (CmsSignature = "application/pkcs7-signature"),
        (DetachedSignatureForm = "multipart/form-data"),
    )),
    responses((status = 200, description = "For a PDF, the report of every signature, oldest first; for a CMS signature, its report and the digest of the content it signs", body = Verification), WriteErrors)
)]
#[post("/verify")]
pub async fn verify_document(
    state: Data<AppState>,
    query: ValidQuery<VerifyQuery>,
    body: SignedUpload,
) -> Result<Json<Verification>, ApiError> {
    let policy = query.into_inner().revocation.unwrap_or_default().into();
    let verification = match body {
        SignedUpload::Pdf(pdf) => Verification::Pdf(verify(&state, pdf.to_vec(), policy).await?),
        SignedUpload::AttachedCms(signature) => Verification::Cms(Box::new(
            verify_cms(&state, signature.to_vec(), None, policy).await?,
        )),
        SignedUpload::DetachedCms { signature, data } => Verification::Cms(Box::new(
            verify_cms(&state, signature, Some(data), policy).await?,
        )),
    };
    Ok(Json(verification))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DossierVerifyQuery {
    /// The SHA-256 (64 hexadecimal digits) that the verification QR code of a result names:
    /// the answer says whether the stored result is that document.
    pub sha256: Option<String>,
}

/// The verdict on a dossier's stored result.
#[derive(Debug, Serialize, ToSchema)]
pub struct DossierVerification {
    #[serde(flatten)]
    pub verdict: SignaturesVerdict,
    /// With `sha256`: whether a revision of the stored result (the document before its QR code
    /// and signature) has that SHA-256; `null` without it.
    pub document_matches: Option<bool>,
}

/// Verify the stored electronic result of a dossier against the service's trust store, now.
/// No API key needed: whoever holds the dossier code can check its result. With `sha256` (from
/// the result's verification QR code) the answer also says whether the stored result is the
/// document that code was printed on; a `sha256` that is not 64 hexadecimal digits is a 422.
#[utoipa::path(tag = "verification", params(("code" = String, Path), DossierVerifyQuery), responses((status = 200, description = "The verdict on the stored result, the report of each of its signatures, and whether it matches the hash given", body = DossierVerification), ReadErrors, (status = 422, description = "`sha256` is not 64 hexadecimal digits", body = Problem, content_type = "application/problem+json")))]
#[get("/verify/dossiers/{code}")]
pub async fn verify_dossier_result(
    state: Data<AppState>,
    code: Path<String>,
    query: ValidQuery<DossierVerifyQuery>,
) -> Result<Json<DossierVerification>, ApiError> {
    let expected = query
        .into_inner()
        .sha256
        .map(|text| parse_sha256(&text).map_err(|reason| ApiError::invalid(SHA256_PARAM, reason)))
        .transpose()?;
    let pdf = stored_result(&state, code.into_inner()).await?;
    let document_matches = expected.map(|hash| has_revision_with_sha256(&pdf, &hash));
    let signatures = verify(&state, pdf, RevocationPolicy::Require).await?;
    Ok(Json(DossierVerification {
        verdict: SignaturesVerdict::of(signatures, 1),
        document_matches,
    }))
}

/// Every signature of `pdf`, verified now against the trust store of the database: what the
/// JSON endpoints and the verification page report.
pub(crate) async fn verify(
    state: &Data<AppState>,
    pdf: Vec<u8>,
    policy: RevocationPolicy,
) -> Result<Vec<PdfSignatureReport>, VerificationError> {
    let shared = state.clone();
    let loaded = state.read(move |conn| shared.trust.current(conn)).await?;
    let max_signatures = state.web.verification.max_signatures;
    verify_signed_pdf(&state.web, move |budget: Budget| {
        let options = VerifyOptions::new(&loaded.store, Utc::now(), policy)
            .max_signatures(max_signatures)
            .budget(budget);
        pades::verify_pdf_with(&pdf, &options)
    })
    .await
}

/// A CMS signature verified now: over `data` when given, else over the content it holds.
async fn verify_cms(
    state: &Data<AppState>,
    signature: Vec<u8>,
    data: Option<Vec<u8>>,
    policy: RevocationPolicy,
) -> Result<CmsVerification, VerificationError> {
    let shared = state.clone();
    let loaded = state.read(move |conn| shared.trust.current(conn)).await?;
    verify_signed_cms(&state.web, move |budget: Budget| {
        let signature = cms::decode_signature(&signature)?;
        let options = VerifyOptions::new(&loaded.store, Utc::now(), policy).budget(budget);
        cms::verify_cms(&signature, data.as_deref(), &options)
    })
    .await
}
