//! The catalogue of administrative procedures, with every published version.

use actix_web::web::{Data, Json};
use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::procedure::{validate_procedure_code, OnlineServiceLevel, SupersedeKind};
use motcua_core::record_ids::ProcedureId;
use motcua_core::text::tidy;
use motcua_core::unit::Level;
use motcua_db::procedures::{self, NewProcedure, Procedure, ProcedureChanges, ProcedureFilter};
use motcua_db::{now, DbConnection, DbError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::Principal;
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::{ApiError, InvalidParam};
use motcua_web::extract::{double_option, PathId, ValidJson, ValidQuery};
use motcua_web::pagination::{finish_page, PageParams};
use motcua_web::request_id::RequestId;

/// The decision that published a procedure version (quyết định công bố).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// E.g. `1234/QĐ-UBND`.
    pub number: String,
    #[serde(deserialize_with = "motcua_core::time::day")]
    pub date: NaiveDate,
}

/// Which earlier version this one supersedes, and how.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supersedes {
    pub id: ProcedureId,
    pub kind: SupersedeKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProcedureView {
    pub id: ProcedureId,
    /// National procedure code, e.g. `1.001612`.
    pub code: String,
    pub name: String,
    /// Field (lĩnh vực), e.g. `Hộ tịch`.
    pub field: String,
    pub levels: Vec<Level>,
    /// Statutory processing time in working days (0: the same day).
    pub processing_days: i32,
    pub online_level: OnlineServiceLevel,
    /// Received regardless of administrative boundaries (phi địa giới).
    pub non_boundary: bool,
    pub fee_vnd: Option<i64>,
    pub fee_note: Option<String>,
    pub decision: Decision,
    pub supersedes: Option<Supersedes>,
    pub superseded_by_id: Option<ProcedureId>,
    pub abolished_on: Option<NaiveDate>,
    /// Whether this is the version in force: not superseded and not abolished.
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Procedure> for ProcedureView {
    fn from(p: Procedure) -> Self {
        let levels = [
            (p.level_province, Level::Province),
            (p.level_district, Level::District),
            (p.level_commune, Level::Commune),
        ]
        .into_iter()
        .filter_map(|(on, level)| on.then_some(level))
        .collect();
        let supersedes = p
            .supersedes_id
            .zip(p.supersede_kind)
            .map(|(id, kind)| Supersedes { id, kind });
        Self {
            current: p.superseded_by_id.is_none() && p.abolished_on.is_none(),
            id: p.id,
            code: p.code,
            name: p.name,
            field: p.field,
            levels,
            processing_days: p.processing_days,
            online_level: p.online_level,
            non_boundary: p.non_boundary,
            fee_vnd: p.fee_vnd,
            fee_note: p.fee_note,
            decision: Decision {
                number: p.decision_number,
                date: p.decision_date,
            },
            supersedes,
            superseded_by_id: p.superseded_by_id,
            abolished_on: p.abolished_on,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

motcua_web::page_type!(ProcedurePage, ProcedureView);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProcedureRequest {
    pub code: String,
    pub name: String,
    pub field: String,
    /// At least one level.
    pub levels: Vec<Level>,
    pub processing_days: u16,
    pub online_level: OnlineServiceLevel,
    #[serde(default)]
    pub non_boundary: bool,
    pub fee_vnd: Option<u64>,
    pub fee_note: Option<String>,
    pub decision: Decision,
    /// Set when this version amends or replaces the current version of a procedure.
    pub supersedes: Option<Supersedes>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcedurePatch {
    /// Corrects a typo; a change of substance is a new version (`supersedes`).
    pub name: Option<String>,
    pub field: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u64>)]
    pub fee_vnd: Option<Option<u64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub fee_note: Option<Option<String>>,
    /// The day the procedure was abolished (bãi bỏ); `null` undoes a mistaken entry.
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "motcua_core::time::patched_day")]
    pub abolished_on: Option<Option<NaiveDate>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProcedureQuery {
    pub code: Option<String>,
    pub field: Option<String>,
    /// Handled at this level.
    pub level: Option<Level>,
    pub online_level: Option<OnlineServiceLevel>,
    /// Part of the name.
    pub q: Option<String>,
    /// Also list superseded and abolished versions (default: only versions in force).
    pub include_history: Option<bool>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List procedures; by default only the versions in force.
#[utoipa::path(tag = "procedures", params(ProcedureQuery), responses((status = 200, body = ProcedurePage), ReadErrors), security(("api_key" = [])))]
#[get("/procedures")]
pub async fn list_procedures(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<ProcedureQuery>,
) -> Result<Json<ProcedurePage>, ApiError> {
    who.require(Resource::Procedures, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(ProcedureId));
    let level_is = |level: Level| query.level.map(|l| l == level).filter(|on| *on);
    let filter = ProcedureFilter {
        code: query.code.clone(),
        field: query.field.clone(),
        current_only: !query.include_history.unwrap_or(false),
        online_level: query.online_level,
        name_contains: query.q.clone(),
        level_province: level_is(Level::Province),
        level_district: level_is(Level::District),
        level_commune: level_is(Level::Commune),
    };
    let rows = state
        .read(move |conn| Ok(procedures::list(conn, &filter, after, limit + 1)?))
        .await?;
    let (rows, next) = finish_page(rows, limit, |p| p.id.0);
    Ok(Json(ProcedurePage {
        items: rows.into_iter().map(ProcedureView::from).collect(),
        next,
    }))
}

/// Publish a procedure, or a new version of one (`supersedes`).
#[utoipa::path(tag = "procedures", request_body = NewProcedureRequest, responses((status = 201, body = ProcedureView), WriteErrors), security(("api_key" = [])))]
#[post("/procedures")]
pub async fn create_procedure(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewProcedureRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Procedures, Access::Write)?;
    let body = body.into_inner();
    let supersedes = body.supersedes.clone();
    let new = validate_new_procedure(body)?;
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            if let Some(old) = &supersedes {
                check_supersedable(conn, old.id)?;
                // One version in force per code is a unique index on rows nobody superseded;
                // retire the old version before the new one exists, then point it at the new one.
                procedures::retire(conn, old.id, now())?;
            }
            let created = procedures::insert(conn, &new).map_err(|e| match e {
                DbError::Duplicate { .. } => ApiError::Conflict(format!(
                    "procedure {} already has a version in force; publish the new one with `supersedes`",
                    new.code
                )),
                other => other.into(),
            })?;
            if let Some(old) = &supersedes {
                procedures::mark_superseded(conn, old.id, created.id, now())?;
                actor.record(conn, "procedure.supersede", "procedure", old.id, &serde_json::json!({"superseded_by": created.id}))?;
            }
            actor.record(conn, "procedure.create", "procedure", created.id, &ProcedureView::from(created.clone()))?;
            Answer::created(
                Some(format!("/procedures/{}", created.id)),
                &ProcedureView::from(created),
            )
        })
        .await
}

fn check_supersedable(conn: &mut DbConnection, id: ProcedureId) -> Result<Procedure, ApiError> {
    let old = procedures::find(conn, id).map_err(ApiError::missing_reference("supersedes.id"))?;
    if old.superseded_by_id.is_some() {
        return Err(ApiError::Conflict(format!(
            "procedure version {id} was already superseded"
        )));
    }
    Ok(old)
}

/// One procedure version.
#[utoipa::path(tag = "procedures", params(("id" = i64, Path)), responses((status = 200, body = ProcedureView), ReadErrors), security(("api_key" = [])))]
#[get("/procedures/{id}")]
pub async fn get_procedure(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<ProcedureView>, ApiError> {
    who.require(Resource::Procedures, Access::Read)?;
    let id = ProcedureId(id.into_inner());
    let procedure = state.read(move |conn| find_procedure(conn, id)).await?;
    Ok(Json(procedure.into()))
}

/// Correct a procedure version or record that it was abolished.
#[utoipa::path(tag = "procedures", params(("id" = i64, Path)), request_body = ProcedurePatch, responses((status = 200, body = ProcedureView), WriteErrors), security(("api_key" = [])))]
#[patch("/procedures/{id}")]
pub async fn update_procedure(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
    body: ValidJson<ProcedurePatch>,
) -> Result<Json<ProcedureView>, ApiError> {
    who.require(Resource::Procedures, Access::Write)?;
    let id = ProcedureId(id.into_inner());
    let changes = validate_procedure_patch(body.into_inner())?;
    let actor = Actor::new(&who, &request_id);
    let procedure = state
        .write(move |conn| {
            find_procedure(conn, id)?;
            let updated = procedures::update(conn, id, &changes)?;
            actor.record(
                conn,
                "procedure.update",
                "procedure",
                id,
                &ProcedureView::from(updated.clone()),
            )?;
            Ok(updated)
        })
        .await?;
    Ok(Json(procedure.into()))
}

fn find_procedure(conn: &mut DbConnection, id: ProcedureId) -> Result<Procedure, ApiError> {
    procedures::find(conn, id).map_err(ApiError::not_found_as(format!("procedure {id}")))
}

fn text_field(value: &str, field: &str, max: usize, problems: &mut Vec<InvalidParam>) -> String {
    let value = tidy(value);
    if value.is_empty() || value.chars().count() > max {
        problems.push(InvalidParam::new(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    value
}

fn fee(value: Option<u64>, problems: &mut Vec<InvalidParam>) -> Option<i64> {
    value.and_then(|v| {
        i64::try_from(v).ok().or_else(|| {
            problems.push(InvalidParam::new("fee_vnd", "too large"));
            None
        })
    })
}

fn validate_new_procedure(req: NewProcedureRequest) -> Result<NewProcedure, ApiError> {
    let mut problems = Vec::new();
    let code = validate_procedure_code(&req.code).unwrap_or_else(|reason| {
        problems.push(InvalidParam::new("code", reason));
        String::new()
    });
    let name = text_field(&req.name, "name", 1000, &mut problems);
    let field = text_field(&req.field, "field", 200, &mut problems);
    let decision_number = text_field(&req.decision.number, "decision.number", 100, &mut problems);
    if req.levels.is_empty() {
        problems.push(InvalidParam::new("levels", "name at least one level"));
    }
    let fee_vnd = fee(req.fee_vnd, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::invalid_all(problems));
    }
    let at = now();
    Ok(NewProcedure {
        code,
        name,
        field,
        level_province: req.levels.contains(&Level::Province),
        level_district: req.levels.contains(&Level::District),
        level_commune: req.levels.contains(&Level::Commune),
        processing_days: i32::from(req.processing_days),
        online_level: req.online_level,
        non_boundary: req.non_boundary,
        fee_vnd,
        fee_note: req.fee_note.map(|n| tidy(&n)).filter(|n| !n.is_empty()),
        decision_number,
        decision_date: req.decision.date,
        supersedes_id: req.supersedes.as_ref().map(|s| s.id),
        supersede_kind: req.supersedes.as_ref().map(|s| s.kind),
        created_at: at,
        updated_at: at,
    })
}

fn validate_procedure_patch(req: ProcedurePatch) -> Result<ProcedureChanges, ApiError> {
    let mut problems = Vec::new();
    let name = req
        .name
        .map(|n| text_field(&n, "name", 1000, &mut problems));
    let field = req
        .field
        .map(|f| text_field(&f, "field", 200, &mut problems));
    let fee_vnd = req.fee_vnd.map(|v| fee(v, &mut problems));
    if !problems.is_empty() {
        return Err(ApiError::invalid_all(problems));
    }
    Ok(ProcedureChanges {
        name,
        field,
        fee_vnd,
        fee_note: req
            .fee_note
            .map(|n| n.map(|n| tidy(&n)).filter(|n| !n.is_empty())),
        abolished_on: req.abolished_on,
        updated_at: Some(now()),
    })
}
