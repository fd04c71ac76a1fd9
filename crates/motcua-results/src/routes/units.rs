//! Administrative units: the tree, merges, and the staffing table of the desks below a unit.

use std::collections::BTreeMap;

use actix_web::web::{Data, Json};
use actix_web::{get, patch, post};
use chrono::{DateTime, NaiveDate, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::identifiers::{validate_budget_code, validate_tax_code, validate_unit_code};
use motcua_core::official::{Agency, OfficialRole, StaffingCategory};
use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_core::text::tidy;
use motcua_core::unit::UnitKind;
use motcua_db::units::{self, NewUnit, Unit, UnitChanges, UnitFilter};
use motcua_db::{now, officials, DbConnection, DbError};
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
pub struct UnitView {
    pub id: UnitId,
    /// Electronic identifier of the body (mã định danh), e.g. `000.00.24.H05`.
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    /// Tax code (MST), used to bind organisation certificates.
    pub tax_code: Option<String>,
    /// Budget-relationship code (MNS).
    pub budget_code: Option<String>,
    pub valid_from: NaiveDate,
    /// Last day the unit existed (inclusive); absent while it exists.
    pub valid_to: Option<NaiveDate>,
    /// The unit this one was merged into; its history rolls up there.
    pub merged_into_id: Option<UnitId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Unit> for UnitView {
    fn from(unit: Unit) -> Self {
        Self {
            id: unit.id,
            code: unit.code,
            name: unit.name,
            kind: unit.kind,
            parent_id: unit.parent_id,
            tax_code: unit.tax_code,
            budget_code: unit.budget_code,
            valid_from: unit.valid_from,
            valid_to: unit.valid_to,
            merged_into_id: unit.merged_into_id,
            created_at: utc(unit.created_at),
            updated_at: utc(unit.updated_at),
        }
    }
}

motcua_web::page_type!(UnitPage, UnitView);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitRequest {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub tax_code: Option<String>,
    pub budget_code: Option<String>,
    /// First day the unit exists.
    #[serde(deserialize_with = "motcua_core::time::day")]
    pub valid_from: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    /// Moves the unit under another parent (`null`: a root).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<UnitId>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub tax_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub budget_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub valid_from: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The unit that takes over.
    pub into: UnitId,
    /// First day the unit is part of `into`; the merged unit's last day is the day before.
    #[serde(deserialize_with = "motcua_core::time::day")]
    pub effective_date: NaiveDate,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    pub kind: Option<UnitKind>,
    /// Direct children of this unit.
    pub parent: Option<UnitId>,
    /// This unit and everything below it, including units merged into it.
    pub under: Option<UnitId>,
    /// Only units that exist on this day.
    #[serde(default, deserialize_with = "motcua_core::time::optional_day")]
    pub active_on: Option<NaiveDate>,
    /// Part of the name.
    pub q: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List units, in id order.
#[utoipa::path(tag = "units", params(UnitQuery), responses((status = 200, body = UnitPage), ReadErrors), security(("api_key" = [])))]
#[get("/units")]
pub async fn list_units(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<UnitQuery>,
) -> Result<Json<UnitPage>, ApiError> {
    who.require(Resource::Units, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(UnitId));
    let rows = state
        .read(move |conn| {
            let filter = UnitFilter {
                kind: query.kind,
                parent: query.parent,
                among: who.visible_units(conn, query.under)?,
                active_on: query.active_on,
                name_contains: query.q.clone(),
            };
            Ok(units::list(conn, &filter, after, limit + 1)?)
        })
        .await?;
    let (rows, next) = finish_page(rows, limit, |u| u.id.0);
    Ok(Json(UnitPage {
        items: rows.into_iter().map(UnitView::from).collect(),
        next,
    }))
}

/// Create a unit.
#[utoipa::path(tag = "units", request_body = NewUnitRequest, responses((status = 201, body = UnitView), WriteErrors), security(("api_key" = [])))]
#[post("/units")]
pub async fn create_unit(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewUnitRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Units, Access::Write)?;
    let new = validate_new_unit(body.into_inner())?;
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            if let Some(parent) = new.parent_id {
                units::find(conn, parent).map_err(ApiError::missing_reference("parent_id"))?;
                who.require_unit(conn, parent)?;
            } else if who.unit.is_some() {
                return Err(ApiError::Forbidden(
                    "a key limited to a unit cannot create a root unit".into(),
                ));
            }
            let unit = units::insert(conn, &new).map_err(duplicate_code)?;
            actor.record(
                conn,
                "unit.create",
                "unit",
                unit.id,
                &UnitView::from(unit.clone()),
            )?;
            Answer::created(Some(format!("/units/{}", unit.id)), &UnitView::from(unit))
        })
        .await
}

/// One unit.
#[utoipa::path(tag = "units", params(("id" = i64, Path)), responses((status = 200, body = UnitView), ReadErrors), security(("api_key" = [])))]
#[get("/units/{id}")]
pub async fn get_unit(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<UnitView>, ApiError> {
    who.require(Resource::Units, Access::Read)?;
    let id = UnitId(id.into_inner());
    let unit = state
        .read(move |conn| {
            let unit = find_unit(conn, id)?;
            who.require_unit(conn, id)?;
            Ok(unit)
        })
        .await?;
    Ok(Json(unit.into()))
}

/// Change a unit's name, kind, codes, start date or parent.
#[utoipa::path(tag = "units", params(("id" = i64, Path)), request_body = UnitPatch, responses((status = 200, body = UnitView), WriteErrors), security(("api_key" = [])))]
#[patch("/units/{id}")]
pub async fn update_unit(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
    body: ValidJson<UnitPatch>,
) -> Result<Json<UnitView>, ApiError> {
    who.require(Resource::Units, Access::Write)?;
    let id = UnitId(id.into_inner());
    let changes = validate_unit_patch(body.into_inner())?;
    let actor = Actor::new(&who, &request_id);
    let unit = state
        .write(move |conn| {
            find_unit(conn, id)?;
            who.require_unit(conn, id)?;
            if changes.parent_id.is_some() {
                who.require_tree_change("`parent_id` moves a unit")?;
            }
            if let Some(Some(parent)) = changes.parent_id {
                units::find(conn, parent).map_err(ApiError::missing_reference("parent_id"))?;
                if units::is_within(conn, id, parent)? {
                    return Err(ApiError::invalid(
                        "parent_id",
                        "a unit cannot be moved under itself or its own descendants",
                    ));
                }
                who.require_unit(conn, parent)?;
            }
            let unit = units::update(conn, id, &changes).map_err(refused_dates)?;
            actor.record(
                conn,
                "unit.update",
                "unit",
                unit.id,
                &UnitView::from(unit.clone()),
            )?;
            Ok(unit)
        })
        .await?;
    Ok(Json(unit.into()))
}

/// Merge a unit into another on a date: the unit closes the day before and its history rolls up
/// into the other unit (e.g. communes merged in the 2025 reform).
#[utoipa::path(tag = "units", params(("id" = i64, Path)), request_body = MergeRequest, responses((status = 200, body = UnitView), WriteErrors), security(("api_key" = [])))]
#[post("/units/{id}/merge")]
pub async fn merge_unit(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
    body: ValidJson<MergeRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Units, Access::Write)?;
    let id = UnitId(id.into_inner());
    let merge = body.into_inner();
    let actor = Actor::new(&who, &request_id);
    state
        .write_answer(move |conn| {
            let unit = find_unit(conn, id)?;
            who.require_unit(conn, id)?;
            who.require_tree_change("a merge closes a unit")?;
            let target =
                units::find(conn, merge.into).map_err(ApiError::missing_reference("into"))?;
            who.require_unit(conn, target.id)?;
            check_merge(conn, &unit, &target, merge.effective_date)?;
            let merged = units::merge(conn, id, target.id, merge.effective_date, now())?;
            actor.record(
                conn,
                "unit.merge",
                "unit",
                id,
                &UnitView::from(merged.clone()),
            )?;
            Answer::ok(&UnitView::from(merged))
        })
        .await
}

fn check_merge(
    conn: &mut DbConnection,
    unit: &Unit,
    target: &Unit,
    effective: NaiveDate,
) -> Result<(), ApiError> {
    if unit.valid_to.is_some() {
        return Err(ApiError::Conflict(format!(
            "unit {} already closed on {:?}",
            unit.id, unit.valid_to
        )));
    }
    if effective <= unit.valid_from {
        return Err(ApiError::invalid(
            "effective_date",
            "must be after the unit's first day",
        ));
    }
    if units::is_within(conn, unit.id, target.id)? {
        return Err(ApiError::invalid(
            "into",
            "a unit cannot be merged into itself or a unit below it",
        ));
    }
    let target_exists =
        target.valid_from <= effective && target.valid_to.is_none_or(|last| last >= effective);
    if !target_exists {
        return Err(ApiError::invalid(
            "into",
            "the target unit does not exist on the effective date",
        ));
    }
    Ok(())
}

/// One row of the staffing table: a desk and how its officials are staffed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffingRow {
    pub unit_id: UnitId,
    pub unit_code: String,
    pub unit_name: String,
    pub total: i64,
    /// Own staff and seconded staff (thuộc biên chế hoặc biệt phái).
    pub own_staff: i64,
    /// Sent by specialised agencies (cơ quan chuyên môn được cử đến).
    pub agency_sent: i64,
    pub by_agency: Vec<AgencyCount>,
    /// Own staff (those of `own_staff`) per recorded title (chức danh): titles held by a leader
    /// of the desk first, then in the order they were recorded. Staff without a title are not
    /// listed, so the counts add up to `own_staff` or less.
    pub own_by_title: Vec<TitleCount>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TitleCount {
    /// The officials' title as recorded (UTF-8 NFC).
    pub title: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgencyCount {
    pub agency: Agency,
    pub count: i64,
}

/// The appendix table of a one-stop report: active officials per desk below the unit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffingTable {
    pub unit_id: UnitId,
    /// Desks are commune-level units (`commune`, `phuong`, `thi_tran`) and `one_stop_desk`
    /// units, in id order.
    pub rows: Vec<StaffingRow>,
    pub total: i64,
    pub own_staff: i64,
    pub agency_sent: i64,
}

/// Staff per desk and staffing category below a unit (the seed report's appendix).
#[utoipa::path(tag = "units", params(("id" = i64, Path)), responses((status = 200, body = StaffingTable), ReadErrors), security(("api_key" = [])))]
#[get("/units/{id}/staffing")]
pub async fn staffing(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<StaffingTable>, ApiError> {
    who.require(Resource::Officials, Access::Read)?;
    let id = UnitId(id.into_inner());
    let table = state
        .read(move |conn| {
            find_unit(conn, id)?;
            who.require_unit(conn, id)?;
            staffing_table(conn, id)
        })
        .await?;
    Ok(Json(table))
}

fn staffing_table(conn: &mut DbConnection, root: UnitId) -> Result<StaffingTable, ApiError> {
    let ids = units::subtree(conn, root)?;
    let filter = UnitFilter {
        among: Some(ids.clone()),
        ..UnitFilter::default()
    };
    let desks: Vec<Unit> = units::list(conn, &filter, None, i64::MAX)?
        .into_iter()
        .filter(|u| u.kind.has_desk())
        .collect();
    let mut rows: BTreeMap<UnitId, StaffingRow> = desks
        .into_iter()
        .map(|u| {
            let row = StaffingRow {
                unit_id: u.id,
                unit_code: u.code,
                unit_name: u.name,
                total: 0,
                own_staff: 0,
                agency_sent: 0,
                by_agency: Vec::new(),
                own_by_title: Vec::new(),
            };
            (u.id, row)
        })
        .collect();
    for count in officials::staff_counts(conn, &ids)? {
        let Some(row) = rows.get_mut(&count.unit_id) else {
            continue;
        };
        row.total += count.count;
        if count.staffing.counts_as_own() {
            row.own_staff += count.count;
        } else if count.staffing == StaffingCategory::AgencySent {
            row.agency_sent += count.count;
        }
        if let Some(agency) = count.agency {
            row.by_agency.push(AgencyCount {
                agency,
                count: count.count,
            });
        }
    }
    for (unit, titles) in own_titles(officials::title_counts(conn, &ids)?) {
        if let Some(row) = rows.get_mut(&unit) {
            row.own_by_title = titles;
        }
    }
    let rows: Vec<StaffingRow> = rows.into_values().collect();
    Ok(StaffingTable {
        unit_id: root,
        total: rows.iter().map(|r| r.total).sum(),
        own_staff: rows.iter().map(|r| r.own_staff).sum(),
        agency_sent: rows.iter().map(|r| r.agency_sent).sum(),
        rows,
    })
}

/// The officials of one unit who hold one title.
struct TitleHolders {
    /// Ranks the title: a leader's title first, then by the earliest official holding it.
    rank: (bool, OfficialId),
    count: i64,
}

/// Own staff per unit and title. A title is listed once even when officials of several roles
/// hold it; the desk's leaders come first because an office names its head before its staff.
fn own_titles(counts: Vec<officials::TitleCount>) -> BTreeMap<UnitId, Vec<TitleCount>> {
    let mut merged: BTreeMap<(UnitId, String), TitleHolders> = BTreeMap::new();
    for count in counts.into_iter().filter(|c| c.staffing.counts_as_own()) {
        let rank = (count.role != OfficialRole::Leader, count.first_id);
        let holders = merged
            .entry((count.unit_id, count.title))
            .or_insert(TitleHolders { rank, count: 0 });
        holders.rank = holders.rank.min(rank);
        holders.count += count.count;
    }
    let mut ranked: Vec<_> = merged.into_iter().collect();
    ranked.sort_by_key(|((unit, _), holders)| (*unit, holders.rank));
    let mut by_unit: BTreeMap<UnitId, Vec<TitleCount>> = BTreeMap::new();
    for ((unit, title), holders) in ranked {
        by_unit.entry(unit).or_default().push(TitleCount {
            title,
            count: holders.count,
        });
    }
    by_unit
}

fn find_unit(conn: &mut DbConnection, id: UnitId) -> Result<Unit, ApiError> {
    units::find(conn, id).map_err(ApiError::not_found_as(format!("unit {id}")))
}

fn duplicate_code(error: DbError) -> ApiError {
    match error {
        DbError::Duplicate { .. } => {
            ApiError::Conflict("a unit with this code already exists".into())
        }
        other => other.into(),
    }
}

fn refused_dates(error: DbError) -> ApiError {
    match error {
        DbError::Refused(_) => {
            ApiError::invalid("valid_from", "must not be after the unit's last day")
        }
        other => other.into(),
    }
}

fn required_name(name: &str, field: &str, problems: &mut Vec<InvalidParam>) -> String {
    let name = tidy(name);
    if name.is_empty() || name.chars().count() > 300 {
        problems.push(InvalidParam::new(field, "must be 1 to 300 characters"));
    }
    name
}

fn optional_code(
    value: Option<String>,
    field: &str,
    check: fn(&str) -> Result<String, String>,
    problems: &mut Vec<InvalidParam>,
) -> Option<String> {
    value.and_then(|v| match check(&v) {
        Ok(v) => Some(v),
        Err(reason) => {
            problems.push(InvalidParam::new(field, reason));
            None
        }
    })
}

fn validate_new_unit(req: NewUnitRequest) -> Result<NewUnit, ApiError> {
    let mut problems = Vec::new();
    let code = validate_unit_code(&req.code).unwrap_or_else(|reason| {
        problems.push(InvalidParam::new("code", reason));
        String::new()
    });
    let name = required_name(&req.name, "name", &mut problems);
    let tax_code = optional_code(req.tax_code, "tax_code", validate_tax_code, &mut problems);
    let budget_code = optional_code(
        req.budget_code,
        "budget_code",
        validate_budget_code,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(ApiError::invalid_all(problems));
    }
    let at = now();
    Ok(NewUnit {
        code,
        name,
        kind: req.kind,
        parent_id: req.parent_id,
        tax_code,
        budget_code,
        valid_from: req.valid_from,
        created_at: at,
        updated_at: at,
    })
}

fn validate_unit_patch(req: UnitPatch) -> Result<UnitChanges, ApiError> {
    let mut problems = Vec::new();
    let name = req.name.map(|n| required_name(&n, "name", &mut problems));
    let tax_code = req
        .tax_code
        .map(|v| optional_code(v, "tax_code", validate_tax_code, &mut problems));
    let budget_code = req
        .budget_code
        .map(|v| optional_code(v, "budget_code", validate_budget_code, &mut problems));
    if !problems.is_empty() {
        return Err(ApiError::invalid_all(problems));
    }
    Ok(UnitChanges {
        name,
        kind: req.kind,
        parent_id: req.parent_id,
        tax_code,
        budget_code,
        valid_from: req.valid_from,
        updated_at: Some(now()),
    })
}
