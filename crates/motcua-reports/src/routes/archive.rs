//! Archive renewal of the issued reports (admins only): what they need, and a
//! renewal run now (see `motcua_web::archive`).

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use chrono::Utc;
use motcua_web::archive::{
    self, ArchiveService, ArchiveStatus, RenewalBy, RenewalProgress, RenewalRequest, RenewalRun,
};
use motcua_web::auth::Principal;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::ValidJson;
use motcua_web::request_id::RequestId;

use crate::state::AppState;

/// Count the issued reports by what their archive timestamp needs (admins only).
#[utoipa::path(tag = "archive", responses((status = 200, body = ArchiveStatus), ReadErrors), security(("api_key" = [])))]
#[get("/archive")]
pub async fn archive_status(
    state: Data<AppState>,
    who: Principal,
) -> Result<Json<ArchiveStatus>, ApiError> {
    who.require_admin("see the archive status")?;
    let status = archive::status(
        &state.db,
        ArchiveService::Reports,
        &state.config.archive,
        Utc::now(),
    )
    .await?;
    Ok(Json(status))
}

/// Renew now the archive timestamps of the issued reports that need it, at most `limit` of them
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
    let store = state.trust_store()?;
    let run = RenewalRun {
        db: &state.db,
        service: ArchiveService::Reports,
        archival: &state.archival,
        store: &store,
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
    let store = match state.trust_store() {
        Ok(store) => store,
        Err(error) => {
            tracing::warn!(%error, "archive renewal skipped: the trust store");
            return;
        }
    };
    let config = &state.config;
    archive::scheduled_round(
        &state.db,
        ArchiveService::Reports,
        &state.archival,
        &config.archive,
        &store,
    )
    .await;
}
