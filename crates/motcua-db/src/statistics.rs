//! The dossier counters behind the statistics: kept up to date in the transaction of every change,
//! summed for any unit subtree and period, rebuilt from the dossiers on demand, and the raw
//! `GROUP BY` over the dossiers that they must always equal.
//!
//! Counters are kept per day, month and year; sums read year rows for whole years, month rows for
//! the other whole months and day rows only at the edges, so a year of statistics costs one row
//! per unit, field and metric whatever the number of dossiers.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};
use motcua_core::record_ids::{DossierId, UnitId};
use motcua_core::statistics::{contributions, Metric};

use crate::dossiers;
use crate::unnest::{Statement, Unnest};
use crate::{DbConnection, DbResult};

/// One change of one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountDelta {
    pub unit_id: UnitId,
    pub field: String,
    pub day: NaiveDate,
    pub metric: Metric,
    pub n: i64,
}

const DAY: &str = "d";
const MONTH: &str = "m";
const YEAR: &str = "y";
/// Rows per SQLite upsert statement: six bound values each, well under SQLite's limit on bound
/// parameters (32 766 since 3.32; the bundled library is newer).
const ROWS_PER_STATEMENT: usize = 400;
const _: () = assert!(ROWS_PER_STATEMENT * 6 <= 32_766);

/// Adds the deltas to the day, month and year counters (merging repeated keys first).
pub fn apply(conn: &mut DbConnection, deltas: &[CountDelta]) -> DbResult<()> {
    let mut merged: HashMap<(UnitId, &str, NaiveDate, &str, Metric), i64> = HashMap::new();
    for delta in deltas {
        for (grain, day) in [
            (DAY, delta.day),
            (MONTH, first_of_month(delta.day)),
            (YEAR, first_of_year(delta.day)),
        ] {
            *merged
                .entry((
                    delta.unit_id,
                    grain,
                    day,
                    delta.field.as_str(),
                    delta.metric,
                ))
                .or_default() += delta.n;
        }
    }
    let mut rows: Vec<_> = merged.into_iter().filter(|(_, n)| *n != 0).collect();
    if rows.is_empty() {
        return Ok(());
    }
    // A fixed order makes concurrent transactions lock counter rows in the same order (no deadlock).
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    match conn {
        DbConnection::Postgresql(pg) => {
            upsert_prepared(pg, &rows)?;
        }
        DbConnection::Sqlite(lite) => {
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                upsert_bound(lite, chunk)?;
            }
        }
    }
    Ok(())
}

type Row<'a> = ((UnitId, &'a str, NaiveDate, &'a str, Metric), i64);

struct AddToCounts;
impl Statement for AddToCounts {
    const INTO: &'static str = "dossier_counts (unit_id, grain, day, field, metric, n)";
    const THEN: &'static str = "ON CONFLICT (unit_id, grain, day, field, metric) \
         DO UPDATE SET n = dossier_counts.n + excluded.n";
}

/// All rows in one statement that stays prepared.
fn upsert_prepared(pg: &mut diesel::PgConnection, rows: &[Row<'_>]) -> DbResult<()> {
    Unnest::<AddToCounts>::new()
        .column::<BigInt, _, _>(rows, |((unit, ..), _)| *unit)
        .column::<Text, _, _>(rows, |((_, grain, ..), _)| *grain)
        .column::<Date, _, _>(rows, |((_, _, day, ..), _)| *day)
        .column::<Text, _, _>(rows, |((_, _, _, field, _), _)| *field)
        .column::<Text, _, _>(rows, |((.., metric), _)| metric.as_str())
        .column::<BigInt, _, _>(rows, |(_, n)| *n)
        .execute(pg)?;
    Ok(())
}

/// One `INSERT … VALUES (?, …), …` per chunk, every value bound: the statement text depends only
/// on the number of rows, so full chunks reuse one prepared statement.
fn upsert_bound(lite: &mut diesel::SqliteConnection, rows: &[Row<'_>]) -> DbResult<()> {
    let placeholders = vec!["(?, ?, ?, ?, ?, ?)"; rows.len()].join(", ");
    let sql = format!(
        "INSERT INTO {} VALUES {placeholders} {}",
        AddToCounts::INTO,
        AddToCounts::THEN
    );
    let mut query = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
    for ((unit, grain, day, field, metric), n) in rows {
        query = query
            .bind::<BigInt, _>(unit.0)
            .bind::<Text, _>(*grain)
            .bind::<Date, _>(*day)
            .bind::<Text, _>(*field)
            .bind::<Text, _>(metric.as_str())
            .bind::<BigInt, _>(*n);
    }
    query.execute(lite)?;
    Ok(())
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn first_of_year(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day)
}

fn next_year(day: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year() + 1, 1, 1).unwrap_or(NaiveDate::MAX)
}

/// Sums of one counter for one unit and field: before the period and within it.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct CounterSums {
    #[diesel(sql_type = BigInt)]
    pub unit_id: i64,
    #[diesel(sql_type = Text)]
    pub field: String,
    #[diesel(sql_type = Text)]
    pub metric: String,
    #[diesel(sql_type = BigInt)]
    pub before: i64,
    #[diesel(sql_type = BigInt)]
    pub within: i64,
}

/// Sums the counters `metrics` of `units` before `first` and from `first` to `last` (inclusive).
pub fn sums(
    conn: &mut DbConnection,
    units: &[UnitId],
    metrics: &[Metric],
    first: NaiveDate,
    last: NaiveDate,
) -> DbResult<Vec<CounterSums>> {
    let before = ranges(None, first.pred_opt().unwrap_or(first));
    let within = ranges(Some(first), last);
    sum_buckets(conn, units, metrics, &before, &within)
}

/// Sums the counters `metrics` of `units` up to `last` (inclusive), in `before`.
pub fn sums_through(
    conn: &mut DbConnection,
    units: &[UnitId],
    metrics: &[Metric],
    last: NaiveDate,
) -> DbResult<Vec<CounterSums>> {
    sum_buckets(conn, units, metrics, &ranges(None, last), &[])
}

/// Sums over the rows of `before` and of `within`. Each range is its own `SELECT`, so that every
/// one is a plain range scan of the primary key (unit, grain, day) on both backends.
fn sum_buckets(
    conn: &mut DbConnection,
    units: &[UnitId],
    metrics: &[Metric],
    before: &[(&'static str, NaiveDate, NaiveDate)],
    within: &[(&'static str, NaiveDate, NaiveDate)],
) -> DbResult<Vec<CounterSums>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let units = id_list(units);
    let metrics = metrics
        .iter()
        .map(|m| format!("'{m}'"))
        .collect::<Vec<_>>()
        .join(",");
    let before = before.iter().map(|r| (0, r));
    let within = within.iter().map(|r| (1, r));
    let selects: Vec<String> = before
        .chain(within)
        .map(|(bucket, (grain, from, to))| {
            format!(
                "SELECT unit_id, field, metric, n, {bucket} AS bucket FROM dossier_counts \
                 WHERE unit_id IN ({units}) AND grain = '{grain}' AND day >= '{from}' AND day <= '{to}' \
                 AND metric IN ({metrics})"
            )
        })
        .collect();
    if selects.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT unit_id, field, metric, \
           CAST(SUM(CASE WHEN bucket = 0 THEN n ELSE 0 END) AS BIGINT) AS before, \
           CAST(SUM(CASE WHEN bucket = 1 THEN n ELSE 0 END) AS BIGINT) AS within \
         FROM ({}) AS ranges GROUP BY unit_id, field, metric",
        selects.join(" UNION ALL ")
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// The rows covering the days from `first` (or the beginning of time) to `last`, as
/// (grain, first day, last day): year rows for the years wholly inside, month rows for the other
/// whole months, day rows for the rest.
fn ranges(first: Option<NaiveDate>, last: NaiveDate) -> Vec<(&'static str, NaiveDate, NaiveDate)> {
    let start = date_literal(first.unwrap_or(NaiveDate::MIN));
    if start > last {
        return Vec::new();
    }
    let after_last = last.succ_opt().unwrap_or(NaiveDate::MAX);
    let months_from = if start.day() == 1 {
        start
    } else {
        next_month(start)
    };
    let months_to = first_of_month(after_last);
    if months_from >= months_to {
        return vec![(DAY, start, last)];
    }
    let mut ranges = Vec::new();
    if start < months_from {
        ranges.push((DAY, start, before(months_from)));
    }
    if months_to <= last {
        ranges.push((DAY, months_to, last));
    }
    let years_from = if months_from.ordinal() == 1 {
        months_from
    } else {
        next_year(months_from)
    };
    let years_to = first_of_year(months_to);
    if years_from >= years_to {
        ranges.push((MONTH, months_from, before(months_to)));
        return ranges;
    }
    ranges.push((YEAR, years_from, before(years_to)));
    if months_from < years_from {
        ranges.push((MONTH, months_from, before(years_from)));
    }
    if years_to < months_to {
        ranges.push((MONTH, years_to, before(months_to)));
    }
    ranges
}

fn before(day: NaiveDate) -> NaiveDate {
    day.pred_opt().unwrap_or(day)
}

fn next_month(day: NaiveDate) -> NaiveDate {
    let (year, month) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MAX)
}

/// Dates before year 1 are not written by either backend the same way; nothing is that old.
fn date_literal(day: NaiveDate) -> NaiveDate {
    day.max(NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(day))
}

fn id_list(units: &[UnitId]) -> String {
    units
        .iter()
        .map(|u| u.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Biểu 06 columns of one unit and field, counted straight from the dossiers.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct RawForm06Row {
    #[diesel(sql_type = BigInt)]
    pub unit_id: i64,
    #[diesel(sql_type = Text)]
    pub field: String,
    #[diesel(sql_type = BigInt)]
    pub carried_over: i64,
    #[diesel(sql_type = BigInt)]
    pub new_online: i64,
    #[diesel(sql_type = BigInt)]
    pub new_direct: i64,
    #[diesel(sql_type = BigInt)]
    pub new_postal: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_early: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_late: i64,
    #[diesel(sql_type = BigInt)]
    pub in_progress: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue: i64,
}

/// The reference computation: one `GROUP BY` over every dossier of the units received by `last`;
/// open dossiers due on or before `overdue_through` are overdue.
pub fn raw_form06(
    conn: &mut DbConnection,
    units: &[UnitId],
    first: NaiveDate,
    last: NaiveDate,
    overdue_through: NaiveDate,
) -> DbResult<Vec<RawForm06Row>> {
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let (a, b, c) = (first, last, overdue_through);
    let count =
        |condition: String| format!("CAST(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS BIGINT)");
    let open_at_end = format!("(resolved_on IS NULL OR resolved_on > '{b}')");
    let sql = format!(
        "SELECT unit_id, field, {carried} AS carried_over, {online} AS new_online, {direct} AS new_direct, \
           {postal} AS new_postal, {early} AS resolved_early, {on_time} AS resolved_on_time, {late} AS resolved_late, \
           {in_progress} AS in_progress, {overdue} AS overdue \
         FROM dossiers WHERE unit_id IN ({units}) AND received_on <= '{b}' GROUP BY unit_id, field",
        carried = count(format!("received_on < '{a}' AND (resolved_on IS NULL OR resolved_on >= '{a}')")),
        online = count(format!("received_on >= '{a}' AND channel = 'online'")),
        direct = count(format!("received_on >= '{a}' AND channel = 'direct'")),
        postal = count(format!("received_on >= '{a}' AND channel = 'postal'")),
        early = count(format!("resolved_on >= '{a}' AND resolved_on <= '{b}' AND resolution = 'early'")),
        on_time = count(format!("resolved_on >= '{a}' AND resolved_on <= '{b}' AND resolution = 'on_time'")),
        late = count(format!("resolved_on >= '{a}' AND resolved_on <= '{b}' AND resolution = 'late'")),
        in_progress = count(open_at_end.clone()),
        overdue = count(format!("{open_at_end} AND due_on <= '{c}'")),
        units = id_list(units),
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// Recomputes every counter from the dossiers. Returns how many dossiers were read.
pub fn rebuild(conn: &mut DbConnection) -> DbResult<u64> {
    diesel::sql_query("DELETE FROM dossier_counts").execute(conn)?;
    let mut totals: HashMap<(UnitId, String, NaiveDate, Metric), i64> = HashMap::new();
    let mut after = DossierId(0);
    let mut read = 0u64;
    loop {
        let batch = dossiers::batch_after(conn, after, 10_000)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        read += batch.len() as u64;
        for dossier in &batch {
            for (day, metric) in contributions(&dossier.facts()) {
                *totals
                    .entry((dossier.unit_id, dossier.field.clone(), day, metric))
                    .or_default() += 1;
            }
        }
    }
    let deltas: Vec<CountDelta> = totals
        .into_iter()
        .map(|((unit_id, field, day, metric), n)| CountDelta {
            unit_id,
            field,
            day,
            metric,
            n,
        })
        .collect();
    apply(conn, &deltas)?;
    Ok(read)
}

/// A stored counter: unit, grain, day, field, metric and value.
pub type CounterRow = (i64, String, NaiveDate, String, String, i64);

/// Every stored counter, for comparing two ways of computing them.
pub fn all_counters(conn: &mut DbConnection) -> DbResult<Vec<CounterRow>> {
    use crate::schema::dossier_counts::dsl::*;
    Ok(dossier_counts
        .filter(n.ne(0))
        .order((unit_id, grain, day, field, metric))
        .select((unit_id, grain, day, field, metric, n))
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn whole_years_read_year_rows_only() {
        assert_eq!(
            ranges(Some(d(2023, 1, 1)), d(2023, 12, 31)),
            vec![(YEAR, d(2023, 1, 1), d(2023, 12, 31))]
        );
        assert_eq!(
            ranges(Some(d(2023, 1, 1)), d(2024, 12, 31)),
            vec![(YEAR, d(2023, 1, 1), d(2024, 12, 31))]
        );
    }

    #[test]
    fn partial_months_read_day_rows_at_the_edges() {
        assert_eq!(
            ranges(Some(d(2024, 1, 15)), d(2024, 3, 10)),
            vec![
                (DAY, d(2024, 1, 15), d(2024, 1, 31)),
                (DAY, d(2024, 3, 1), d(2024, 3, 10)),
                (MONTH, d(2024, 2, 1), d(2024, 2, 29))
            ]
        );
        assert_eq!(
            ranges(Some(d(2024, 2, 3)), d(2024, 2, 20)),
            vec![(DAY, d(2024, 2, 3), d(2024, 2, 20))]
        );
        assert_eq!(
            ranges(Some(d(2024, 1, 1)), d(2024, 3, 31)),
            vec![(MONTH, d(2024, 1, 1), d(2024, 3, 31))]
        );
        assert!(ranges(Some(d(2024, 2, 3)), d(2024, 2, 2)).is_empty());
    }

    #[test]
    fn years_months_and_days_combine() {
        assert_eq!(
            ranges(Some(d(2022, 11, 20)), d(2024, 2, 10)),
            vec![
                (DAY, d(2022, 11, 20), d(2022, 11, 30)),
                (DAY, d(2024, 2, 1), d(2024, 2, 10)),
                (YEAR, d(2023, 1, 1), d(2023, 12, 31)),
                (MONTH, d(2022, 12, 1), d(2022, 12, 31)),
                (MONTH, d(2024, 1, 1), d(2024, 1, 31)),
            ]
        );
    }

    #[test]
    fn everything_before_a_day() {
        assert_eq!(
            ranges(None, d(2023, 12, 31)),
            vec![(YEAR, d(1, 1, 1), d(2023, 12, 31))]
        );
        assert_eq!(
            ranges(None, d(2024, 1, 9)),
            vec![
                (DAY, d(2024, 1, 1), d(2024, 1, 9)),
                (YEAR, d(1, 1, 1), d(2023, 12, 31))
            ]
        );
    }
}
