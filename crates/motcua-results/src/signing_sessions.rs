//! The lifecycle of a component's signing session, one state machine
//! ([`SessionState::can_move_to`]): every move goes through [`record_move`], which writes it and
//! its audit record in the caller's transaction. Remote signing drives it through a configured
//! provider ([`motcua_pki::remote::RemoteSigner`]): [`start_remote`] asks the provider
//! (`pending → awaiting_approval`, or `→ rejected` when it refuses at once), and [`poll_round`],
//! run by the service in the background, asks for each awaited answer until it comes
//! (`→ signed`), the provider refuses (`→ rejected`) or the deadline passes (`→ expired`).

use std::time::Duration;

use actix_web::web::Data;
use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::StreamExt;
use motcua_audit::Actor;
use motcua_core::record_ids::{CertificateId, DossierId, OfficialId};
use motcua_core::signing_session::SessionState;
use motcua_db::signing::{self, SessionMove, SigningSession};
use motcua_db::{certificates, dossiers, now, DbConnection};
use motcua_pki::pades::PendingSignature;
use motcua_pki::remote::{Approval, RemoteError, Transaction};
use motcua_pki::Certificate;
use motcua_web::answer::Answer;
use motcua_web::archival::SignatureKind;
use motcua_web::error::ApiError;
use motcua_web::remote_signing::Provider;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::{Principal, UnitScope};
use crate::routes::component_signing::{assemble, open_session, store_signed};
use crate::routes::utc;
use crate::state::AppState;

/// The audit trail's object type of a session.
pub const SESSION_OBJECT: &str = "signing_session";

/// Sessions asked about in one polling round, oldest first; the rest wait for the next round.
const POLL_BATCH: i64 = 100;

/// Sessions asked about at once within a round.
const POLL_CONCURRENCY: usize = 16;

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

/// The remote signing request of a session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemoteView {
    /// The configured provider's name.
    pub provider: String,
    /// The provider's credential that signs.
    pub credential_id: String,
    /// The holder's approval must come before this instant, or the session expires.
    pub approval_deadline: Option<DateTime<Utc>>,
}

/// Ask a remote signing provider to sign the session's prepared signature.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteSigningRequest {
    /// A provider of the service's remote signing configuration (`MOTCUA_REMOTE_SIGNING_CONFIG`).
    pub provider: String,
    /// The provider's credential of the session's official; its certificate must be the one the
    /// session was prepared with.
    pub credential_id: String,
}

/// A credential a provider holds for an official.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemoteCredentialView {
    pub credential_id: String,
    /// The subject of the credential's certificate.
    pub subject: String,
    /// SHA-256 of the credential's certificate, hex.
    pub certificate_sha256: String,
    /// The official's registered, usable personal certificate that the credential holds; `null`
    /// when it holds another certificate (it cannot sign the official's sessions).
    pub certificate_id: Option<CertificateId>,
    /// The provider says the key can sign.
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RemoteCredentialList {
    pub provider: String,
    pub items: Vec<RemoteCredentialView>,
}

/// Credentials read from a provider in one listing: each costs a call.
const MAX_LISTED_CREDENTIALS: usize = 50;

/// The credentials `provider` lists for the official (its user id is the official's CCCD), each
/// with the registered certificate of the official it holds, if any.
pub async fn credentials_of(
    state: &Data<AppState>,
    who: Principal,
    official: OfficialId,
    provider: &str,
) -> Result<RemoteCredentialList, ApiError> {
    let provider = provider_named(state, provider)
        .map_err(|_| ApiError::bad_param("provider", "no remote signing provider by this name"))?;
    let (personal_id, registered) = state
        .read(move |conn| {
            let found = motcua_db::officials::find(conn, official)
                .map_err(ApiError::not_found_as(format!("official {official}")))?;
            who.require_unit(conn, found.unit_id)?;
            let registered = signing::usable_personal_certificates(conn, official)?;
            Ok((found.personal_id, registered))
        })
        .await?;
    let unanswered = |error: RemoteError| {
        ApiError::BadGateway(format!("the signing provider {}: {error}", provider.name))
    };
    let ids = provider
        .signer
        .credentials(Some(&personal_id))
        .await
        .map_err(unanswered)?;
    let mut items = Vec::new();
    for id in ids.iter().take(MAX_LISTED_CREDENTIALS) {
        let credential = match provider.signer.credential(id).await {
            Ok(credential) => credential,
            // A credential the provider will not describe cannot be used either.
            Err(RemoteError::Refused(_)) => continue,
            Err(other) => return Err(unanswered(other)),
        };
        items.push(RemoteCredentialView {
            credential_id: credential.id,
            subject: subject_of(&credential.certificate),
            certificate_sha256: hex::encode(Sha256::digest(&credential.certificate)),
            certificate_id: registered
                .iter()
                .find(|(_, der)| *der == credential.certificate)
                .map(|(id, _)| *id),
            enabled: credential.enabled,
        });
    }
    Ok(RemoteCredentialList {
        provider: provider.name,
        items,
    })
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

/// The session as the API shows it at `at`: a session whose time ran out shows `expired` even
/// before the background round records it.
pub fn status_view(
    session: &SigningSession,
    dossier_code: &str,
    at: NaiveDateTime,
) -> SessionStatusView {
    let (state, reason) = match session.state {
        SessionState::Pending if at > session.expires_at => (
            SessionState::Expired,
            Some("no signature came before the session's time ran out".to_owned()),
        ),
        SessionState::AwaitingApproval
            if at > session.approval_deadline.unwrap_or(session.expires_at) =>
        {
            (SessionState::Expired, Some(no_answer_reason(session)))
        }
        state => (state, session.state_reason.clone()),
    };
    SessionStatusView {
        session_id: session.id.clone(),
        state,
        reason,
        dossier_code: dossier_code.to_owned(),
        position: session.position,
        official_id: session.official_id,
        certificate_id: session.certificate_id,
        expires_at: utc(session.expires_at),
        remote: session
            .remote_provider
            .as_ref()
            .zip(session.remote_credential.as_ref())
            .map(|(provider, credential)| RemoteView {
                provider: provider.clone(),
                credential_id: credential.clone(),
                approval_deadline: session.approval_deadline.map(utc),
            }),
        download: (state == SessionState::Signed).then(|| {
            format!(
                "/dossiers/{dossier_code}/components/{}/file",
                session.position
            )
        }),
    }
}

fn no_answer_reason(session: &SigningSession) -> String {
    format!(
        "the signing provider {} gave no signature before the approval deadline",
        session.remote_provider.as_deref().unwrap_or("?")
    )
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
    let provider = provider_named(state, &request.provider)?;
    check_credential_id(&request.credential_id)?;
    let (reader, session_id) = (who.clone(), id.clone());
    let prepared = state
        .read(move |conn| prepared_for_remote(conn, &reader, &session_id))
        .await?;
    let credential = provider
        .signer
        .credential(&request.credential_id)
        .await
        .map_err(|error| provider_error(&provider, "credential_id", error))?;
    if credential.certificate != prepared.certificate.der() {
        return Err(ApiError::Conflict(format!(
            "the credential {} of {} holds the certificate of {}, not the official's certificate \
             that this session was prepared with ({})",
            request.credential_id,
            provider.name,
            subject_of(&credential.certificate),
            prepared.certificate.info().subject.text
        )));
    }
    let outcome = match provider
        .signer
        .start(
            &request.credential_id,
            prepared.digest,
            &prepared.certificate,
        )
        .await
    {
        Ok(transaction) => Ok(transaction),
        Err(RemoteError::Refused(reason)) => Err(reason),
        Err(unavailable) => return Err(provider_error(&provider, "provider", unavailable)),
    };
    let deadline = approval_deadline(&provider, prepared.expires_at);
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
                    remote_transaction: outcome.as_ref().ok().map(|t| t.0.clone()),
                    approval_deadline: Some(deadline),
                    ..SessionMove::default()
                },
            )?;
            match outcome {
                Ok(_) => Answer::accepted(&status_view(&awaiting, &code, now())),
                Err(reason) => {
                    let rejected = reject(conn, &actor, &awaiting, reason)?;
                    Answer::ok(&status_view(&rejected, &code, now()))
                }
            }
        })
        .await
}

fn provider_named(state: &AppState, name: &str) -> Result<Provider, ApiError> {
    state.remote.get(name).cloned().ok_or_else(|| {
        let names = state.remote.names();
        ApiError::invalid(
            "provider",
            if names.is_empty() {
                "no remote signing provider is configured (MOTCUA_REMOTE_SIGNING_CONFIG)".to_owned()
            } else {
                format!("no such provider; configured: {}", names.join(", "))
            },
        )
    })
}

fn check_credential_id(id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() || id.len() > 255 {
        Err(ApiError::invalid(
            "credential_id",
            "a credential id of 1 to 255 characters",
        ))
    } else {
        Ok(())
    }
}

/// A refusal is about the request's `field` (422); no answer is the provider's failure (502).
fn provider_error(provider: &Provider, field: &str, error: RemoteError) -> ApiError {
    match error {
        RemoteError::Refused(reason) => {
            ApiError::invalid(field, format!("{}: {reason}", provider.name))
        }
        RemoteError::Unavailable(reason) => ApiError::BadGateway(format!(
            "the signing provider {} did not answer: {reason}; nothing was changed",
            provider.name
        )),
    }
}

fn subject_of(der: &[u8]) -> String {
    Certificate::from_der(der)
        .map(|certificate| certificate.info().subject.text.clone())
        .unwrap_or_else(|_| "an unreadable certificate".to_owned())
}

/// The approval window from now, never past the session's own expiry.
fn approval_deadline(provider: &Provider, expires_at: NaiveDateTime) -> NaiveDateTime {
    let window =
        chrono::Duration::from_std(provider.approval_window).unwrap_or(chrono::Duration::MAX);
    now()
        .checked_add_signed(window)
        .unwrap_or(expires_at)
        .min(expires_at)
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
        &SessionMove {
            state: Some(SessionState::Rejected),
            state_reason: Some(reason),
            ..SessionMove::default()
        },
    )
}

/// Moves every session awaiting a provider's answer one step, if it can: one background round.
pub async fn poll_round(state: &Data<AppState>) {
    let awaiting = state
        .read(|conn| Ok(signing::awaiting_approval(conn, POLL_BATCH)?))
        .await;
    let ids = match awaiting {
        Ok(ids) => ids,
        Err(error) => {
            tracing::warn!(%error, "remote signing: the awaited sessions cannot be read");
            return;
        }
    };
    // Sessions are asked about side by side: one provider that hangs until its timeout does not
    // hold the others back past their deadlines.
    futures_util::stream::iter(ids)
        .for_each_concurrent(POLL_CONCURRENCY, |id| async move {
            if let Err(error) = advance(state, &id).await {
                tracing::warn!(session = %id, %error, "remote signing: the session could not move on");
            }
        })
        .await;
}

/// What the round decided for one session.
enum Step {
    Wait,
    Sign(Vec<u8>),
    Reject(String),
    Expire,
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
    let step = next_step(state, &session).await;
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
            let reason = no_answer_reason(&session);
            state
                .write(move |conn| {
                    let change = SessionMove {
                        state: Some(SessionState::Expired),
                        state_reason: Some(reason),
                        ..SessionMove::default()
                    };
                    record_move(conn, &actor, &session, &change).map(|_| ())
                })
                .await
        }
    }
}

async fn next_step(state: &AppState, session: &SigningSession) -> Step {
    let deadline = session.approval_deadline.unwrap_or(session.expires_at);
    let Some(remaining) = (deadline - now()).to_std().ok().filter(|d| !d.is_zero()) else {
        return Step::Expire;
    };
    let name = session.remote_provider.as_deref().unwrap_or_default();
    let Some(provider) = state.remote.get(name) else {
        return Step::Reject(format!(
            "the signing provider {name} is no longer configured"
        ));
    };
    let Some(transaction) = session.remote_transaction.clone().map(Transaction) else {
        return Step::Reject("no transaction was recorded for the remote request".into());
    };
    // The provider's own timeout bounds each call; the deadline bounds the wait as a whole.
    match tokio::time::timeout(remaining, provider.signer.poll(&transaction)).await {
        Err(_) => Step::Expire,
        Ok(Ok(Approval::Approved(signature))) => Step::Sign(signature),
        Ok(Ok(Approval::Waiting)) => Step::Wait,
        Ok(Ok(Approval::Rejected(reason)) | Err(RemoteError::Refused(reason))) => {
            Step::Reject(reason)
        }
        Ok(Err(RemoteError::Unavailable(reason))) => {
            tracing::info!(session = %session.id, provider = name, %reason, "remote signing: no answer yet; asked again next round");
            Step::Wait
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

/// How often awaited answers are asked for.
pub fn poll_interval(state: &AppState) -> Duration {
    state.remote.poll_interval
}
