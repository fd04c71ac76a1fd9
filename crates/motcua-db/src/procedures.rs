//! The procedures catalogue, with every published version of each procedure.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use motcua_core::procedure::{OnlineServiceLevel, SupersedeKind};
use motcua_core::record_ids::ProcedureId;

use crate::schema::procedures;
use crate::units::escape_like;
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = procedures)]
pub struct Procedure {
    pub id: ProcedureId,
    pub code: String,
    pub name: String,
    pub field: String,
    pub level_province: bool,
    pub level_district: bool,
    pub level_commune: bool,
    pub processing_days: i32,
    pub online_level: OnlineServiceLevel,
    pub non_boundary: bool,
    pub fee_vnd: Option<i64>,
    pub fee_note: Option<String>,
    pub decision_number: String,
    pub decision_date: NaiveDate,
    pub supersedes_id: Option<ProcedureId>,
    pub supersede_kind: Option<SupersedeKind>,
    pub superseded_by_id: Option<ProcedureId>,
    pub abolished_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = procedures)]
pub struct NewProcedure {
    pub code: String,
    pub name: String,
    pub field: String,
    pub level_province: bool,
    pub level_district: bool,
    pub level_commune: bool,
    pub processing_days: i32,
    pub online_level: OnlineServiceLevel,
    pub non_boundary: bool,
    pub fee_vnd: Option<i64>,
    pub fee_note: Option<String>,
    pub decision_number: String,
    pub decision_date: NaiveDate,
    pub supersedes_id: Option<ProcedureId>,
    pub supersede_kind: Option<SupersedeKind>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Corrections of a version in place (typos); a change of substance is a new version.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = procedures)]
pub struct ProcedureChanges {
    pub name: Option<String>,
    pub field: Option<String>,
    pub fee_vnd: Option<Option<i64>>,
    pub fee_note: Option<Option<String>>,
    pub abolished_on: Option<Option<NaiveDate>>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Default)]
pub struct ProcedureFilter {
    pub code: Option<String>,
    pub field: Option<String>,
    /// Only versions that nobody superseded and that are not abolished.
    pub current_only: bool,
    pub online_level: Option<OnlineServiceLevel>,
    pub name_contains: Option<String>,
    pub level_province: Option<bool>,
    pub level_district: Option<bool>,
    pub level_commune: Option<bool>,
}

pub fn insert(conn: &mut DbConnection, new: &NewProcedure) -> DbResult<Procedure> {
    Ok(diesel::insert_into(procedures::table)
        .values(new)
        .returning(procedures::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConnection, id: ProcedureId) -> DbResult<Procedure> {
    Ok(procedures::table
        .find(id)
        .select(Procedure::as_select())
        .first(conn)?)
}

/// The procedures among `ids` that exist, in any order.
pub fn find_many(conn: &mut DbConnection, ids: &[ProcedureId]) -> DbResult<Vec<Procedure>> {
    Ok(procedures::table
        .filter(procedures::id.eq_any(ids))
        .select(Procedure::as_select())
        .load(conn)?)
}

/// Takes `id` out of force ahead of inserting its successor, whose id is not known yet: the row
/// points at itself until [`mark_superseded`] sets the successor in the same transaction.
pub fn retire(conn: &mut DbConnection, id: ProcedureId, at: NaiveDateTime) -> DbResult<()> {
    diesel::update(procedures::table.find(id))
        .set((
            procedures::superseded_by_id.eq(id),
            procedures::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks `old` as superseded by `new`; done in the same transaction as inserting `new`.
pub fn mark_superseded(
    conn: &mut DbConnection,
    old: ProcedureId,
    new: ProcedureId,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(procedures::table.find(old))
        .set((
            procedures::superseded_by_id.eq(new),
            procedures::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update(
    conn: &mut DbConnection,
    id: ProcedureId,
    changes: &ProcedureChanges,
) -> DbResult<Procedure> {
    Ok(diesel::update(procedures::table.find(id))
        .set(changes)
        .returning(procedures::all_columns)
        .get_result(conn)?)
}

pub fn list(
    conn: &mut DbConnection,
    filter: &ProcedureFilter,
    after: Option<ProcedureId>,
    limit: i64,
) -> DbResult<Vec<Procedure>> {
    let mut query = procedures::table
        .select(Procedure::as_select())
        .order(procedures::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(procedures::id.gt(after));
    }
    if let Some(code) = &filter.code {
        query = query.filter(procedures::code.eq(code.clone()));
    }
    if let Some(field) = &filter.field {
        query = query.filter(procedures::field.eq(field.clone()));
    }
    if filter.current_only {
        query = query
            .filter(procedures::superseded_by_id.is_null())
            .filter(procedures::abolished_on.is_null());
    }
    if let Some(level) = filter.online_level {
        query = query.filter(procedures::online_level.eq(level));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            procedures::name
                .like(format!("%{}%", escape_like(text)))
                .escape('\\'),
        );
    }
    if let Some(flag) = filter.level_province {
        query = query.filter(procedures::level_province.eq(flag));
    }
    if let Some(flag) = filter.level_district {
        query = query.filter(procedures::level_district.eq(flag));
    }
    if let Some(flag) = filter.level_commune {
        query = query.filter(procedures::level_commune.eq(flag));
    }
    Ok(query.load(conn)?)
}

/// Every version of `code`, oldest first.
pub fn versions(conn: &mut DbConnection, code: &str) -> DbResult<Vec<Procedure>> {
    Ok(procedures::table
        .filter(procedures::code.eq(code))
        .order(procedures::id.asc())
        .select(Procedure::as_select())
        .load(conn)?)
}

/// Procedures in force handled at a level, and how many of them are offered online.
pub fn online_coverage(
    conn: &mut DbConnection,
    level: motcua_core::unit::Level,
) -> DbResult<(i64, i64)> {
    use motcua_core::unit::Level;
    let mut query = procedures::table
        .filter(procedures::superseded_by_id.is_null())
        .filter(procedures::abolished_on.is_null())
        .into_boxed();
    query = match level {
        Level::Province => query.filter(procedures::level_province.eq(true)),
        Level::District => query.filter(procedures::level_district.eq(true)),
        Level::Commune => query.filter(procedures::level_commune.eq(true)),
    };
    let rows: Vec<OnlineServiceLevel> = query.select(procedures::online_level).load(conn)?;
    let online = rows.iter().filter(|level| level.is_online()).count();
    Ok((
        i64::try_from(rows.len()).unwrap_or(i64::MAX),
        i64::try_from(online).unwrap_or(i64::MAX),
    ))
}
