//! The lifecycle of a component's signing session, one state machine
//! ([`SessionState::can_move_to`]): every move goes through [`record_move`], which writes it and
//! its audit record in the caller's transaction. Remote signing drives it through a configured
//! provider ([`motcua_pki::remote::RemoteSigner`]): [`start_remote`] asks the provider
//! (`pending → awaiting_approval`, or `→ rejected` when it refuses at once), and [`poll_round`],
//! run by the service in the background, asks for each awaited answer until it comes
//! (`→ signed`), the provider refuses (`→ rejected`) or the deadline passes (`→ expired`); it
//! also records the expiry of pending sessions whose time ran out. What is not particular to
//! components (the provider calls, the deadline, the step of a round) is shared with the report
//! service's leader sessions in `motcua_web::remote_signing`.

use std::time::Duration;

use actix_web::web::Data;
use chrono::{DateTime, NaiveDateTime, Utc};
use motcua_audit::Actor;
use motcua_core::record_ids::{CertificateId, DossierId, OfficialId};
use motcua_core::signing_session::SessionState;
use motcua_db::signing::{self, SessionMove, SigningSession};
use motcua_db::{certificates, dossiers, now, DbConnection};
use motcua_pki::pades::PendingSignature;
use motcua_pki::Certificate;
use motcua_web::answer::Answer;
use motcua_web::archival::SignatureKind;
use motcua_web::error::ApiError;
use motcua_web::remote_signing::{
    each_session, RemoteCredentialList, RemoteSigningRequest, RemoteView, SessionStatus, Started,
    Step, PENDING_EXPIRED, POLL_BATCH, SESSION_OBJECT,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::{Principal, UnitScope};
use crate::routes::component_signing::{assemble, open_session, store_signed};
use crate::routes::utc;
use crate::state::AppState;

/// Where a signing session is, as `GET /signing-sessions/{id}` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionStatusView {
    pub session_id: String,
    /// `pending`, `awaiting_approval`, `signed`, `rejected` or `expired`.
    pub state: SessionState,
    /// Why the session was rejected or expired.
    pub reason: Option<String>,
    pub dossier_code: String,
    pub position: i32,
    pub official_id: OfficialId,
    pub certificate_id: CertificateId,
    /// When a session without a signature expires.
    pub expires_at: DateTime<Utc>,
    /// The remote signing request, once made.
    pub remote: Option<RemoteView>,
    /// The signed scan, once signed.
    pub download: Option<String>,
}

/// The credentials `provider` lists for the official (its user id is the official's CCCD), each
/// with the registered certificate of the official it holds, if any.
pub async fn credentials_of(
    state: &Data<AppState>,
    who: Principal,
    official: OfficialId,
    provider: &str,
) -> Result<RemoteCredentialList, ApiError> {
    let provider = state.remote.provider_param(provider)?;
    let (personal_id, registered) = state
        .read(move |conn| {
            let found = motcua_db::officials::find(conn, official)
                .map_err(ApiError::not_found_as(format!("official {official}")))?;
            who.require_unit(conn, found.unit_id)?;
            let registered = signing::usable_personal_certificates(conn, official)?;
            Ok((found.personal_id, registered))
        })
        .await?;
    provider
        .credentials(&personal_id, |der| {
            registered
                .iter()
                .find(|(_, registered)| registered.as_slice() == der)
                .map(|(id, _)| *id)
        })
        .await
}

/// What the audit record of a move says.
#[derive(Serialize)]
struct MoveRecord<'a> {
    from: SessionState,
    state: SessionState,
    reason: Option<&'a str>,
    dossier_id: DossierId,
    position: i32,
    official_id: OfficialId,
    certificate_id: CertificateId,
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
    signing::move_session(conn, &session.id, session.state, change)
        .map_err(|error| ApiError::Conflict(error.to_string()))?;
    let moved = signing::find_session(conn, &session.id)?;
    let record = MoveRecord {
        from: session.state,
        state: moved.state,
        reason: moved.state_reason.as_deref(),
        dossier_id: moved.dossier_id,
        position: moved.position,
        official_id: moved.official_id,
        certificate_id: moved.certificate_id,
        remote_provider: moved.remote_provider.as_deref(),
        remote_credential: moved.remote_credential.as_deref(),
        approval_deadline: moved.approval_deadline.map(utc),
    };
    let action = format!("{SESSION_OBJECT}.{}", moved.state.as_str());
    actor.record(conn, &action, SESSION_OBJECT, &moved.id, &record)?;
    Ok(moved)
}

/// The state columns of `session`.
fn status_of(session: &SigningSession) -> SessionStatus<'_> {
    SessionStatus {
        state: session.state,
        state_reason: session.state_reason.as_deref(),
        expires_at: session.expires_at,
        remote_provider: session.remote_provider.as_deref(),
        remote_credential: session.remote_credential.as_deref(),
        approval_deadline: session.approval_deadline,
    }
}

/// The session as the API shows it at `at`: a session whose time ran out shows `expired` even
/// before the background round records it.
pub fn status_view(
    session: &SigningSession,
    dossier_code: &str,
    at: NaiveDateTime,
) -> SessionStatusView {
    let status = status_of(session);
    let (state, reason) = status.shown_at(at);
    SessionStatusView {
        session_id: session.id.clone(),
        state,
        reason,
        dossier_code: dossier_code.to_owned(),
        position: session.position,
        official_id: session.official_id,
        certificate_id: session.certificate_id,
        expires_at: utc(session.expires_at),
        remote: status.remote(),
        download: (state == SessionState::Signed).then(|| {
            format!(
                "/dossiers/{dossier_code}/components/{}/file",
                session.position
            )
        }),
    }
}

/// The session `id` with its dossier's code, within `who`'s units.
pub fn find_visible(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<(SigningSession, String), ApiError> {
    let session = signing::find_session(conn, id)
        .map_err(ApiError::not_found_as(format!("signing session {id}")))?;
    let dossier = dossiers::find_by_id(conn, session.dossier_id)?;
    who.require_unit(conn, dossier.unit_id)?;
    Ok((session, dossier.code))
}

/// What a remote request needs from the pending session.
struct Prepared {
    certificate: Certificate,
    digest: [u8; 32],
    expires_at: NaiveDateTime,
}

/// `POST /signing-sessions/{id}/remote`: checks that the provider's credential holds the
/// session's certificate (the one bound to the official), asks the provider to sign, and records
/// `awaiting_approval` (202) or, when the provider refuses at once, `rejected` (200). A provider
/// that cannot be reached changes nothing (502).
pub async fn start_remote(
    state: &Data<AppState>,
    who: Principal,
    actor: Actor,
    id: String,
    request: RemoteSigningRequest,
) -> Result<Answer, ApiError> {
    let provider = state.remote.provider_for(&request)?;
    let (reader, session_id) = (who.clone(), id.clone());
    let prepared = state
        .read(move |conn| prepared_for_remote(conn, &reader, &session_id))
        .await?;
    let started = provider
        .request(
            &request.credential_id,
            &prepared.certificate,
            prepared.digest,
        )
        .await?;
    let deadline = provider.approval_deadline(prepared.expires_at);
    state
        .write_answer(move |conn| {
            let session = open_session(conn, &id, SessionState::Pending)?;
            let (_, code) = find_visible(conn, &who, &id)?;
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
                Started::Awaiting(_) => Answer::accepted(&status_view(&awaiting, &code, now())),
                Started::Refused(reason) => {
                    let rejected = reject(conn, &actor, &awaiting, reason)?;
                    Answer::ok(&status_view(&rejected, &code, now()))
                }
            }
        })
        .await
}

fn prepared_for_remote(
    conn: &mut DbConnection,
    who: &Principal,
    id: &str,
) -> Result<Prepared, ApiError> {
    find_visible(conn, who, id)?;
    let session = open_session(conn, id, SessionState::Pending)?;
    let stored = certificates::find(conn, session.certificate_id)?;
    if !stored.usable {
        return Err(ApiError::Conflict(
            "the official's certificate is no longer usable; prepare a new session".into(),
        ));
    }
    let pending: PendingSignature =
        serde_json::from_str(&session.prepared).map_err(ApiError::internal_from)?;
    Ok(Prepared {
        certificate: Certificate::from_der(&stored.der).map_err(ApiError::internal_from)?,
        digest: Sha256::digest(pending.to_be_signed()).into(),
        expires_at: session.expires_at,
    })
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
                signing::awaiting_approval(conn, POLL_BATCH)?,
                signing::pending_expired(conn, now(), POLL_BATCH)?,
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
            let session = signing::find_session(conn, &id)?;
            let change = SessionMove::ending(SessionState::Expired, PENDING_EXPIRED.to_owned());
            record_move(conn, &Actor::system("signing sessions"), &session, &change).map(|_| ())
        })
        .await
}

/// Asks the provider about session `id` (bounded by its deadline) and moves it on.
async fn advance(state: &Data<AppState>, id: &str) -> Result<(), ApiError> {
    let session_id = id.to_owned();
    let session = state
        .read(move |conn| Ok(signing::find_session(conn, &session_id)?))
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
        Step::Sign(signature) => sign(state, actor, &session, signature).await,
        Step::Reject(reason) => {
            let session = session.clone();
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

/// Embeds the provider's signature and stores the signed component, as a signature handed in
/// does; a signature that does not verify rejects the session. A failing timestamp authority
/// leaves it awaiting, to be tried again until the deadline.
async fn sign(
    state: &Data<AppState>,
    actor: Actor,
    session: &SigningSession,
    signature: Vec<u8>,
) -> Result<(), ApiError> {
    let slot = state.web.signature_slot().await?;
    let (app, id) = (state.clone(), session.id.clone());
    let assembled = state
        .read(move |conn| {
            assemble(
                conn,
                &app,
                None,
                &id,
                &signature,
                SessionState::AwaitingApproval,
            )
        })
        .await;
    drop(slot);
    let assembled = match assembled {
        Ok(assembled) => assembled,
        Err(ApiError::Invalid { invalid_params, .. }) => {
            let reasons: Vec<String> = invalid_params.into_iter().map(|p| p.reason).collect();
            let reason = format!(
                "the provider's signature was refused: {}",
                reasons.join("; ")
            );
            let session = session.clone();
            return state
                .write(move |conn| reject(conn, &actor, &session, reason).map(|_| ()))
                .await;
        }
        Err(other) => return Err(other),
    };
    let finished = state
        .archival
        .finish(
            SignatureKind::DossierComponent,
            assembled.signed,
            &assembled.trust.store,
        )
        .await?;
    let id = session.id.clone();
    state
        .write(move |conn| {
            store_signed(
                conn,
                None,
                &actor,
                &id,
                finished,
                SessionState::AwaitingApproval,
            )
            .map(|_| ())
        })
        .await
}

/// How often awaited answers are asked for and expired sessions recorded.
pub fn poll_interval(state: &AppState) -> Duration {
    state.remote.poll_interval
}
