//! Remote signing of a component's signing session through a configured provider
//! (the state machine is `crate::signing_sessions`).

use actix_web::get;
use actix_web::post;
use actix_web::web::{Data, Json, Path};
use motcua_audit::Actor;
use motcua_core::access::{Access, Resource};
use motcua_core::record_ids::OfficialId;
use motcua_web::answer::Answer;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, Problem};
use motcua_web::extract::{PathId, ValidJson, ValidQuery};
use motcua_web::remote_signing::{CredentialQuery, RemoteCredentialList, RemoteSigningRequest};
use motcua_web::request_id::RequestId;

use crate::auth::Principal;
use crate::signing_sessions::{self, SessionStatusView};
use crate::state::AppState;

/// Signs the session's prepared signature with the official's key held by a remote signing
/// provider (CSC): the credential's certificate must be the one the session was prepared with
/// (409 otherwise). 202 `awaiting_approval` until the provider signs (the service asks it in the
/// background; `GET /signing-sessions/{id}` shows the outcome), or 200 `rejected` when the
/// provider refuses at once. 502 when the provider cannot be reached; nothing changed.
#[utoipa::path(tag = "dossiers", params(("id" = String, Path)), request_body = RemoteSigningRequest, responses((status = 202, description = "The provider was asked; its answer is awaited", body = SessionStatusView), (status = 200, description = "The provider refused: the session is rejected", body = SessionStatusView), WriteErrors, (status = 502, description = "The signing provider did not answer; nothing was changed", body = Problem, content_type = "application/problem+json")), security(("api_key" = [])))]
#[post("/signing-sessions/{id}/remote")]
pub async fn remote(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: Path<String>,
    body: ValidJson<RemoteSigningRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Dossiers, Access::Write)?;
    let actor = Actor::new(&who, &request_id);
    signing_sessions::start_remote(&state, who, actor, id.into_inner(), body.into_inner()).await
}

/// The credentials a remote signing provider holds for the official (asked by the official's
/// CCCD), each with the official's registered certificate it holds (`certificate_id`; only those
/// can sign the official's sessions). 502 when the provider does not answer.
#[utoipa::path(tag = "officials", params(("id" = i64, Path), CredentialQuery), responses((status = 200, body = RemoteCredentialList), ReadErrors, (status = 502, description = "The signing provider did not answer", body = Problem, content_type = "application/problem+json")), security(("api_key" = [])))]
#[get("/officials/{id}/remote-credentials")]
pub async fn remote_credentials(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
    query: ValidQuery<CredentialQuery>,
) -> Result<Json<RemoteCredentialList>, ApiError> {
    who.require(Resource::Officials, Access::Read)?;
    let official = OfficialId(id.into_inner());
    let list =
        signing_sessions::credentials_of(&state, who, official, &query.into_inner().provider)
            .await?;
    Ok(Json(list))
}
