//! Remote signing of a leader's signing session through a configured provider (the state
//! machine is `crate::leader_sessions`).

use actix_web::web::{Data, Json, Path};
use actix_web::{get, post};
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, Problem};
use motcua_web::extract::{ValidJson, ValidQuery};
use motcua_web::remote_signing::{CredentialQuery, RemoteSigningRequest};
use motcua_web::request_id::RequestId;

use crate::leader_sessions::{self, LeaderCredentialList};
use crate::routes::signing::LeaderSessionDetails;
use crate::state::AppState;

/// Signs the session's prepared signature with the leader's key held by a remote signing
/// provider (CSC): the credential's certificate must be the one the session was prepared with
/// (409 otherwise, nothing changed). 202 `awaiting_approval` until the provider signs (the
/// service asks it in the background; once signed, the report is `leader_signed` as with a
/// token's signature, and `GET /leader-signing-sessions/{id}` shows the outcome), or 200
/// `rejected` when the provider refuses at once. 502 when the provider cannot be reached;
/// nothing changed.
#[utoipa::path(tag = "signing", params(("session_id" = String, Path)), request_body = RemoteSigningRequest, responses((status = 202, description = "The provider was asked; its answer is awaited", body = LeaderSessionDetails), (status = 200, description = "The provider refused: the session is rejected", body = LeaderSessionDetails), WriteErrors, (status = 502, description = "The signing provider did not answer; nothing was changed", body = Problem, content_type = "application/problem+json")), security(("api_key" = [])))]
#[post("/leader-signing-sessions/{session_id}/remote")]
pub async fn sign_leader_session_remotely(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    session_id: Path<String>,
    body: ValidJson<RemoteSigningRequest>,
) -> Result<Answer, ApiError> {
    let actor = Actor::new(&who, &request_id);
    leader_sessions::start_remote(
        &state,
        who,
        actor,
        session_id.into_inner(),
        body.into_inner(),
    )
    .await
}

/// The credentials a remote signing provider holds for the session's leader (asked by the
/// leader's CCCD, read from the results service), each with the leader's registered certificate
/// it holds (`certificate_id`) and whether it holds the session's certificate
/// (`holds_session_certificate`; only those can sign the session). 502 when the provider or the
/// results service does not answer.
#[utoipa::path(tag = "signing", params(("session_id" = String, Path), CredentialQuery), responses((status = 200, body = LeaderCredentialList), ReadErrors, (status = 502, description = "The signing provider or the results service did not answer", body = Problem, content_type = "application/problem+json")), security(("api_key" = [])))]
#[get("/leader-signing-sessions/{session_id}/remote-credentials")]
pub async fn leader_remote_credentials(
    state: Data<AppState>,
    who: Principal,
    session_id: Path<String>,
    query: ValidQuery<CredentialQuery>,
) -> Result<Json<LeaderCredentialList>, ApiError> {
    let provider = query.into_inner().provider;
    let list =
        leader_sessions::credentials_of(&state, who, session_id.into_inner(), &provider).await?;
    Ok(Json(list))
}
