//! Digitised components signed at reception by the receiving official, in two steps: the service
//! prepares the signed PDF and returns the bytes to sign; the official's token (or `motcua sign`)
//! signs them; the service assembles and checks the signature. The personal key never reaches
//! the server.

use std::sync::Arc;

use actix_web::web::{Data, Path};
use actix_web::{get, post, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::dossier::Digitisation;
use motcua_core::record_ids::{CertificateId, OfficialId};
use motcua_core::signing_session::SessionState;
use motcua_db::signing::{
    self, check_open, ComponentFile, SessionMove, SessionOpening, SigningSession,
};
use motcua_db::{certificates, dossiers, now, units, DbConnection, DbError};
use motcua_pki::cms::Indication;
use motcua_pki::pades::{
    self, PendingSignature, SignatureLevel, SignatureRequest as PdfSignatureRequest,
};
use motcua_pki::{Certificate, RevocationPolicy, TrustStore};
use motcua_web::openapi::PdfDocument;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::dossiers::find;
use super::utc;
use crate::auth::{Principal, UnitScope};
use crate::certificate_registry::LoadedTrust;
use crate::lifecycle::{self, Changes};
use crate::signing_sessions;
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::archival::{Finished, SignatureKind};
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, Problem};
use motcua_web::extract::{path_number, ValidJson};
use motcua_web::request_id::RequestId;

/// How long the service keeps a prepared document waiting for its signature.
const SESSION_MINUTES: i64 = 60;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningRequest {
    /// The official who scanned the component and signs it with their personal certificate.
    pub official_id: OfficialId,
    /// The scan, a PDF, base64-encoded.
    pub pdf_base64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SigningSessionView {
    pub session_id: String,
    /// The DER of the CMS signed attributes: what the token signs (base64).
    pub to_be_signed_base64: String,
    /// SHA-256 of `to_be_signed`, hex, for tokens that sign a digest.
    pub to_be_signed_sha256: String,
    pub certificate_id: CertificateId,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequest {
    /// The raw signature over `to_be_signed` made with the certificate's key (base64): PKCS#1
    /// v1.5 for RSA, DER or `r || s` for ECDSA.
    pub signature_base64: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ComponentFileView {
    pub dossier_code: String,
    pub position: i32,
    /// SHA-256 of the signed PDF, hex.
    pub sha256: String,
    pub official_id: OfficialId,
    pub certificate_id: CertificateId,
    pub signed_at: DateTime<Utc>,
    /// The PAdES baseline level the signature reached.
    pub signature_level: SignatureLevel,
    /// Why the configured level was not reached, when the configured fallback level was used.
    pub fallback_reason: Option<String>,
    pub download: String,
}

/// Step 1: prepare the signature of a scanned component.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path), ("position" = i32, Path)), request_body = SigningRequest, responses((status = 201, body = SigningSessionView), WriteErrors), security(("api_key" = [])))]
#[post("/dossiers/{code}/components/{position}/signing-sessions")]
pub async fn prepare(
    state: Data<AppState>,
    who: Principal,
    path: Path<(String, String)>,
    body: ValidJson<SigningRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let (code, position) = path.into_inner();
    let position = component_position(&position)?;
    let body = body.into_inner();
    let pdf = STANDARD
        .decode(body.pdf_base64.trim())
        .map_err(|_| ApiError::invalid("pdf_base64", "not base64"))?;
    if !pdf.starts_with(b"%PDF-") {
        return Err(ApiError::invalid("pdf_base64", "not a PDF document"));
    }
    // Signature work waits for a slot: a burst cannot take every core.
    let _slot = state.web.signature_slot().await?;
    state
        .write_answer(move |conn| {
            let dossier = find(conn, &code)?;
            who.require_unit(conn, dossier.unit_id)?;
            component_exists(conn, dossier.id, position)?;
            let official = who.require_official(conn, body.official_id, "official_id")?;
            if !units::is_within(conn, dossier.unit_id, official.unit_id)? {
                return Err(ApiError::invalid(
                    "official_id",
                    "the official does not work at the unit that received the dossier",
                ));
            }
            let (certificate_id, der) = signing::usable_personal_certificate(conn, official.id)?
                .ok_or_else(|| {
                    ApiError::invalid(
                        "official_id",
                        "the official has no usable personal certificate registered",
                    )
                })?;
            let certificate = Certificate::from_der(&der).map_err(ApiError::internal_from)?;
            let (pdf, pending) = PdfSignatureRequest::new(Utc::now())
                .prepare(&pdf, &certificate)
                .map_err(|e| ApiError::invalid("pdf_base64", e.to_string()))?;
            let opening = SessionOpening::now(SESSION_MINUTES);
            let session = SigningSession {
                id: opening.id,
                dossier_id: dossier.id,
                position,
                official_id: official.id,
                certificate_id,
                prepared: serde_json::to_string(&pending).map_err(ApiError::internal_from)?,
                pdf,
                created_at: opening.created_at,
                expires_at: opening.expires_at,
                completed_at: None,
                state: SessionState::Pending,
                remote_provider: None,
                remote_credential: None,
                remote_transaction: None,
                approval_deadline: None,
                state_reason: None,
            };
            signing::insert_session(conn, &session)?;
            let to_be_signed = pending.to_be_signed();
            Answer::created(
                None,
                &SigningSessionView {
                    to_be_signed_sha256: hex::encode(Sha256::digest(to_be_signed)),
                    to_be_signed_base64: STANDARD.encode(to_be_signed),
                    session_id: session.id,
                    certificate_id: session.certificate_id,
                    expires_at: utc(session.expires_at),
                },
            )
        })
        .await
}

/// Step 2: hand in the signature; the component is stored signed, raised to the configured
/// signature level (`signature_level`), and marked digitised. 502 when the timestamp authority
/// or the revocation sources fail and no fallback level is configured (nothing is stored and the
/// session stays open); with a fallback, `fallback_reason` says why.
#[utoipa::path(tag = "dossiers", params(("id" = String, Path)), request_body = SignatureRequest, responses((status = 201, body = ComponentFileView), WriteErrors, (status = 502, description = "The timestamp authority or the revocation sources failed and no fallback level is configured; nothing was stored", body = Problem, content_type = "application/problem+json")), security(("api_key" = [])))]
#[post("/signing-sessions/{id}/signature")]
pub async fn complete(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    body: ValidJson<SignatureRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let signature = STANDARD
        .decode(body.into_inner().signature_base64.trim())
        .map_err(|_| ApiError::invalid("signature_base64", "not base64"))?;
    let actor = Actor::new(&who, &request_id);
    let id = id.into_inner();
    // Signature work waits for a slot: a burst cannot take every core.
    let slot = state.web.signature_slot().await?;
    let app = state.clone();
    let (session_id, reader) = (id.clone(), who.clone());
    let assembled = state
        .read(move |conn| {
            assemble(
                conn,
                &app,
                Some(&reader),
                &session_id,
                &signature,
                SessionState::Pending,
            )
        })
        .await?;
    // The slot bounds CPU work; waiting on the authority and the revocation sources is not.
    drop(slot);
    let finished = state
        .archival
        .finish(
            SignatureKind::DossierComponent,
            assembled.signed,
            &assembled.trust.store,
        )
        .await?;
    state
        .write_answer(move |conn| {
            store_signed(
                conn,
                Some(&who),
                &actor,
                &id,
                finished,
                SessionState::Pending,
            )
        })
        .await
}

/// A session's document with the official's signature, checked against the trust store.
pub(crate) struct Assembled {
    pub(crate) signed: Vec<u8>,
    pub(crate) trust: Arc<LoadedTrust>,
}

/// The signed document of session `id`, which must be in state `expected`: refused when the
/// session is not, the certificate is no longer usable, or the signature does not verify. `who`
/// is the caller whose unit scope is checked (none for the service's own remote polling).
pub(crate) fn assemble(
    conn: &mut DbConnection,
    state: &AppState,
    who: Option<&Principal>,
    id: &str,
    signature: &[u8],
    expected: SessionState,
) -> Result<Assembled, ApiError> {
    let session = open_session(conn, id, expected)?;
    let dossier = dossiers::find_by_id(conn, session.dossier_id)?;
    if let Some(who) = who {
        who.require_unit(conn, dossier.unit_id)?;
    }
    let stored = certificates::find(conn, session.certificate_id)?;
    if !stored.usable {
        return Err(ApiError::invalid(
            "signature_base64",
            "the official's certificate is no longer usable",
        ));
    }
    let certificate = Certificate::from_der(&stored.der).map_err(ApiError::internal_from)?;
    let pending: PendingSignature =
        serde_json::from_str(&session.prepared).map_err(ApiError::internal_from)?;
    // The official's token holds the key; the issuing CAs come from the trust store, so that
    // validators given only the root can build the chain.
    let trust = state.trust.current(conn)?;
    let chain = trust.store.intermediates_for(&certificate, &[]);
    let signed = pending
        .assemble(session.pdf, signature, &certificate, &chain)
        .map_err(|e| ApiError::invalid("signature_base64", e.to_string()))?;
    check_signed(state, &trust.store, &signed)?;
    Ok(Assembled { signed, trust })
}

/// The session `id` while it is in state `expected` and its time has not run out (409
/// otherwise, naming the state).
pub(crate) fn open_session(
    conn: &mut DbConnection,
    id: &str,
    expected: SessionState,
) -> Result<SigningSession, ApiError> {
    let session = signing::find_session(conn, id)
        .map_err(ApiError::not_found_as(format!("signing session {id}")))?;
    if session.state != expected {
        return Err(ApiError::Conflict(format!(
            "this signing session is {}, not {}{}",
            session.state.as_str(),
            expected.as_str(),
            if session.state.is_final() {
                "; prepare a new one"
            } else {
                ""
            }
        )));
    }
    let deadline = session.approval_deadline.unwrap_or(session.expires_at);
    check_open(session.completed_at, deadline, now()).map_err(|_| {
        ApiError::Conflict("this signing session is completed or expired; prepare a new one".into())
    })?;
    Ok(session)
}

/// Stores the signed component of session `id`, in state `from` (checked again: another request
/// may have completed it meanwhile), marks it digitised and records the change.
pub(crate) fn store_signed(
    conn: &mut DbConnection,
    who: Option<&Principal>,
    actor: &Actor,
    id: &str,
    signed: Finished,
    from: SessionState,
) -> Result<Answer, ApiError> {
    let session = open_session(conn, id, from)?;
    let dossier = dossiers::find_by_id(conn, session.dossier_id)?;
    if let Some(who) = who {
        who.require_unit(conn, dossier.unit_id)?;
    }
    let file = ComponentFile {
        dossier_id: dossier.id,
        position: session.position,
        sha256: hex::encode(Sha256::digest(&signed.pdf)),
        pdf: signed.pdf,
        official_id: session.official_id,
        certificate_id: session.certificate_id,
        signed_at: now(),
    };
    signing::put_file(conn, &file)?;
    signing::set_digitisation(conn, dossier.id, session.position, Digitisation::Digitised)?;
    signing_sessions::record_move(
        conn,
        actor,
        &session,
        &SessionMove {
            state: Some(SessionState::Signed),
            completed_at: Some(now()),
            ..SessionMove::default()
        },
    )?;
    let view = ComponentFileView {
        download: format!(
            "/dossiers/{}/components/{}/file",
            dossier.code, file.position
        ),
        dossier_code: dossier.code.clone(),
        position: file.position,
        sha256: file.sha256,
        official_id: file.official_id,
        certificate_id: file.certificate_id,
        signed_at: utc(file.signed_at),
        signature_level: signed.level,
        fallback_reason: signed.fallback_reason,
    };
    Changes::within(conn, |conn, changes| {
        let after = lifecycle::component_digitised(conn, &dossier, changes)?;
        // One record for the change: the component signed, and the dossier's `digitised` after
        // it (the last component signed makes the whole dossier digitised).
        let detail = serde_json::json!({"component": &view, "dossier_digitised": after.digitised});
        changes.record(actor, "component.signed", &after, &detail)
    })?;
    Answer::created(Some(view.download.clone()), &view)
}

/// The signed scan of a component.
#[utoipa::path(tag = "dossiers", params(("code" = String, Path), ("position" = i32, Path)), responses((status = 200, description = "The signed scan", body = PdfDocument, content_type = "application/pdf"), ReadErrors), security(("api_key" = [])))]
#[get("/dossiers/{code}/components/{position}/file")]
pub async fn download(
    state: Data<AppState>,
    who: Principal,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let (code, position) = path.into_inner();
    let position = component_position(&position)?;
    let file = state
        .read(move |conn| {
            let dossier = find(conn, &code)?;
            who.require_unit(conn, dossier.unit_id)?;
            signing::find_file(conn, dossier.id, position).map_err(|e| match e {
                DbError::NotFound => {
                    ApiError::not_found(format!("a signed file of component {position}"))
                }
                other => other.into(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .body(file.pdf))
}

/// The component position of the path: canonical decimal (400 on `path` otherwise).
fn component_position(segment: &str) -> Result<i32, ApiError> {
    i32::try_from(path_number(segment)?)
        .map_err(|_| ApiError::bad_param("path", "the component position is too large"))
}

fn component_exists(
    conn: &mut DbConnection,
    dossier: motcua_core::record_ids::DossierId,
    position: i32,
) -> Result<(), ApiError> {
    if dossiers::components(conn, dossier)?
        .iter()
        .any(|c| c.position == position)
    {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "component {position} of this dossier"
        )))
    }
}

/// The assembled document must verify against the trust store now.
fn check_signed(state: &AppState, store: &TrustStore, signed: &[u8]) -> Result<(), ApiError> {
    let reports = pades::verify_pdf(signed, store, &[], Utc::now(), RevocationPolicy::Require)
        .map_err(|e| ApiError::invalid("signature_base64", e.to_string()))?;
    for report in &reports {
        state.web.metrics.verified(&report.report.indication);
    }
    match reports.last() {
        Some(report) if report.report.indication == Indication::TotalPassed => Ok(()),
        Some(report) => Err(ApiError::invalid(
            "signature_base64",
            report.report.summary.clone(),
        )),
        None => Err(ApiError::invalid(
            "signature_base64",
            "no signature in the assembled document",
        )),
    }
}

/// An open signing session as the official's signing program shows it before signing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SigningSessionDetails {
    pub session_id: String,
    /// What is signed: `dossier_component`.
    pub kind: String,
    pub dossier_code: String,
    pub position: i32,
    /// The unit that received the dossier.
    pub unit_name: String,
    pub official_id: OfficialId,
    pub certificate_id: CertificateId,
    /// The certificate the signature is prepared for (DER, base64): the key that signs must be
    /// its key.
    pub certificate_base64: String,
    /// SHA-256 of the signed bytes of the prepared PDF (its byte ranges), hex.
    pub document_sha256: String,
    pub to_be_signed_base64: String,
    pub to_be_signed_sha256: String,
    /// How an RSA key signs: `pkcs1v15` or `pss`.
    #[schema(value_type = String, example = "pkcs1v15")]
    pub rsa_padding: motcua_pki::cms::RsaPadding,
    pub expires_at: DateTime<Utc>,
    /// Whether the session still takes a signature.
    pub open: bool,
    /// `pending`, `awaiting_approval`, `signed`, `rejected` or `expired`.
    #[schema(value_type = String, example = "pending")]
    pub state: motcua_core::signing_session::SessionState,
    /// Why the session was rejected or expired.
    pub reason: Option<String>,
    /// The remote signing request, once made.
    pub remote: Option<motcua_web::remote_signing::RemoteView>,
    /// The signed scan, once signed.
    pub download: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SigningSessionList {
    /// The official's open sessions, oldest first.
    pub items: Vec<SigningSessionDetails>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OpenSessionsQuery {
    /// The official whose open sessions are listed.
    pub official_id: OfficialId,
}

/// A signing session: what it signs (dossier, component, unit, document hash), the bytes to
/// sign, for the official's signing program (`motcua sign --service`), and where it is (`state`:
/// `pending`, `awaiting_approval`, `signed`, `rejected`, `expired`; why it ended; its remote
/// signing request).
#[utoipa::path(tag = "dossiers", params(("id" = String, Path)), responses((status = 200, body = SigningSessionDetails), ReadErrors), security(("api_key" = [])))]
#[get("/signing-sessions/{id}")]
pub async fn show_session(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<actix_web::web::Json<SigningSessionDetails>, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let id = id.into_inner();
    state
        .read(move |conn| {
            let session = signing::find_session(conn, &id).map_err(|e| match e {
                DbError::NotFound => ApiError::NotFound(format!("no signing session {id}")),
                other => other.into(),
            })?;
            session_details(conn, &who, session)
        })
        .await
        .map(actix_web::web::Json)
}

/// The open signing sessions of an official, oldest first: what `motcua sign --next` signs.
#[utoipa::path(tag = "dossiers", params(OpenSessionsQuery), responses((status = 200, body = SigningSessionList), ReadErrors), security(("api_key" = [])))]
#[get("/signing-sessions")]
pub async fn open_sessions(
    state: Data<AppState>,
    who: Principal,
    query: motcua_web::extract::ValidQuery<OpenSessionsQuery>,
) -> Result<actix_web::web::Json<SigningSessionList>, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let official = query.into_inner().official_id;
    state
        .read(move |conn| {
            let mut items = Vec::new();
            for id in signing::open_sessions_of(conn, official, now())? {
                let session = signing::find_session(conn, &id)?;
                // Sessions of dossiers outside the key's units are not shown.
                match session_details(conn, &who, session) {
                    Ok(details) => items.push(details),
                    Err(ApiError::Forbidden(_)) => {}
                    Err(other) => return Err(other),
                }
            }
            Ok(SigningSessionList { items })
        })
        .await
        .map(actix_web::web::Json)
}

fn session_details(
    conn: &mut DbConnection,
    who: &Principal,
    session: SigningSession,
) -> Result<SigningSessionDetails, ApiError> {
    let dossier = dossiers::find_by_id(conn, session.dossier_id)?;
    who.require_unit(conn, dossier.unit_id)?;
    let unit = units::find(conn, dossier.unit_id)?;
    let certificate = certificates::find(conn, session.certificate_id)?;
    let pending: PendingSignature =
        serde_json::from_str(&session.prepared).map_err(ApiError::internal_from)?;
    let to_be_signed = pending.to_be_signed();
    let status = crate::signing_sessions::status_view(&session, &dossier.code, now());
    Ok(SigningSessionDetails {
        kind: "dossier_component".into(),
        dossier_code: dossier.code,
        position: session.position,
        unit_name: unit.name,
        official_id: session.official_id,
        certificate_id: session.certificate_id,
        certificate_base64: STANDARD.encode(&certificate.der),
        document_sha256: hex::encode(
            pending
                .document_digest(&session.pdf)
                .map_err(ApiError::internal_from)?,
        ),
        to_be_signed_sha256: hex::encode(Sha256::digest(to_be_signed)),
        to_be_signed_base64: STANDARD.encode(to_be_signed),
        rsa_padding: pending.prepared.rsa_padding,
        expires_at: utc(session.expires_at),
        open: check_open(session.completed_at, session.expires_at, now()).is_ok(),
        state: status.state,
        reason: status.reason,
        remote: status.remote,
        download: status.download,
        session_id: session.id,
    })
}
