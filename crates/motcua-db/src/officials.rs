//! Officials at one-stop desks.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::official::{Agency, OfficialRole, StaffingCategory};
use motcua_core::record_ids::{OfficialId, UnitId};

use crate::schema::officials;
use crate::units::escape_like;
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = officials)]
pub struct Official {
    pub id: OfficialId,
    pub full_name: String,
    pub personal_id: String,
    pub unit_id: UnitId,
    pub role: OfficialRole,
    pub title: Option<String>,
    pub staffing: StaffingCategory,
    pub agency: Option<Agency>,
    pub agency_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = officials)]
pub struct NewOfficial {
    pub full_name: String,
    pub personal_id: String,
    pub unit_id: UnitId,
    pub role: OfficialRole,
    pub title: Option<String>,
    pub staffing: StaffingCategory,
    pub agency: Option<Agency>,
    pub agency_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = officials)]
pub struct OfficialChanges {
    pub full_name: Option<String>,
    pub unit_id: Option<UnitId>,
    pub role: Option<OfficialRole>,
    pub title: Option<Option<String>>,
    pub staffing: Option<StaffingCategory>,
    pub agency: Option<Option<Agency>>,
    pub agency_name: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Default)]
pub struct OfficialFilter {
    pub among_units: Option<Vec<UnitId>>,
    pub role: Option<OfficialRole>,
    pub staffing: Option<StaffingCategory>,
    pub active: Option<bool>,
    pub name_contains: Option<String>,
}

pub fn insert(conn: &mut DbConnection, new: &NewOfficial) -> DbResult<Official> {
    Ok(diesel::insert_into(officials::table)
        .values(new)
        .returning(officials::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConnection, id: OfficialId) -> DbResult<Official> {
    Ok(officials::table
        .find(id)
        .select(Official::as_select())
        .first(conn)?)
}

pub fn update(
    conn: &mut DbConnection,
    id: OfficialId,
    changes: &OfficialChanges,
) -> DbResult<Official> {
    Ok(diesel::update(officials::table.find(id))
        .set(changes)
        .returning(officials::all_columns)
        .get_result(conn)?)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OfficialFilter,
    after: Option<OfficialId>,
    limit: i64,
) -> DbResult<Vec<Official>> {
    let mut query = officials::table
        .select(Official::as_select())
        .order(officials::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(officials::id.gt(after));
    }
    if let Some(units) = &filter.among_units {
        query = query.filter(officials::unit_id.eq_any(units.clone()));
    }
    if let Some(role) = filter.role {
        query = query.filter(officials::role.eq(role));
    }
    if let Some(staffing) = filter.staffing {
        query = query.filter(officials::staffing.eq(staffing));
    }
    if let Some(active) = filter.active {
        query = query.filter(officials::active.eq(active));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            officials::full_name
                .like(format!("%{}%", escape_like(text)))
                .escape('\\'),
        );
    }
    Ok(query.load(conn)?)
}

/// Active officials counted per unit, staffing category and sending agency (SQL GROUP BY).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct StaffCount {
    pub unit_id: UnitId,
    pub staffing: StaffingCategory,
    pub agency: Option<Agency>,
    pub count: i64,
}

pub fn staff_counts(conn: &mut DbConnection, units: &[UnitId]) -> DbResult<Vec<StaffCount>> {
    Ok(officials::table
        .filter(officials::active.eq(true))
        .filter(officials::unit_id.eq_any(units.to_vec()))
        .group_by((officials::unit_id, officials::staffing, officials::agency))
        .select((
            officials::unit_id,
            officials::staffing,
            officials::agency,
            diesel::dsl::count_star(),
        ))
        .order((officials::unit_id, officials::staffing, officials::agency))
        .load(conn)?)
}

/// Active officials with a recorded title, counted per unit, staffing category, role and title;
/// `first_id` is the earliest such official, so that callers can keep the order of recording.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct TitleCount {
    pub unit_id: UnitId,
    pub staffing: StaffingCategory,
    pub role: OfficialRole,
    pub title: String,
    pub count: i64,
    pub first_id: OfficialId,
}

pub fn title_counts(conn: &mut DbConnection, units: &[UnitId]) -> DbResult<Vec<TitleCount>> {
    Ok(officials::table
        .filter(officials::active.eq(true))
        .filter(officials::unit_id.eq_any(units.to_vec()))
        .filter(officials::title.is_not_null())
        .group_by((
            officials::unit_id,
            officials::staffing,
            officials::role,
            officials::title,
        ))
        .select((
            officials::unit_id,
            officials::staffing,
            officials::role,
            officials::title.assume_not_null(),
            diesel::dsl::count_star(),
            diesel::dsl::min(officials::id).assume_not_null(),
        ))
        .order((
            officials::unit_id,
            officials::staffing,
            officials::role,
            officials::title,
        ))
        .load(conn)?)
}
