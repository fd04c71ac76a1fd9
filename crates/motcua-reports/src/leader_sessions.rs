//! The lifecycle of a leader's signing session, the state machine of
//! [`SessionState::can_move_to`] (as a dossier component's session in the results service):
//! every move goes through [`record_move`], which writes it and its audit record
//! `signing_session.<state>` in the caller's transaction. Remote signing drives it through a
//! configured provider (`motcua_web::remote_signing`, shared with the results service):
//! [`start_remote`] asks the provider (`pending → awaiting_approval`, or `→ rejected` when it
//! refuses at once), and [`poll_round`], run in the background, asks for each awaited answer
//! until it comes (`→ signed`, and the report leader-signed exactly as with a token's
//! signature), the provider refuses (`→ rejected`) or the deadline passes (`→ expired`); it also
//! records the expiry of pending sessions whose time ran out.

use actix_web::web::Data;
use chrono::{DateTime, Utc};
use motcua_audit::Actor;
use motcua_core::access::Access;
use motcua_core::certificate::CertificateKind;
use motcua_core::record_ids::OfficialId;
use motcua_core::signing_session::SessionState;
use motcua_db::reports::{self, SigningSession};
use motcua_db::signing::SessionMove;
use motcua_db::{now, DbConnection};
use motcua_pki::pades::PendingSignature;
use motcua_pki::Certificate;
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::error::ApiError;
use motcua_web::remote_signing::{
    each_session, RemoteCredentialView, RemoteSigningRequest, SessionStatus, Started, Step,
    PENDING_EXPIRED, POLL_BATCH, SESSION_OBJECT,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lifecycle::{self, Transition};
use crate::package::sha256_hex;
use crate::routes::signing::{
    count_signature, leader_session_details, signed_document, store_leader_signature,
    takes_signature,
};
use crate::state::AppState;
use crate::workflow::{find, require_report, utc};

/// What the audit record of a move says.
#[derive(Serialize)]
struct MoveRecord<'a> {
    from: SessionState,
    state: SessionState,
    reason: Option<&'a str>,
    report_id: &'a str,
    official_id: OfficialId,
    certificate_sha256: String,
    remote_provider: Option<&'a str>,
    remote_credential: Option<&'a str>,
    approval_deadline: Option<DateTime<Utc>>,
}

/// Moves `session` as `change` says (refused when the state table forbids it or another writer
/// moved it first) and appends the audit record `signing_session.<new state>`.
pub fn record_move(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &SigningSession,
    change: &SessionMove,
) -> Result<SigningSession, ApiError> {
    reports::move_session(conn, &session.id, session.state, change)
        .map_err(|error| ApiError::Conflict(error.to_string()))?;
    let moved = reports::find_session(conn, &session.id)?;
    let record = MoveRecord {
        from: session.state,
        state: moved.state,
        reason: moved.state_reason.as_deref(),
        report_id: &moved.report_id,
        official_id: moved.official_id,
        certificate_sha256: sha256_hex(&moved.certificate),
        remote_provider: moved.remote_provider.as_deref(),
        remote_credential: moved.remote_credential.as_deref(),
        approval_deadline: moved.approval_deadline.map(utc),
    };
    let action = format!("{SESSION_OBJECT}.{}", moved.state.as_str());
    actor.record(conn, &action, SESSION_OBJECT, &moved.id, &record)?;
    Ok(moved)
}

/// The state columns of `session`.
pub fn status_of(session: &SigningSession) -> SessionStatus<'_> {
    SessionStatus {
        state: session.state,
        state_reason: session.state_reason.as_deref(),
        expires_at: session.expires_at,
        remote_provider: session.remote_provider.as_deref(),
        remote_credential: session.remote_credential.as_deref(),
        approval_deadline: session.approval_deadline,
    }
}

/// The session `id`, within `who`'s reports for `access`.
fn find_visible(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
    access: Access,
) -> Result<(SigningSession, reports::Report), ApiError> {
    let session = reports::find_session(conn, id)
        .map_err(ApiError::not_found_as(format!("signing session {id}")))?;
    let report = find(conn, &session.report_id)?;
    require_report(who, &report, access)?;
    Ok((session, report))
}

/// The pending session `id` that the provider is asked to sign, if it still takes a signature.
fn pending_for_remote(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<SigningSession, ApiError> {
    let (session, report) = find_visible(conn, who, id, Access::Write)?;
    takes_signature(&report, &session, SessionState::Pending)?;
    Ok(session)
}

/// `POST /leader-signing-sessions/{id}/remote`: checks that the provider's credential holds the
/// session's certificate, asks the provider to sign, and records `awaiting_approval` (202) or,
/// when the provider refuses at once, `rejected` (200). A provider that cannot be reached
/// changes nothing (502).
pub async fn start_remote(
    state: &Data<AppState>,
    who: Principal,
    actor: Actor,
    id: String,
    request: RemoteSigningRequest,
) -> Result<Answer, ApiError> {
    let provider = state.remote.provider_for(&request)?;
    let (reader, session_id) = (who.clone(), id.clone());
    let session = state
        .read(move |conn| pending_for_remote(conn, &reader, &session_id))
        .await?;
    let certificate =
        Certificate::from_der(&session.certificate).map_err(ApiError::internal_from)?;
    let pending: PendingSignature =
        serde_json::from_str(&session.prepared).map_err(ApiError::internal_from)?;
    let digest = motcua_pki::cms::sha256(pending.to_be_signed());
    let started = provider
        .request(&request.credential_id, &certificate, digest)
        .await?;
    let deadline = provider.approval_deadline(session.expires_at);
    state
        .write_answer(move |conn| {
            let session = pending_for_remote(conn, &who, &id)?;
            let awaiting = record_move(
                conn,
                &actor,
                &session,
                &SessionMove {
                    state: Some(SessionState::AwaitingApproval),
                    remote_provider: Some(provider.name.clone()),
                    remote_credential: Some(request.credential_id.clone()),
                    remote_transaction: started.transaction(),
                    approval_deadline: Some(deadline),
                    ..SessionMove::default()
                },
            )?;
            match started {
                Started::Awaiting(_) => {
                    Answer::accepted(&leader_session_details(conn, &who, awaiting)?)
                }
                Started::Refused(reason) => {
                    let rejected = reject(conn, &actor, &awaiting, reason)?;
                    Answer::ok(&leader_session_details(conn, &who, rejected)?)
                }
            }
        })
        .await
}

/// A credential a provider holds for the session's leader.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderCredentialView {
    #[serde(flatten)]
    pub credential: RemoteCredentialView,
    /// The credential holds the certificate the session was prepared with: only such a
    /// credential can sign the session.
    pub holds_session_certificate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderCredentialList {
    pub provider: String,
    pub session_id: String,
    pub items: Vec<LeaderCredentialView>,
}

/// The credentials `provider` lists for the session's leader (its user id is the official's
/// CCCD, read from the results service), each with the leader's registered certificate it holds
/// and whether that is the session's certificate.
pub async fn credentials_of(
    state: &Data<AppState>,
    who: Principal,
    id: String,
    provider: &str,
) -> Result<LeaderCredentialList, ApiError> {
    let provider = state.remote.provider_param(provider)?;
    let session_id = id.clone();
    let (session, _) = state
        .read(move |conn| find_visible(conn, &who, &session_id, Access::Read))
        .await?;
    let (personal_id, registered) = leader_identity(state, session.official_id).await?;
    let listed = provider
        .credentials(&personal_id, |der| {
            let sha256 = sha256_hex(der);
            registered
                .iter()
                .find(|certificate| certificate.fingerprint_sha256 == sha256)
                .map(|certificate| certificate.id)
        })
        .await?;
    let session_sha256 = sha256_hex(&session.certificate);
    Ok(LeaderCredentialList {
        provider: listed.provider,
        session_id: id,
        items: listed
            .items
            .into_iter()
            .map(|credential| LeaderCredentialView {
                holds_session_certificate: credential.certificate_sha256 == session_sha256,
                credential,
            })
            .collect(),
    })
}

/// The official's CCCD and usable personal certificates, from the results service.
async fn leader_identity(
    state: &AppState,
    official: OfficialId,
) -> Result<(String, Vec<crate::client::Certificate>), ApiError> {
    let client = state.results()?;
    let unreachable = |error| {
        ApiError::BadGateway(format!(
            "cannot read the leader from the results service: {error}"
        ))
    };
    let personal_id = client
        .official(official)
        .await
        .map_err(unreachable)?
        .value
        .personal_id;
    let registered = client
        .official_certificates(official)
        .await
        .map_err(unreachable)?
        .value
        .into_iter()
        .filter(|certificate| certificate.kind == CertificateKind::Individual && certificate.usable)
        .collect();
    Ok((personal_id, registered))
}

fn reject(
    conn: &mut DbConnection,
    actor: &Actor,
    session: &SigningSession,
    reason: String,
) -> Result<SigningSession, ApiError> {
    record_move(
        conn,
        actor,
        session,
        &SessionMove::ending(SessionState::Rejected, reason),
    )
}

/// One background round: moves every session awaiting a provider's answer one step, if it
/// can, and records the expiry of pending sessions whose time ran out.
pub async fn poll_round(state: &Data<AppState>) {
    let found = state
        .read(|conn| {
            Ok((
                reports::awaiting_approval(conn, POLL_BATCH)?,
                reports::pending_expired(conn, now(), POLL_BATCH)?,
            ))
        })
        .await;
    let (awaiting, expired) = match found {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(%error, "signing sessions: the sessions to move on cannot be read");
            return;
        }
    };
    each_session(awaiting, |id| async move { advance(state, &id).await }).await;
    each_session(
        expired,
        |id| async move { expire_pending(state, &id).await },
    )
    .await;
}

/// Records `expired` for the pending session `id`, whose time ran out.
async fn expire_pending(state: &Data<AppState>, id: &str) -> Result<(), ApiError> {
    let id = id.to_owned();
    state
        .write(move |conn| {
            let session = reports::find_session(conn, &id)?;
            let change = SessionMove::ending(SessionState::Expired, PENDING_EXPIRED.to_owned());
            record_move(conn, &Actor::system("signing sessions"), &session, &change).map(|_| ())
        })
        .await
}

/// Asks the provider about session `id` (bounded by its deadline) and moves it on.
async fn advance(state: &Data<AppState>, id: &str) -> Result<(), ApiError> {
    let session_id = id.to_owned();
    let session = state
        .read(move |conn| Ok(reports::find_session(conn, &session_id)?))
        .await?;
    if session.state != SessionState::AwaitingApproval {
        return Ok(());
    }
    let step = state
        .remote
        .next_step(
            &session.id,
            &status_of(&session),
            session.remote_transaction.as_deref(),
        )
        .await;
    let actor = Actor::system("remote signing");
    match step {
        Step::Wait => Ok(()),
        Step::Sign(signature) => sign(state, actor, session, signature).await,
        Step::Reject(reason) => {
            state
                .write(move |conn| reject(conn, &actor, &session, reason).map(|_| ()))
                .await
        }
        Step::Expire => {
            let change = SessionMove::ending(
                SessionState::Expired,
                status_of(&session).no_answer_reason(),
            );
            state
                .write(move |conn| record_move(conn, &actor, &session, &change).map(|_| ()))
                .await
        }
    }
}

/// Assembles, checks and stores the provider's signature exactly as a token's signature handed
/// in: the report becomes leader-signed. A report that no longer waits for its leader, or a
/// signature that does not verify, rejects the session; a failing timestamp authority leaves it
/// awaiting, to be tried again until the deadline.
async fn sign(
    state: &Data<AppState>,
    actor: Actor,
    session: SigningSession,
    signature: Vec<u8>,
) -> Result<(), ApiError> {
    let report_id = session.report_id.clone();
    let report = state.read(move |conn| find(conn, &report_id)).await?;
    if let Err(error) = lifecycle::check(&report, Transition::SignByLeader) {
        let reason = format!("the report no longer waits for its leader's signature: {error}");
        return state
            .write(move |conn| reject(conn, &actor, &session, reason).map(|_| ()))
            .await;
    }
    let finished = match signed_document(state, &session, signature).await {
        Ok(finished) => finished,
        Err(ApiError::Invalid { invalid_params, .. }) => {
            let reasons: Vec<String> = invalid_params.into_iter().map(|p| p.reason).collect();
            let reason = format!(
                "the provider's signature was refused: {}",
                reasons.join("; ")
            );
            return state
                .write(move |conn| reject(conn, &actor, &session, reason).map(|_| ()))
                .await;
        }
        Err(other) => return Err(other),
    };
    let id = session.id.clone();
    state
        .write(move |conn| {
            let session = reports::find_session(conn, &id)?;
            let report = find(conn, &session.report_id)?;
            takes_signature(&report, &session, SessionState::AwaitingApproval)?;
            store_leader_signature(conn, &session, finished, &actor).map(|_| ())
        })
        .await?;
    count_signature(state);
    Ok(())
}
