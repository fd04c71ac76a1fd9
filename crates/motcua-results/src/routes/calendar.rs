//! The working-day calendar: days off and make-up working days of each year.

use actix_web::web::{Data, Json, Path};
use actix_web::{get, put};
use motcua_core::access::{Access, Resource, Role};
use motcua_core::calendar::YearCalendar;
use motcua_db::now;

use crate::auth::Principal;
use crate::state::{load_calendar, AppState};
use motcua_audit::Actor;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::{path_number, ValidJson};
use motcua_web::request_id::RequestId;

/// The year of the path: canonical decimal, in the accepted range.
fn path_year(segment: &str) -> Result<i32, ApiError> {
    i32::try_from(path_number(segment)?)
        .ok()
        .filter(|year| motcua_core::time::year_in_range(*year))
        .ok_or_else(|| ApiError::bad_param("path", motcua_core::time::OUT_OF_RANGE))
}

/// The days off of a year: as loaded by an administrator, or else the shipped defaults (official
/// decisions where known, the Labour Code rules otherwise; see `source`).
#[utoipa::path(tag = "calendar", params(("year" = i32, Path)), responses((status = 200, body = YearCalendar), ReadErrors), security(("api_key" = [])))]
#[get("/calendar/{year}")]
pub async fn get_year(
    state: Data<AppState>,
    who: Principal,
    year: Path<String>,
) -> Result<Json<YearCalendar>, ApiError> {
    who.require(Resource::Dossiers, Access::Read)?;
    let year = path_year(&year)?;
    let calendar = state.calendar();
    let data = calendar
        .holidays()
        .year(year)
        .map_err(|e| ApiError::bad_param("year", e.to_string()))?;
    Ok(Json(data.into_owned()))
}

/// Load the official days off of a year (admins). Due times computed from then on use it;
/// due times already given are kept.
#[utoipa::path(tag = "calendar", params(("year" = i32, Path)), request_body = YearCalendar, responses((status = 200, body = YearCalendar), WriteErrors), security(("api_key" = [])))]
#[put("/calendar/{year}")]
pub async fn put_year(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    year: Path<String>,
    body: ValidJson<YearCalendar>,
) -> Result<Json<YearCalendar>, ApiError> {
    if who.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only admins change the calendar".into(),
        ));
    }
    let year = path_year(&year)?;
    let data = body.into_inner();
    if data.year != year {
        return Err(ApiError::invalid(
            "year",
            format!("the body is the calendar of {}, not {year}", data.year),
        ));
    }
    let mut check = state.calendar().holidays().clone();
    check
        .insert(data.clone())
        .map_err(|e| ApiError::invalid("days_off", e.to_string()))?;
    let json = data.to_json().map_err(ApiError::internal_from)?;
    let actor = Actor::new(&who, &request_id);
    let stored = data.clone();
    let calendar = state
        .write(move |conn| {
            motcua_db::calendar::put(conn, year, &json, now())?;
            actor.record(conn, "calendar.put", "calendar", year, &stored)?;
            load_calendar(conn)
        })
        .await?;
    state.set_calendar(calendar);
    Ok(Json(data))
}
