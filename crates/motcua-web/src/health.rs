//! Liveness and readiness probes, the same for both services.

use actix_web::get;
use actix_web::web::{Data, Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::context::WebContext;
use crate::error::{ApiError, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when healthy.
    pub status: String,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

/// The service can answer requests: its database responds.
///
/// While the database circuit breaker is open (a connection failed moments ago and the database
/// is being probed in the background), the answer is 503 at once and its detail says so.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The database does not respond, or its circuit breaker is open", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(web: Data<WebContext>) -> Result<Json<Health>, ApiError> {
    web.read(|conn| Ok(motcua_db::ping(conn)?))
        .await
        .map_err(|e| match e {
            ApiError::Internal(error) => ApiError::Unavailable(error.to_string()),
            ApiError::Unavailable(detail) => ApiError::Unavailable(detail),
            other => other,
        })?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}
