//! Statistics computed from the records: Biểu 06/VPCP/KSTT, the QĐ 766 indicators, and the
//! rebuild of the counters behind them.

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use motcua_core::access::{Access, Resource, Role};
use motcua_core::form06::{Form06, Indicators, Method};
use motcua_core::period::Period;
use motcua_core::record_ids::UnitId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Principal, UnitScope};
use crate::state::AppState;
use crate::statistics;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::ValidQuery;
use motcua_web::request_id::RequestId;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// The unit whose subtree is counted (units merged into it included).
    pub unit: UnitId,
    /// `2023`, `2024-Q1`, `2024-03` or `2024-01-01..2024-03-31`; years 1900 to 2199.
    #[param(
        pattern = r"^[0-9]{4}(-Q[1-4]|-[0-9]{2}|-[0-9]{2}-[0-9]{2}\.\.[0-9]{4}-[0-9]{2}-[0-9]{2})?$"
    )]
    pub period: String,
    /// `counters` (default) or `raw` (the reference GROUP BY over the dossiers; slower).
    pub method: Option<Method>,
}

fn period(text: &str) -> Result<Period, ApiError> {
    text.parse()
        .map_err(|reason: String| ApiError::bad_param("period", reason))
}

/// Biểu 06/VPCP/KSTT for a unit subtree and period, by level and field, with totals.
///
/// The counting rule (which dossiers are resolved, on time, carried over, within due) is returned
/// in `rule` and described in API-DESIGN.md.
#[utoipa::path(tag = "statistics", params(StatisticsQuery), responses((status = 200, body = Form06), ReadErrors), security(("api_key" = [])))]
#[get("/statistics/form-06")]
pub async fn form06(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<StatisticsQuery>,
) -> Result<Json<Form06>, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let query = query.into_inner();
    let period = period(&query.period)?;
    let form = state
        .read(move |conn| {
            motcua_db::units::find(conn, query.unit)
                .map_err(|_| ApiError::not_found(format!("unit {}", query.unit)))?;
            who.require_unit(conn, query.unit)?;
            statistics::form06(conn, query.unit, period, query.method.unwrap_or_default())
        })
        .await?;
    Ok(Json(form))
}

/// The QĐ 766 service indicators that the records support, with their scores.
#[utoipa::path(tag = "statistics", params(StatisticsQuery), responses((status = 200, body = Indicators), ReadErrors), security(("api_key" = [])))]
#[get("/statistics/indicators")]
pub async fn indicators(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<StatisticsQuery>,
) -> Result<Json<Indicators>, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let query = query.into_inner();
    let period = period(&query.period)?;
    let result = state
        .read(move |conn| {
            motcua_db::units::find(conn, query.unit)
                .map_err(|_| ApiError::not_found(format!("unit {}", query.unit)))?;
            who.require_unit(conn, query.unit)?;
            statistics::indicators(conn, query.unit, period)
        })
        .await?;
    Ok(Json(result))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RebuildReport {
    /// Dossiers read to recompute the counters.
    pub dossiers: u64,
}

/// Recompute every statistics counter from the dossiers (admins only).
#[utoipa::path(tag = "statistics", responses((status = 200, body = RebuildReport), WriteErrors), security(("api_key" = [])))]
#[post("/statistics/rebuild")]
pub async fn rebuild(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
) -> Result<Answer, ApiError> {
    if who.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only admins rebuild the statistics".into(),
        ));
    }
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            let read = motcua_db::statistics::rebuild(conn)?;
            actor.record(
                conn,
                "statistics.rebuild",
                "statistics",
                "dossier_counts",
                &serde_json::json!({"dossiers": read}),
            )?;
            Answer::ok(&RebuildReport { dossiers: read })
        })
        .await
}
