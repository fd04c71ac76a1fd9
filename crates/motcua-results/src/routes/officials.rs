//! Officials at one-stop desks.

use actix_web::web::{Data, Json};
use actix_web::{get, patch, post};
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::identifiers::validate_cccd;
use motcua_core::official::{Agency, OfficialRole, StaffingCategory};
use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_core::text::tidy;
use motcua_db::officials::{self, NewOfficial, Official, OfficialChanges, OfficialFilter};
use motcua_db::{now, units, DbConnection, DbError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::{Principal, UnitScope};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, InvalidParam};
use motcua_web::extract::{double_option, PathId, ValidJson, ValidQuery};
use motcua_web::pagination::{finish_page, PageParams};
use motcua_web::request_id::RequestId;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OfficialView {
    pub id: OfficialId,
    pub full_name: String,
    /// 12-digit CCCD number; binds the official's personal certificate.
    pub personal_id: String,
    pub unit_id: UnitId,
    pub role: OfficialRole,
    /// Position, e.g. `Phó Chủ tịch`.
    pub title: Option<String>,
    pub staffing: StaffingCategory,
    /// The sending agency, for `agency_sent` staff.
    pub agency: Option<Agency>,
    /// The agency's own name, e.g. `Chi nhánh VPĐK đất đai Việt Yên`.
    pub agency_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Official> for OfficialView {
    fn from(o: Official) -> Self {
        Self {
            id: o.id,
            full_name: o.full_name,
            personal_id: o.personal_id,
            unit_id: o.unit_id,
            role: o.role,
            title: o.title,
            staffing: o.staffing,
            agency: o.agency,
            agency_name: o.agency_name,
            phone: o.phone,
            email: o.email,
            active: o.active,
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
        }
    }
}

motcua_web::page_type!(OfficialPage, OfficialView);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOfficialRequest {
    pub full_name: String,
    pub personal_id: String,
    pub unit_id: UnitId,
    pub role: OfficialRole,
    pub title: Option<String>,
    pub staffing: StaffingCategory,
    /// Required for `agency_sent`, refused otherwise.
    pub agency: Option<Agency>,
    pub agency_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficialPatch {
    pub full_name: Option<String>,
    /// Moves the official to another unit.
    pub unit_id: Option<UnitId>,
    pub role: Option<OfficialRole>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    pub staffing: Option<StaffingCategory>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Agency>)]
    pub agency: Option<Option<Agency>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub agency_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// `false` when the official leaves the desk; the record stays for history.
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OfficialQuery {
    /// Officials of this unit only.
    pub unit: Option<UnitId>,
    /// Officials of this unit and every unit below it.
    pub under: Option<UnitId>,
    pub role: Option<OfficialRole>,
    pub staffing: Option<StaffingCategory>,
    pub active: Option<bool>,
    /// Part of the name.
    pub q: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List officials, in id order.
#[utoipa::path(tag = "officials", params(OfficialQuery), responses((status = 200, body = OfficialPage), ReadErrors), security(("api_key" = [])))]
#[get("/officials")]
pub async fn list_officials(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<OfficialQuery>,
) -> Result<Json<OfficialPage>, ApiError> {
    who.require(Resource::Officials, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(OfficialId));
    let rows = state
        .read(move |conn| {
            let among_units = who.listed_units(conn, query.unit, query.under)?;
            let filter = OfficialFilter {
                among_units,
                role: query.role,
                staffing: query.staffing,
                active: query.active,
                name_contains: query.q.clone(),
            };
            Ok(officials::list(conn, &filter, after, limit + 1)?)
        })
        .await?;
    let (rows, next) = finish_page(rows, limit, |o| o.id.0);
    Ok(Json(OfficialPage {
        items: rows.into_iter().map(OfficialView::from).collect(),
        next,
    }))
}

/// Register an official at a unit.
#[utoipa::path(tag = "officials", request_body = NewOfficialRequest, responses((status = 201, body = OfficialView), WriteErrors), security(("api_key" = [])))]
#[post("/officials")]
pub async fn create_official(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewOfficialRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Officials, Access::Write)?;
    let new = validate_new_official(body.into_inner())?;
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            units::find(conn, new.unit_id).map_err(ApiError::missing_reference("unit_id"))?;
            who.require_unit(conn, new.unit_id)?;
            let official = officials::insert(conn, &new).map_err(duplicate_personal_id)?;
            actor.record(
                conn,
                "official.create",
                "official",
                official.id,
                &OfficialView::from(official.clone()),
            )?;
            Answer::created(
                Some(format!("/officials/{}", official.id)),
                &OfficialView::from(official),
            )
        })
        .await
}

/// One official.
#[utoipa::path(tag = "officials", params(("id" = i64, Path)), responses((status = 200, body = OfficialView), ReadErrors), security(("api_key" = [])))]
#[get("/officials/{id}")]
pub async fn get_official(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<OfficialView>, ApiError> {
    who.require(Resource::Officials, Access::Read)?;
    let id = OfficialId(id.into_inner());
    let official = state
        .read(move |conn| {
            let official = find_official(conn, id)?;
            who.require_unit(conn, official.unit_id)?;
            Ok(official)
        })
        .await?;
    Ok(Json(official.into()))
}

/// Change an official's details, move them to another unit, or mark them inactive.
#[utoipa::path(tag = "officials", params(("id" = i64, Path)), request_body = OfficialPatch, responses((status = 200, body = OfficialView), WriteErrors), security(("api_key" = [])))]
#[patch("/officials/{id}")]
pub async fn update_official(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
    body: ValidJson<OfficialPatch>,
) -> Result<Json<OfficialView>, ApiError> {
    who.require(Resource::Officials, Access::Write)?;
    let id = OfficialId(id.into_inner());
    let changes = validate_official_patch(body.into_inner())?;
    let actor = Actor::new(&who, &request_id);
    let official = state
        .write(move |conn| {
            let current = find_official(conn, id)?;
            who.require_unit(conn, current.unit_id)?;
            if let Some(unit) = changes.unit_id {
                units::find(conn, unit).map_err(ApiError::missing_reference("unit_id"))?;
                who.require_unit(conn, unit)?;
            }
            check_agency(
                changes.staffing.unwrap_or(current.staffing),
                changes.agency.unwrap_or(current.agency),
            )
            .map_err(|reason| ApiError::invalid("agency", reason))?;
            let updated = officials::update(conn, id, &changes)?;
            actor.record(
                conn,
                "official.update",
                "official",
                id,
                &OfficialView::from(updated.clone()),
            )?;
            Ok(updated)
        })
        .await?;
    Ok(Json(official.into()))
}

fn find_official(conn: &mut DbConnection, id: OfficialId) -> Result<Official, ApiError> {
    officials::find(conn, id).map_err(ApiError::not_found_as(format!("official {id}")))
}

fn duplicate_personal_id(error: DbError) -> ApiError {
    match error {
        DbError::Duplicate { .. } => {
            ApiError::Conflict("an official with this personal_id is already registered".into())
        }
        other => other.into(),
    }
}

/// Staff sent by an agency name the agency; nobody else does.
fn check_agency(staffing: StaffingCategory, agency: Option<Agency>) -> Result<(), String> {
    match (staffing, agency) {
        (StaffingCategory::AgencySent, None) => {
            Err("name the sending agency of `agency_sent` staff".into())
        }
        (StaffingCategory::OwnStaff | StaffingCategory::Seconded, Some(_)) => {
            Err("only `agency_sent` staff have a sending agency".into())
        }
        _ => Ok(()),
    }
}

fn optional_text(value: Option<String>) -> Option<String> {
    value.map(|v| tidy(&v)).filter(|v| !v.is_empty())
}

fn validate_name(name: &str, problems: &mut Vec<InvalidParam>) -> String {
    let name = tidy(name);
    if name.is_empty() || name.chars().count() > 200 {
        problems.push(InvalidParam::new(
            "full_name",
            "must be 1 to 200 characters",
        ));
    }
    name
}

fn validate_new_official(req: NewOfficialRequest) -> Result<NewOfficial, ApiError> {
    let mut problems = Vec::new();
    let full_name = validate_name(&req.full_name, &mut problems);
    let personal_id = validate_cccd(&req.personal_id).unwrap_or_else(|reason| {
        problems.push(InvalidParam::new("personal_id", reason));
        String::new()
    });
    if let Err(reason) = check_agency(req.staffing, req.agency) {
        problems.push(InvalidParam::new("agency", reason));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_all(problems));
    }
    let at = now();
    Ok(NewOfficial {
        full_name,
        personal_id,
        unit_id: req.unit_id,
        role: req.role,
        title: optional_text(req.title),
        staffing: req.staffing,
        agency: req.agency,
        agency_name: optional_text(req.agency_name),
        phone: optional_text(req.phone),
        email: optional_text(req.email),
        active: true,
        created_at: at,
        updated_at: at,
    })
}

fn validate_official_patch(req: OfficialPatch) -> Result<OfficialChanges, ApiError> {
    let mut problems = Vec::new();
    let full_name = req.full_name.map(|n| validate_name(&n, &mut problems));
    if !problems.is_empty() {
        return Err(ApiError::invalid_all(problems));
    }
    Ok(OfficialChanges {
        full_name,
        unit_id: req.unit_id,
        role: req.role,
        title: req.title.map(optional_text),
        staffing: req.staffing,
        agency: req.agency,
        agency_name: req.agency_name.map(optional_text),
        phone: req.phone.map(optional_text),
        email: req.email.map(optional_text),
        active: req.active,
        updated_at: Some(now()),
    })
}
