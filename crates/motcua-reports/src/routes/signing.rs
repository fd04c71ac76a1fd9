//! The leader's personal signature, in two steps: the service prepares the document with the
//! signature field where NĐ 30 puts it and returns the bytes to sign; the leader's token (or
//! `motcua sign`) signs them; the service assembles and checks the signature. The personal key
//! never reaches the server.

use actix_web::web::{Data, Path};
use actix_web::{get, post};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_audit::Actor;
use motcua_core::access::Access;
use motcua_core::certificate::CertificateKind;
use motcua_core::record_ids::{CertificateId, OfficialId};
use motcua_core::signing_session::SessionState;
use motcua_db::reports::{self, AppearanceOwner, Report, ReportDocument, SigningSession};
use motcua_db::signing::{check_open, SessionClosed, SessionMove, SessionOpening};
use motcua_db::{now, DbConnection};
use motcua_document::RenderedDocument;
use motcua_pki::pades::{
    AppearanceImage, PendingSignature, SignatureAppearance, SignatureMark, SignatureRequest,
};
use motcua_pki::{parse_certificates, Certificate};
use motcua_web::answer::Answer;
use motcua_web::archival::{Finished, SignatureKind};
use motcua_web::auth::Principal;
use motcua_web::concurrency::IfMatch;
use motcua_web::error::responses::{PreconditionErrors, ReadErrors, WriteErrors};
use motcua_web::error::{to_json_text, ApiError};
use motcua_web::extract::ValidJson;
use motcua_web::remote_signing::RemoteView;
use motcua_web::request_id::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::content::Signatory;
use crate::leader_sessions::{record_move, status_of};
use crate::lifecycle::{self, Step, Transition};
use crate::package::sha256_hex;
use crate::routes::appearance_images::stored_image;
use crate::state::AppState;
use crate::workflow::{
    self, current_view, find, read_for_step, require_report, require_unchanged, ReportView,
    LEADER_SIGNED, RENDERED,
};

/// How long a prepared document waits for the token's signature.
const SESSION_MINUTES: i64 = 60;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderSigningSession {
    pub session_id: String,
    pub report_id: String,
    pub official_id: OfficialId,
    /// The certificate (in the results service) the signature is prepared for.
    pub certificate_id: CertificateId,
    /// The DER of the CMS signed attributes: what the token signs (base64).
    pub to_be_signed_base64: String,
    /// SHA-256 of `to_be_signed`, hex, for tokens that sign a digest.
    pub to_be_signed_sha256: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderSignature {
    /// The raw signature over `to_be_signed` (base64): PKCS#1 v1.5 for RSA, DER or `r || s` for
    /// ECDSA.
    pub signature_base64: String,
}

/// `CertificateView` of the results service, the part needed here.
#[derive(Debug, Deserialize)]
struct CertificatePem {
    pem: String,
    /// The issuing CAs up to, not including, the root (absent from older results services).
    #[serde(default)]
    chain_pem: Vec<String>,
}

/// The leader's certificate as the results service registered it.
struct LeaderCertificate {
    id: CertificateId,
    certificate: Certificate,
    /// The CA certificates the results service chains it with.
    chain: Vec<Certificate>,
}

/// The newest usable personal certificate of the official, from the results service.
async fn leader_certificate(
    state: &AppState,
    official: OfficialId,
) -> Result<LeaderCertificate, ApiError> {
    let client = state.results()?;
    let listed = client
        .official_certificates(official)
        .await
        .map_err(|e| ApiError::BadGateway(format!("cannot list the leader's certificates: {e}")))?
        .value;
    let chosen = listed
        .iter()
        .filter(|certificate| certificate.kind == CertificateKind::Individual && certificate.usable)
        .max_by_key(|certificate| certificate.not_before)
        .ok_or_else(|| {
            ApiError::Conflict(
                "the leader has no usable personal certificate registered in the results service"
                    .into(),
            )
        })?;
    let pem: CertificatePem = client
        .get_json(&format!("/certificates/{}", chosen.id), &[])
        .await
        .map_err(|e| ApiError::BadGateway(format!("cannot read the leader's certificate: {e}")))?
        .value;
    let certificate = parse_certificates(pem.pem.as_bytes())
        .ok()
        .and_then(|mut certificates| certificates.drain(..).next())
        .ok_or_else(|| ApiError::BadGateway("the leader's certificate cannot be read".into()))?;
    let mut chain = Vec::new();
    for authority in &pem.chain_pem {
        let parsed = parse_certificates(authority.as_bytes()).map_err(|e| {
            ApiError::BadGateway(format!(
                "a CA certificate of the leader's chain cannot be read: {e}"
            ))
        })?;
        chain.extend(parsed);
    }
    Ok(LeaderCertificate {
        id: chosen.id,
        certificate,
        chain,
    })
}

/// Step 1: prepares the leader's signature of a report that is ready for signature.
#[utoipa::path(tag = "signing", params(("id" = String, Path), IfMatch), responses((status = 201, body = LeaderSigningSession), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/reports/{id}/leader-signing-sessions")]
pub async fn prepare_leader_signature(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
    if_match: IfMatch,
) -> Result<Answer, ApiError> {
    let id = id.into_inner();
    let (report, version) = read_for_step(&state, &who, &id, Transition::SignByLeader).await?;
    // Before anything about the leader: a report that could not be issued is not signed.
    let (issuer, unit) = (state.clone(), report.unit_id);
    state
        .read(move |conn| super::reports::require_issuable(&issuer, conn, unit))
        .await?;
    let signatory = version
        .content
        .signatory
        .clone()
        .ok_or_else(|| ApiError::internal("a ready report without signatory"))?;
    let LeaderCertificate {
        id: certificate_id,
        certificate,
        chain,
    } = leader_certificate(&state, signatory.official_id).await?;
    // The CA certificates the signature carries, up to the root, so that a validator given only
    // the root can build the path: this service's trust roots and the chain the results service
    // gave.
    let chain = state.trust_store()?.intermediates_for(&certificate, &chain);
    let chain_der: Vec<u8> = chain.iter().flat_map(Certificate::der).copied().collect();
    let level = state.archival.level(SignatureKind::ReportLeader);
    // Signature work waits for a slot: a burst cannot take every core.
    let _slot = state.web.signature_slot().await?;
    state
        .write_answer(move |conn| {
            // The leader signs what the client read: a report changed since is not prepared.
            require_unchanged(conn, &report.id, &if_match)?;
            let stored = reports::document(conn, &report.id, RENDERED)?
                .ok_or_else(|| ApiError::internal("a ready report without document"))?;
            // Rendering is deterministic: render again to know where the signature goes. The
            // stored document is that rendering and the update of its verification QR code.
            let rendered = workflow::render_unnumbered(&report, &version)?;
            if !stored.pdf.starts_with(&rendered.pdf) {
                return Err(ApiError::internal(format!(
                    "report {} renders differently than when it was made ready",
                    report.id
                )));
            }
            let image = stored_image(conn, AppearanceOwner::Official(signatory.official_id))?;
            let place = version.content.letterhead.place;
            let request = leader_signature(&signatory, &rendered, place, image).level(level);
            let (pdf, pending) = request
                .prepare(&stored.pdf, &certificate)
                .map_err(|e| ApiError::internal(format!("preparing the signature: {e}")))?;
            let opening = SessionOpening::now(SESSION_MINUTES);
            let session = SigningSession {
                id: opening.id,
                report_id: report.id.clone(),
                official_id: signatory.official_id,
                official_name: signatory.full_name.clone(),
                certificate: certificate.der().to_vec(),
                chain: chain_der,
                prepared: to_json_text(&pending)?,
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
            reports::insert_session(conn, &session)?;
            let to_be_signed = pending.to_be_signed();
            Answer::created(
                None,
                &LeaderSigningSession {
                    session_id: session.id,
                    report_id: session.report_id,
                    official_id: session.official_id,
                    certificate_id,
                    to_be_signed_sha256: hex::encode(motcua_pki::cms::sha256(to_be_signed)),
                    to_be_signed_base64: STANDARD.encode(to_be_signed),
                    expires_at: workflow::utc(session.expires_at),
                },
            )
        })
        .await
}

/// The leader's personal signature, where NĐ 30 puts it.
fn leader_signature(
    signatory: &Signatory,
    rendered: &RenderedDocument,
    place: String,
    image: Option<AppearanceImage>,
) -> SignatureRequest {
    let signing_time = Utc::now();
    let local = signing_time.with_timezone(&workflow::vietnam());
    SignatureRequest::new(signing_time)
        .field("LanhDao", rendered.signature_slots.page)
        // The number and date stay open: the issue writes them under the organisation's
        // signature.
        .lock_except(
            rendered
                .fields
                .iter()
                .map(|field| field.name.clone())
                .collect(),
        )
        .name(signatory.full_name.clone())
        .reason(format!(
            "{} ký duyệt báo cáo lúc {}",
            signatory.full_name,
            local.format("%Y-%m-%dT%H:%M:%S%:z")
        ))
        .location(place)
        // The handwritten signature's image between the title and the name; a neutral stroke
        // stands in for it when none was uploaded. Who signed and when are in the signature.
        .appearance(SignatureAppearance {
            rect: rendered.signature_slots.signer,
            mark: SignatureMark::Personal,
            text: Vec::new(),
            image,
        })
}

/// Step 2: the token's signature; the report becomes signed by the leader. The signature is
/// assembled and raised to its level (timestamp, validation data) outside any transaction,
/// then stored if the session is still open and the report unchanged.
#[utoipa::path(tag = "signing", params(("session_id" = String, Path), IfMatch), request_body = LeaderSignature, responses((status = 200, body = ReportView, headers(("ETag" = String, description = "The report's new entity tag"))), (status = 502, description = "The timestamp authority or a revocation source failed and no fallback level is configured; nothing changed", body = motcua_web::error::Problem, content_type = "application/problem+json"), WriteErrors, PreconditionErrors), security(("api_key" = [])))]
#[post("/leader-signing-sessions/{session_id}/signature")]
pub async fn complete_leader_signature(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    session_id: Path<String>,
    if_match: IfMatch,
    body: ValidJson<LeaderSignature>,
) -> Result<Answer, ApiError> {
    let session_id = session_id.into_inner();
    let raw = STANDARD
        .decode(body.into_inner().signature_base64.trim())
        .map_err(|_| ApiError::invalid("signature_base64", "not base64"))?;
    let actor = Actor::new(&who, &request_id);
    let session = {
        let (who, session_id, if_match) = (who.clone(), session_id.clone(), if_match.clone());
        state
            .read(move |conn| open_session(conn, &who, &session_id, &if_match))
            .await?
    };
    let finished = signed_document(&state, &session, raw).await?;
    let answer = state
        .write_answer(move |conn| {
            let session = open_session(conn, &who, &session_id, &if_match)?;
            store_leader_signature(conn, &session, finished, &actor)
        })
        .await?;
    count_signature(&state);
    Ok(answer)
}

/// The session's prepared document with the leader's raw signature, checked and raised to its
/// level (timestamp, validation data) outside any transaction: what a token hands in and what a
/// remote signing provider answers go through the same steps.
pub(crate) async fn signed_document(
    state: &AppState,
    session: &SigningSession,
    raw: Vec<u8>,
) -> Result<Finished, ApiError> {
    let store = state.trust_store()?;
    // Signature work waits for a slot: a burst cannot take every core.
    let _slot = state.web.signature_slot().await?;
    let signed = assemble_leader_signature(session, raw).await?;
    state
        .archival
        .finish(SignatureKind::ReportLeader, signed, &store)
        .await
}

/// Counts a leader's signature made.
pub(crate) fn count_signature(state: &AppState) {
    state
        .web
        .metrics
        .signatures_made
        .with_label_values(&["report_leader"])
        .inc();
}

/// The session, if it is open and its report may be signed by this key as the client read it.
fn open_session(
    conn: &mut DbConnection,
    who: &Principal,
    session_id: &str,
    if_match: &IfMatch,
) -> Result<SigningSession, ApiError> {
    let session = reports::find_session(conn, session_id).map_err(ApiError::not_found_as(
        format!("signing session {session_id}"),
    ))?;
    let report = find(conn, &session.report_id)?;
    require_report(who, &report, Access::Write)?;
    require_unchanged(conn, &report.id, if_match)?;
    takes_signature(&report, &session, SessionState::Pending)?;
    Ok(session)
}

/// Refuses (409) a signature for `session` unless its report is ready for signature, the session
/// is in state `expected` and its time (its approval deadline, once a provider was asked) has
/// not run out.
pub(crate) fn takes_signature(
    report: &Report,
    session: &SigningSession,
    expected: SessionState,
) -> Result<(), ApiError> {
    lifecycle::check(report, Transition::SignByLeader)?;
    if session.state != expected {
        return Err(ApiError::Conflict(match session.state {
            SessionState::Signed => "the signing session was already used".into(),
            state => format!(
                "the signing session is {}, not {}{}",
                state.as_str(),
                expected.as_str(),
                if state.is_final() {
                    "; prepare a new one"
                } else {
                    ""
                }
            ),
        }));
    }
    let deadline = status_of(session).deadline();
    check_open(session.completed_at, deadline, now()).map_err(|closed| {
        ApiError::Conflict(match closed {
            SessionClosed::Used => "the signing session was already used".into(),
            SessionClosed::Expired => "the signing session has expired; prepare a new one".into(),
        })
    })
}

/// Checks the token's signature and puts it in the prepared document (B-B), on the blocking
/// pool.
async fn assemble_leader_signature(
    session: &SigningSession,
    raw: Vec<u8>,
) -> Result<Vec<u8>, ApiError> {
    let (prepared, certificate, chain, pdf) = (
        session.prepared.clone(),
        session.certificate.clone(),
        session.chain.clone(),
        session.pdf.clone(),
    );
    actix_web::web::block(move || {
        let pending: PendingSignature =
            serde_json::from_str(&prepared).map_err(ApiError::internal_from)?;
        let certificate = Certificate::from_der(&certificate).map_err(ApiError::internal_from)?;
        let chain = if chain.is_empty() {
            Vec::new()
        } else {
            parse_certificates(&chain)
                .map_err(|e| ApiError::internal(format!("the session's chain: {e}")))?
        };
        pending
            .assemble(pdf, &raw, &certificate, &chain)
            .map_err(|e| ApiError::invalid("signature_base64", e.to_string()))
    })
    .await
    .map_err(|e| ApiError::internal(format!("signing task failed: {e}")))?
}

/// Stores the signed document, moves the session to `signed` and the report to leader-signed;
/// the audit record says the level the signature reached and why it fell back, if it did.
pub(crate) fn store_leader_signature(
    conn: &mut DbConnection,
    session: &SigningSession,
    finished: Finished,
    actor: &Actor,
) -> Result<Answer, ApiError> {
    let mut report = find(conn, &session.report_id)?;
    let at = now();
    let signed = SessionMove {
        state: Some(SessionState::Signed),
        completed_at: Some(at),
        ..SessionMove::default()
    };
    record_move(conn, actor, session, &signed)?;
    reports::put_document(
        conn,
        &ReportDocument {
            report_id: report.id.clone(),
            stage: LEADER_SIGNED.into(),
            sha256: sha256_hex(&finished.pdf),
            pdf: finished.pdf,
            created_at: at,
        },
    )?;
    let step = Step::SignByLeader {
        at,
        official_id: session.official_id,
        certificate_sha256: sha256_hex(&session.certificate),
        level: finished.level,
        fallback_reason: finished.fallback_reason.clone(),
    };
    lifecycle::take(conn, &mut report, step, actor)?;
    workflow::signed(
        current_view(conn, &report.id)?,
        finished.level,
        finished.fallback_reason,
    )
}

/// An open leader's signing session as the leader's signing program shows it before signing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderSessionDetails {
    pub session_id: String,
    /// What is signed: `report_leader`.
    pub kind: String,
    pub report_id: String,
    /// The report's subject line, or its periods when it has none.
    pub report_title: String,
    pub unit_name: String,
    pub official_id: OfficialId,
    pub official_name: String,
    /// The certificate the signature is prepared for (DER, base64).
    pub certificate_base64: String,
    /// SHA-256 of the signed bytes of the prepared PDF (its byte ranges), hex.
    pub document_sha256: String,
    pub to_be_signed_base64: String,
    pub to_be_signed_sha256: String,
    /// How an RSA key signs: `pkcs1v15` or `pss`.
    #[schema(value_type = String, example = "pkcs1v15")]
    pub rsa_padding: motcua_pki::cms::RsaPadding,
    pub expires_at: DateTime<Utc>,
    /// Whether the session still takes a signature handed in (it is `pending` and its time has
    /// not run out).
    pub open: bool,
    /// `pending`, `awaiting_approval`, `signed`, `rejected` or `expired`.
    #[schema(value_type = String, example = "pending")]
    pub state: SessionState,
    /// Why the session was rejected or expired.
    pub reason: Option<String>,
    /// The remote signing request, once made.
    pub remote: Option<RemoteView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderSessionList {
    /// The official's open sessions, oldest first.
    pub items: Vec<LeaderSessionDetails>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OpenLeaderSessionsQuery {
    /// The leader whose open sessions are listed.
    pub official_id: OfficialId,
}

/// A leader's signing session: which report (title, unit), the document hash and the bytes to
/// sign, for the leader's signing program (`motcua sign --service`), and where it is (`state`:
/// `pending`, `awaiting_approval`, `signed`, `rejected`, `expired`; why it ended; its remote
/// signing request).
#[utoipa::path(tag = "signing", params(("session_id" = String, Path)), responses((status = 200, body = LeaderSessionDetails), ReadErrors), security(("api_key" = [])))]
#[get("/leader-signing-sessions/{session_id}")]
pub async fn show_leader_session(
    state: Data<AppState>,
    who: Principal,
    id: Path<String>,
) -> Result<actix_web::web::Json<LeaderSessionDetails>, ApiError> {
    let id = id.into_inner();
    state
        .read(move |conn| {
            let session = reports::find_session(conn, &id)
                .map_err(ApiError::not_found_as(format!("signing session {id}")))?;
            leader_session_details(conn, &who, session)
        })
        .await
        .map(actix_web::web::Json)
}

/// The open leader's signing sessions of an official, oldest first: what `motcua sign --next`
/// signs.
#[utoipa::path(tag = "signing", params(OpenLeaderSessionsQuery), responses((status = 200, body = LeaderSessionList), ReadErrors), security(("api_key" = [])))]
#[get("/leader-signing-sessions")]
pub async fn open_leader_sessions(
    state: Data<AppState>,
    who: Principal,
    query: motcua_web::extract::ValidQuery<OpenLeaderSessionsQuery>,
) -> Result<actix_web::web::Json<LeaderSessionList>, ApiError> {
    who.require(motcua_core::access::Resource::Reports, Access::Read)?;
    let official = query.into_inner().official_id;
    state
        .read(move |conn| {
            let mut items = Vec::new();
            for id in reports::open_sessions_of(conn, official, now())? {
                let session = reports::find_session(conn, &id)?;
                // Sessions of reports outside the key's units are not shown.
                match leader_session_details(conn, &who, session) {
                    Ok(details) => items.push(details),
                    Err(ApiError::Forbidden(_)) => {}
                    Err(other) => return Err(other),
                }
            }
            Ok(LeaderSessionList { items })
        })
        .await
        .map(actix_web::web::Json)
}

pub(crate) fn leader_session_details(
    conn: &mut DbConnection,
    who: &Principal,
    session: SigningSession,
) -> Result<LeaderSessionDetails, ApiError> {
    let report = find(conn, &session.report_id)?;
    require_report(who, &report, Access::Read)?;
    let version = workflow::current_version(conn, &report)?;
    let pending: PendingSignature =
        serde_json::from_str(&session.prepared).map_err(ApiError::internal_from)?;
    let to_be_signed = pending.to_be_signed();
    let status = status_of(&session);
    let (state, reason) = status.shown_at(now());
    let remote = status.remote();
    let report_title = version
        .content
        .letterhead
        .subject
        .unwrap_or_else(|| format!("Báo cáo {}", report.periods.replace(',', ", ")));
    Ok(LeaderSessionDetails {
        kind: "report_leader".into(),
        report_id: report.id,
        report_title,
        unit_name: report.unit_name,
        official_id: session.official_id,
        official_name: session.official_name,
        certificate_base64: STANDARD.encode(&session.certificate),
        document_sha256: hex::encode(
            pending
                .document_digest(&session.pdf)
                .map_err(ApiError::internal_from)?,
        ),
        to_be_signed_sha256: hex::encode(motcua_pki::cms::sha256(to_be_signed)),
        to_be_signed_base64: STANDARD.encode(to_be_signed),
        rsa_padding: pending.prepared.rsa_padding,
        expires_at: workflow::utc(session.expires_at),
        open: state == SessionState::Pending,
        state,
        reason,
        remote,
        session_id: session.id,
    })
}
