//! The audit trail's endpoints, the same in both services: checkpoints, inclusion proofs and
//! the verification of the trail.

use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use motcua_core::access::{Access, Resource};
use motcua_core::record_ids::AuditEventId;
use motcua_db::audit;
use motcua_web::answer::Answer;
use motcua_web::auth::Principal;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::{PathId, ValidQuery};
use motcua_web::request_id::RequestId;
use motcua_web::WebContext;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::actor::Actor;
use crate::checkpoints::{make_checkpoint, proof, AuditTrail, CheckpointView, InclusionProof};
use crate::integrity::{verify, Verification};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The checkpoint to prove inclusion in; by default the one that covers the record.
    pub checkpoint: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerificationQuery {
    /// First record id to check (default: the first record).
    pub from: Option<i64>,
    /// Last record id to check (default: the last record).
    pub to: Option<i64>,
}

/// Make a checkpoint now over the audit records since the last one (admins only). 409 when there
/// is no new record.
#[utoipa::path(tag = "audit", responses((status = 201, body = CheckpointView), WriteErrors), security(("api_key" = [])))]
#[post("/audit/checkpoints")]
pub async fn create_checkpoint(
    state: Data<WebContext>,
    trail: Data<AuditTrail>,
    who: Principal,
    request_id: RequestId,
) -> Result<Answer, ApiError> {
    who.require(Resource::Audit, Access::Write)?;
    let actor = Actor::new(&who, &request_id);
    let key = trail.key.clone();
    // The checkpoint made, to copy outside once committed (none when the answer is a replay).
    let made = Arc::new(Mutex::new(None));
    let kept = Arc::clone(&made);
    let answer = state
        .write_answer(move |conn| {
            let checkpoint = make_checkpoint(conn, key.as_deref())?.ok_or_else(|| {
                ApiError::Conflict("no audit record since the last checkpoint".into())
            })?;
            let view = CheckpointView::from(checkpoint.clone());
            actor.record(
                conn,
                "audit_checkpoint.create",
                "audit_checkpoint",
                checkpoint.id,
                &view,
            )?;
            *kept.lock().unwrap_or_else(PoisonError::into_inner) = Some(checkpoint);
            Answer::created(Some(format!("/audit/checkpoints/{}", view.id)), &view)
        })
        .await?;
    // Copied outside once committed: a copy of a checkpoint rolled back would fail every
    // later verification.
    if let Some(checkpoint) = made.lock().unwrap_or_else(PoisonError::into_inner).take() {
        trail.log.publish(&checkpoint, &state.metrics);
    }
    Ok(answer)
}

/// The latest checkpoint of the audit trail.
#[utoipa::path(tag = "audit", responses((status = 200, body = CheckpointView), ReadErrors), security(("api_key" = [])))]
#[get("/audit/checkpoints/latest")]
pub async fn latest_checkpoint(
    state: Data<WebContext>,
    who: Principal,
) -> Result<Json<CheckpointView>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let checkpoint = state
        .read(|conn| {
            audit::latest_checkpoint(conn)?
                .ok_or_else(|| ApiError::NotFound("no audit checkpoint has been made yet".into()))
        })
        .await?;
    Ok(Json(checkpoint.into()))
}

/// One checkpoint of the audit trail.
#[utoipa::path(tag = "audit", params(("id" = i64, Path)), responses((status = 200, body = CheckpointView), ReadErrors), security(("api_key" = [])))]
#[get("/audit/checkpoints/{id}")]
pub async fn get_checkpoint(
    state: Data<WebContext>,
    who: Principal,
    id: PathId,
) -> Result<Json<CheckpointView>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let id = id.into_inner();
    let checkpoint = state
        .read(move |conn| {
            audit::find_checkpoint(conn, id)
                .map_err(ApiError::not_found_as(format!("audit checkpoint {id}")))
        })
        .await?;
    Ok(Json(checkpoint.into()))
}

/// RFC 6962 inclusion proof of an audit record in a checkpoint (by default the one covering it;
/// 409 when none does yet).
#[utoipa::path(tag = "audit", params(("id" = i64, Path), ProofQuery), responses((status = 200, body = InclusionProof), (status = 409, description = "No checkpoint covers the record yet", body = motcua_web::error::Problem, content_type = "application/problem+json"), ReadErrors), security(("api_key" = [])))]
#[get("/audit-events/{id}/proof")]
pub async fn record_proof(
    state: Data<WebContext>,
    who: Principal,
    id: PathId,
    query: ValidQuery<ProofQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let record = AuditEventId(id.into_inner());
    let checkpoint = query.into_inner().checkpoint;
    let proof = state
        .read(move |conn| proof(conn, record, checkpoint))
        .await?;
    Ok(Json(proof))
}

/// Recomputes every hash and link of the records in `from..=to` and the root and signature of
/// every checkpoint overlapping them.
#[utoipa::path(tag = "audit", params(VerificationQuery), responses((status = 200, body = Verification), ReadErrors), security(("api_key" = [])))]
#[get("/audit/verification")]
pub async fn verify_trail(
    state: Data<WebContext>,
    trail: Data<AuditTrail>,
    who: Principal,
    query: ValidQuery<VerificationQuery>,
) -> Result<Json<Verification>, ApiError> {
    who.require(Resource::Audit, Access::Read)?;
    let query = query.into_inner();
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(ApiError::bad_param("from", "must not be after `to`"));
        }
    }
    let key = trail.key.clone();
    let outside = trail.log.newest();
    let verification = state
        .read(move |conn| {
            verify(
                conn,
                key.as_deref(),
                outside,
                query.from.map(AuditEventId),
                query.to.map(AuditEventId),
            )
        })
        .await?;
    Ok(Json(verification))
}
