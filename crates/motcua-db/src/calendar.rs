//! Years of the holiday calendar loaded by administrators (they override the shipped defaults).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::calendar_years;
use crate::{DbConnection, DbResult};

/// Every stored year as `(year, JSON)`.
pub fn all(conn: &mut DbConnection) -> DbResult<Vec<(i32, String)>> {
    Ok(calendar_years::table
        .order(calendar_years::year.asc())
        .select((calendar_years::year, calendar_years::data))
        .load(conn)?)
}

/// Stores the calendar of `year`, replacing an earlier one.
pub fn put(conn: &mut DbConnection, year: i32, data: &str, at: NaiveDateTime) -> DbResult<()> {
    diesel::delete(calendar_years::table.find(year)).execute(conn)?;
    diesel::insert_into(calendar_years::table)
        .values((
            calendar_years::year.eq(year),
            calendar_years::data.eq(data),
            calendar_years::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
