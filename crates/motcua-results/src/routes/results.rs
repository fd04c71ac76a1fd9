//! Electronic results (kết quả điện tử): the result PDF of a dossier, signed with a collective
//! certificate of the receiving unit whose key the service holds, raised to the configured
//! signature level (timestamp, revocation data), and stored with the dossier's move to
//! `releasing`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{get, post, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::certificate::CertificateKind;
use motcua_core::dossier::DossierStatus;
use motcua_core::record_ids::{CertificateId, UnitId};
use motcua_db::certificates::{self, CertificateFilter};
use motcua_db::dossier_results::{self, NewResult};
use motcua_db::{organisation_key_devices, organisation_keys, DbConnection, DbError};
use motcua_pki::pades::SignatureLevel;
use motcua_pki::{Certificate, PkiError, RevocationPolicy};
use motcua_web::openapi::PdfDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dossiers::{current_etag, find, find_for_change, DossierView};
use super::utc;
use crate::auth::{Principal, UnitScope};
use crate::certificate_registry::{status_text, validate, LoadedTrust};
use crate::electronic_result::{sign_result, SignedResult};
use crate::lifecycle::{self, Changes, TransitionInput};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_keys::keystore::{self, OrganisationSigner};
use motcua_web::answer::Answer;
use motcua_web::archival::SignatureKind;
use motcua_web::concurrency::IfMatch;
use motcua_web::error::responses::{PreconditionErrors, ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, Problem};
use motcua_web::extract::PdfBody;
use motcua_web::location::absolute_url;
use motcua_web::request_id::RequestId;

/// Collective certificates of a unit considered when choosing the signing one.
const MAX_CANDIDATES: i64 = 500;

/// A stored electronic result, without its PDF.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResultView {
    pub dossier_code: String,
    /// SHA-256 of the signed PDF, lowercase hex.
    pub sha256: String,
    /// Size of the signed PDF in bytes.
    pub size: u64,
    /// The collective certificate that signed it.
    pub certificate_id: CertificateId,
    /// Its subject, RFC 4514 text.
    pub signer: String,
    /// SHA-256 of the certificate's DER, lowercase hex.
    pub certificate_fingerprint_sha256: String,
    pub signed_at: DateTime<Utc>,
    /// The PAdES baseline level the signature reached.
    pub signature_level: SignatureLevel,
    /// Why the configured level was not reached, when the configured fallback level was used.
    pub fallback_reason: Option<String>,
    /// Where to download the signed PDF.
    pub download_url: String,
    /// Where anyone can verify it, without an API key.
    pub verification_url: String,
    /// What the verification QR code on its last page says: the verification page of the
    /// dossier with the SHA-256 of the PDF as received (before the QR code and the signature).
    pub qr_url: String,
    /// The dossier after its move to `releasing`.
    pub dossier: DossierView,
}

/// The certificate chosen to sign, with its key.
struct Chosen {
    id: CertificateId,
    subject: String,
    fingerprint: String,
    signer: Arc<dyn OrganisationSigner>,
    /// The CA certificates the signature carries, up to the trust store's root.
    chain: Vec<Certificate>,
    /// The trust store the certificate was chosen with, to build the validation data.
    trust: Arc<LoadedTrust>,
}

/// Issue the electronic result of a dossier: the PDF in the body receives a verification QR
/// code (the public verification URL of the dossier with the SHA-256 of the PDF as sent,
/// `qr_url`), about 18 mm square in the bottom-left corner of its last page, 5 mm from the left
/// and 4.5 mm from the bottom edge: the PDF must keep that corner free, as the bottom (20–25
/// mm) and left (30–35 mm) margins of Decree 30/2020 do. It is then signed with a usable
/// collective certificate of the receiving unit whose key the service holds, raised to the
/// configured signature level (`signature_level`), stored, and the dossier moves to `releasing`
/// with `electronic_result`, all at once. Refused (409) when the dossier cannot move to
/// `releasing`, already has a result, or the unit has no usable collective certificate with a
/// stored key; 502 when the timestamp authority or the revocation sources fail and no fallback
/// level is configured (nothing is stored then). With a fallback, `fallback_reason` says why.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path), IfMatch), request_body(content = PdfDocument, content_type = "application/pdf"), responses((status = 201, body = ResultView, headers(("ETag" = String, description = "The dossier's new entity tag"))), WriteErrors, PreconditionErrors, (status = 502, description = "The timestamp authority or the revocation sources failed and no fallback level is configured; nothing was stored", body = Problem, content_type = "application/problem+json")), security(("api_key" = [])))]
#[post("/dossiers/{code}/result")]
pub async fn issue_result(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    code: Path<String>,
    if_match: IfMatch,
    body: PdfBody,
    req: HttpRequest,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let code = code.into_inner();
    let pdf = body.into_inner();
    let password = state.config.keystore_password.clone();
    let signed_at = Utc::now();

    let shared = state.clone();
    let (lookup_code, lookup_who) = (code.clone(), who.clone());
    let chosen = state
        .read(move |conn| {
            let dossier = find(conn, &lookup_code)?;
            lookup_who.require_unit(conn, dossier.unit_id)?;
            if !dossier.status.can_move_to(DossierStatus::Releasing) {
                return Err(ApiError::Conflict(format!(
                    "a `{}` dossier cannot become `releasing`, so it cannot get a result",
                    dossier.status
                )));
            }
            if dossier_results::find_meta(conn, dossier.id)?.is_some() {
                return Err(ApiError::Conflict(format!(
                    "dossier {lookup_code} already has an electronic result"
                )));
            }
            choose_certificate(conn, &shared, dossier.unit_id, signed_at, password.as_ref())
        })
        .await?;

    let public_url = absolute_url(&req, "");
    let (signer, chain, sign_code) = (chosen.signer.clone(), chosen.chain.clone(), code.clone());
    // Signature work waits for a slot: a burst cannot take every core.
    let slot = state.web.signature_slot().await?;
    let signed = actix_web::web::block(move || {
        sign_result(
            &pdf,
            &public_url,
            &sign_code,
            signer.as_ref(),
            &chain,
            signed_at,
        )
    })
    .await
    .map_err(|e| ApiError::internal(format!("signing task failed: {e}")))?
    .map_err(|error| match error {
        PkiError::InvalidPdf(reason) => {
            ApiError::invalid("body", format!("the PDF cannot be signed: {reason}"))
        }
        PkiError::SigningDevice(reason) => ApiError::SigningDeviceUnavailable(reason),
        other => ApiError::internal(format!("signing the result: {other}")),
    })?;
    // The slot bounds CPU work; waiting on the authority and the revocation sources is not.
    drop(slot);
    let SignedResult {
        pdf: signed,
        qr_url,
    } = signed;
    let finished = state
        .archival
        .finish(SignatureKind::ElectronicResult, signed, &chosen.trust.store)
        .await?;
    let (signed, signature_level, fallback_reason) =
        (finished.pdf, finished.level, finished.fallback_reason);
    let sha256 = hex::encode(motcua_pki::cms::sha256(&signed));
    let size = signed.len() as u64;

    let actor = Actor::new(&who, &request_id);
    let calendar = state.calendar();
    let write_code = code.clone();
    let answer = state
        .write_answer(move |conn| {
            let dossier = find_for_change(conn, &who, &write_code, &if_match)?;
            let input = TransitionInput {
                to: DossierStatus::Releasing,
                at: signed_at,
                official_id: None,
                note: None,
                electronic_result: true,
            };
            let (next, meta) = Changes::within(conn, |conn, changes| {
                let next =
                    lifecycle::transition(conn, &calendar, &dossier, &input, &actor, changes)?;
                let meta = dossier_results::insert(
                    conn,
                    &NewResult {
                        dossier_id: dossier.id,
                        pdf: signed,
                        sha256,
                        certificate_id: chosen.id,
                        signed_at: signed_at.naive_utc(),
                        signed_by: actor.key_id,
                    },
                )
                .map_err(|e| match e {
                    DbError::Duplicate { .. } => ApiError::Conflict(format!(
                        "dossier {write_code} already has an electronic result"
                    )),
                    other => other.into(),
                })?;
                changes.result_signed(&next);
                changes.record(
                    &actor,
                    "dossier.result",
                    &next,
                    &serde_json::json!({
                        "sha256": meta.sha256,
                        "certificate_id": chosen.id,
                        "signed_at": signed_at,
                        "signature_level": signature_level,
                        "fallback_reason": fallback_reason,
                    }),
                )?;
                Ok::<_, ApiError>((next, meta))
            })?;
            let etag = current_etag(conn, &write_code)?;
            let view = ResultView {
                dossier_code: code.clone(),
                sha256: meta.sha256,
                size,
                certificate_id: meta.certificate_id,
                signer: chosen.subject,
                certificate_fingerprint_sha256: chosen.fingerprint,
                signed_at: utc(meta.signed_at),
                signature_level,
                fallback_reason,
                download_url: format!("/dossiers/{code}/result"),
                verification_url: format!("/verify/dossiers/{code}"),
                qr_url,
                dossier: next.into(),
            };
            Ok(Answer::created(Some(view.download_url.clone()), &view)?.with_etag(etag))
        })
        .await?;
    state
        .web
        .metrics
        .signatures_made
        .with_label_values(&["electronic_result"])
        .inc();
    Ok(answer)
}

/// The first usable collective certificate of `unit` (latest expiry first) that is valid now
/// against the current trust store and has a stored key, or a 409 with each one's reason.
fn choose_certificate(
    conn: &mut DbConnection,
    state: &AppState,
    unit: UnitId,
    at: DateTime<Utc>,
    password: Option<&crate::config::Secret>,
) -> Result<Chosen, ApiError> {
    let filter = CertificateFilter {
        held_in: Some(vec![unit]),
        kind: Some(CertificateKind::Organisation),
        ..CertificateFilter::default()
    };
    let mut candidates: Vec<_> = certificates::list(conn, &filter, None, MAX_CANDIDATES)?
        .into_iter()
        .filter(|c| c.unit_id == Some(unit))
        .collect();
    candidates.sort_by(|a, b| b.not_after.cmp(&a.not_after).then(a.id.0.cmp(&b.id.0)));
    let loaded = state.trust.current(conn)?;
    let mut reasons = Vec::new();
    for candidate in candidates {
        let id = candidate.id;
        if !candidate.bound {
            reasons.push(format!("certificate {id} does not name the unit"));
            continue;
        }
        if !candidate.usable {
            reasons.push(format!(
                "certificate {id} is not usable ({}: {})",
                candidate.status, candidate.summary
            ));
            continue;
        }
        let stored = certificates::find(conn, id)?;
        let certificate = Certificate::from_der(&stored.der)
            .map_err(|e| ApiError::internal(format!("stored certificate {id}: {e}")))?;
        let verdict = validate(&loaded.store, &certificate, at, RevocationPolicy::Require);
        if !verdict.is_valid() {
            reasons.push(format!(
                "certificate {id} is not valid now ({}: {})",
                status_text(verdict.status),
                verdict.summary
            ));
            continue;
        }
        let signer = if let Some(key) = organisation_keys::find_for_certificate(conn, id)? {
            let password = keystore::password(password)?;
            state.signers.signer(id, &key.pkcs12, password)?
        } else if let Some(device) = organisation_key_devices::find_for_certificate(conn, id)? {
            state
                .signers
                .device_signer(id, &device.device, &stored.der)?
        } else {
            reasons.push(format!("certificate {id} has no stored key"));
            continue;
        };
        // The key's file may lack the intermediates: the trust store completes the chain.
        let chain = keystore::chain_to_embed(signer.as_ref(), &loaded.store);
        return Ok(Chosen {
            id,
            subject: candidate.subject,
            fingerprint: candidate.fingerprint,
            signer,
            chain,
            trust: loaded,
        });
    }
    let why = if reasons.is_empty() {
        "the unit has no registered collective certificate".to_owned()
    } else {
        reasons.join("; ")
    };
    Err(ApiError::Conflict(format!(
        "no usable collective certificate with a stored key for unit {unit}: {why}"
    )))
}

/// Download the signed result PDF of a dossier.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path)), responses((status = 200, description = "The signed result PDF", body = PdfDocument, content_type = "application/pdf"), ReadErrors), security(("api_key" = [])))]
#[get("/dossiers/{code}/result")]
pub async fn download_result(
    state: Data<AppState>,
    who: Principal,
    code: Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let code = code.into_inner();
    let file_name = code.clone();
    let pdf = state
        .read(move |conn| {
            let dossier = find(conn, &code)?;
            who.require_unit(conn, dossier.unit_id)?;
            stored_pdf(conn, &code, dossier.id)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}.pdf\""),
        ))
        .body(pdf))
}

fn stored_pdf(
    conn: &mut DbConnection,
    code: &str,
    dossier: motcua_core::record_ids::DossierId,
) -> Result<Vec<u8>, ApiError> {
    dossier_results::find_pdf(conn, dossier)?
        .ok_or_else(|| ApiError::not_found(format!("electronic result of dossier {code}")))
}

/// The signed PDF stored as the electronic result of the dossier `code`; 404 when there is no
/// such dossier or it has no stored result.
pub(crate) async fn stored_result(state: &AppState, code: String) -> Result<Vec<u8>, ApiError> {
    state
        .read(move |conn| {
            let dossier = find(conn, &code)?;
            stored_pdf(conn, &code, dossier.id)
        })
        .await
}
