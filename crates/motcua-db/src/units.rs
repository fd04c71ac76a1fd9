//! Administrative units and their tree.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use motcua_core::record_ids::UnitId;
use motcua_core::unit::UnitKind;

use crate::schema::units;
use crate::{DbConnection, DbError, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub tax_code: Option<String>,
    pub budget_code: Option<String>,
    pub valid_from: NaiveDate,
    /// Last day of existence, inclusive.
    pub valid_to: Option<NaiveDate>,
    pub merged_into_id: Option<UnitId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = units)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub tax_code: Option<String>,
    pub budget_code: Option<String>,
    pub valid_from: NaiveDate,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Fields a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = units)]
pub struct UnitChanges {
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    pub parent_id: Option<Option<UnitId>>,
    pub tax_code: Option<Option<String>>,
    pub budget_code: Option<Option<String>>,
    pub valid_from: Option<NaiveDate>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Filters of the unit list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub kind: Option<UnitKind>,
    pub parent: Option<UnitId>,
    /// Only these ids (a subtree, already resolved).
    pub among: Option<Vec<UnitId>>,
    /// Only units that exist on this day.
    pub active_on: Option<NaiveDate>,
    /// Case-sensitive substring of the name.
    pub name_contains: Option<String>,
}

pub fn insert(conn: &mut DbConnection, new: &NewUnit) -> DbResult<Unit> {
    Ok(diesel::insert_into(units::table)
        .values(new)
        .returning(units::all_columns)
        .get_result(conn)?)
}

pub fn find(conn: &mut DbConnection, id: UnitId) -> DbResult<Unit> {
    Ok(units::table
        .find(id)
        .select(Unit::as_select())
        .first(conn)?)
}

/// The units among `ids` that exist, in any order.
pub fn find_many(conn: &mut DbConnection, ids: &[UnitId]) -> DbResult<Vec<Unit>> {
    Ok(units::table
        .filter(units::id.eq_any(ids))
        .select(Unit::as_select())
        .load(conn)?)
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> DbResult<Unit> {
    Ok(units::table
        .filter(units::code.eq(code))
        .select(Unit::as_select())
        .first(conn)?)
}

pub fn count(conn: &mut DbConnection) -> DbResult<i64> {
    Ok(units::table.count().get_result(conn)?)
}

/// One page in id order, starting after `after`.
pub fn list(
    conn: &mut DbConnection,
    filter: &UnitFilter,
    after: Option<UnitId>,
    limit: i64,
) -> DbResult<Vec<Unit>> {
    let mut query = units::table
        .select(Unit::as_select())
        .order(units::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(units::id.gt(after));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(units::kind.eq(kind));
    }
    if let Some(parent) = filter.parent {
        query = query.filter(units::parent_id.eq(parent));
    }
    if let Some(among) = &filter.among {
        query = query.filter(units::id.eq_any(among.clone()));
    }
    if let Some(day) = filter.active_on {
        query = query
            .filter(units::valid_from.le(day))
            .filter(units::valid_to.is_null().or(units::valid_to.ge(day)));
    }
    if let Some(text) = &filter.name_contains {
        query = query.filter(
            units::name
                .like(format!("%{}%", escape_like(text)))
                .escape('\\'),
        );
    }
    Ok(query.load(conn)?)
}

pub fn update(conn: &mut DbConnection, id: UnitId, changes: &UnitChanges) -> DbResult<Unit> {
    Ok(diesel::update(units::table.find(id))
        .set(changes)
        .returning(units::all_columns)
        .get_result(conn)?)
}

/// Closes `id` on the day before `effective` and rolls it up into `into` from then on.
pub fn merge(
    conn: &mut DbConnection,
    id: UnitId,
    into: UnitId,
    effective: NaiveDate,
    at: NaiveDateTime,
) -> DbResult<Unit> {
    let last_day = effective
        .pred_opt()
        .ok_or_else(|| DbError::Refused("date out of range".into()))?;
    Ok(diesel::update(units::table.find(id))
        .set((
            units::valid_to.eq(last_day),
            units::merged_into_id.eq(into),
            units::updated_at.eq(at),
        ))
        .returning(units::all_columns)
        .get_result(conn)?)
}

/// `root` and every unit below it: children at any depth, and units merged into any of them
/// (with their own children), so that history before a merge rolls up to the new unit.
pub fn subtree(conn: &mut DbConnection, root: UnitId) -> DbResult<Vec<UnitId>> {
    let ids = sql::<BigInt>("WITH RECURSIVE subtree(id) AS (SELECT id FROM units WHERE id = ")
        .bind::<BigInt, _>(root.0)
        .sql(
            " UNION SELECT u.id FROM units u JOIN subtree s \
             ON u.parent_id = s.id OR u.merged_into_id = s.id) SELECT id FROM subtree",
        )
        .load::<i64>(conn)?;
    Ok(ids.into_iter().map(UnitId).collect())
}

/// Whether `unit` is `root` or lies below it (see [`subtree`]).
pub fn is_within(conn: &mut DbConnection, root: UnitId, unit: UnitId) -> DbResult<bool> {
    Ok(root == unit || subtree(conn, root)?.contains(&unit))
}

/// Escapes `%`, `_` and `\` so a search text matches literally inside LIKE.
pub(crate) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
