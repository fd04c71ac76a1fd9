//! Archive renewal of the stored electronic results (admins only): what they need, and a
//! renewal run now (see `motcua_web::archive`).

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use chrono::Utc;
use motcua_web::archive::{
    self, ArchiveService, ArchiveStatus, RenewalBy, RenewalProgress, RenewalRequest, RenewalRun,
};
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::ValidJson;
use motcua_web::request_id::RequestId;

use crate::auth::Principal;
use crate::state::AppState;

/// Count the stored electronic results by what their archive timestamp needs (admins only).
#[utoipa::path(tag = "archive", responses((status = 200, body = ArchiveStatus), ReadErrors), security(("api_key" = [])))]
#[get("/archive")]
pub async fn archive_status(
    state: Data<AppState>,
    who: Principal,
) -> Result<Json<ArchiveStatus>, ApiError> {
    who.require_admin("see the archive status")?;
    let status = archive::status(
        &state.db,
        ArchiveService::Results,
        &state.config.archive,
        Utc::now(),
    )
    .await?;
    Ok(Json(status))
}

/// Renew now the archive timestamps of the results that need it, at most `limit` of them
/// (admins only); another request goes on where this one stopped.
#[utoipa::path(tag = "archive", request_body = RenewalRequest, responses((status = 200, body = RenewalProgress), WriteErrors), security(("api_key" = [])))]
#[post("/archive/renewals")]
pub async fn renew_archive(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<RenewalRequest>,
) -> Result<Json<RenewalProgress>, ApiError> {
    who.require_admin("renew archive timestamps")?;
    let limit = body.into_inner().limit()?;
    let state_for_trust = state.clone();
    let trust = state
        .read(move |conn| state_for_trust.trust.current(conn))
        .await?;
    let run = RenewalRun {
        db: &state.db,
        service: ArchiveService::Results,
        archival: &state.archival,
        store: &trust.store,
        settings: &state.config.archive,
        by: RenewalBy {
            key_id: Some(who.key_id),
            name: who.name.clone(),
            request_id: request_id.0.clone(),
        },
    };
    Ok(Json(run.run(Some(limit), |_| {}).await?))
}

/// The renewal the service runs by itself every `MOTCUA_ARCHIVE_RENEWAL_INTERVAL_SECS`.
pub async fn scheduled_renewal(state: &Data<AppState>) {
    let reading = state.clone();
    let trust = match state.read(move |conn| reading.trust.current(conn)).await {
        Ok(trust) => trust,
        Err(error) => {
            tracing::warn!(%error, "archive renewal skipped: the trust store");
            return;
        }
    };
    let config = &state.config;
    archive::scheduled_round(
        &state.db,
        ArchiveService::Results,
        &state.archival,
        &config.archive,
        &trust.store,
    )
    .await;
}
