//! Biểu 06/VPCP/KSTT and the QĐ 766 indicators, computed in the database for any unit subtree and
//! period, with the form's invariants (`motcua_core::form06`) checked on every table.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use motcua_core::form06::{
    Form06, Form06Columns, Form06Row, Indicator, Indicators, LevelTotal, Method,
};
use motcua_core::period::Period;
use motcua_core::record_ids::UnitId;
use motcua_core::statistics::Metric;
use motcua_core::unit::Level;
use motcua_db::statistics::{self, CounterSums, RawForm06Row};
use motcua_db::units::{self, Unit, UnitFilter};
use motcua_db::{procedures, DbConnection};

use motcua_web::error::ApiError;

/// The counting rule, stated in every response so a reader of the figures knows it.
pub const COUNTING_RULE: &str = "Counted in dossiers, by Vietnam calendar day. A dossier is received when it is accepted \
(status `new`); online submissions still `receiving` and those `denied` at reception are not counted. It is resolved when \
its result is ready (`releasing`) or when it is closed without a result (`cancelled`: withdrawn or returned, `unresolved`: \
processing stopped). Resolved dossiers are classified by their resolution day against their due day (before / on / after), \
except that withdrawn or returned dossiers count as on time. Dossiers waiting for a supplement or a payment have their deadline \
paused and count as within the due date; the due date moves by the working time spent waiting. In a period still running, \
an open dossier is overdue only when its due day is before today. Carried over = received before \
the period and not resolved before it = in progress at the end of the previous period.";

pub fn form06(
    conn: &mut DbConnection,
    root: UnitId,
    period: Period,
    method: Method,
) -> Result<Form06, ApiError> {
    let subtree = units::subtree(conn, root)?;
    let levels = unit_levels(conn)?;
    let through = overdue_through(period);
    let per_unit_field = match method {
        Method::Counters => {
            let sums = statistics::sums(
                conn,
                &subtree,
                &FORM06_METRICS,
                period.first_day,
                period.last_day,
            )?;
            from_counters(
                &sums,
                due_through(conn, &subtree, period, through)?.as_deref(),
            )
        }
        Method::Raw => from_raw(statistics::raw_form06(
            conn,
            &subtree,
            period.first_day,
            period.last_day,
            through,
        )?),
    };
    let mut rows: BTreeMap<(Level, String), Form06Columns> = BTreeMap::new();
    for ((unit, field), columns) in per_unit_field {
        let level = levels.get(&unit).copied().unwrap_or(Level::Commune);
        rows.entry((level, field)).or_default().add(&columns);
    }
    let mut by_level: BTreeMap<Level, Form06Columns> = BTreeMap::new();
    let mut total = Form06Columns::default();
    for ((level, _), columns) in &rows {
        by_level.entry(*level).or_default().add(columns);
        total.add(columns);
    }
    let all = rows
        .values()
        .chain(by_level.values())
        .chain(std::iter::once(&total));
    for columns in all {
        columns.check().map_err(ApiError::internal)?;
    }
    Ok(Form06 {
        unit_id: root,
        period,
        method,
        rule: COUNTING_RULE.to_owned(),
        rows: rows
            .into_iter()
            .map(|((level, field), columns)| Form06Row {
                level,
                field,
                columns,
            })
            .collect(),
        levels: by_level
            .into_iter()
            .map(|(level, columns)| LevelTotal { level, columns })
            .collect(),
        total,
    })
}

/// The counters Biểu 06 is made of.
const FORM06_METRICS: [Metric; 9] = [
    Metric::ReceivedOnline,
    Metric::ReceivedDirect,
    Metric::ReceivedPostal,
    Metric::ResolvedEarly,
    Metric::ResolvedOnTime,
    Metric::ResolvedLate,
    Metric::Due,
    Metric::DueMet,
    Metric::ResolvedAfterDue,
];

type Sums = HashMap<Metric, (i64, i64)>;

/// The last due day that makes an open dossier overdue in `period`, today (the rule is
/// [`motcua_core::statistics::overdue_through`]).
fn overdue_through(period: Period) -> NaiveDate {
    let today = motcua_core::dossier::vietnam_day(chrono::Utc::now());
    motcua_core::statistics::overdue_through(period.last_day, today)
}

/// The `due` and `due_met` counters up to `through`, when that is not the period's last day
/// (a running period); `None` when the sums of the period already hold them.
fn due_through(
    conn: &mut DbConnection,
    subtree: &[UnitId],
    period: Period,
    through: NaiveDate,
) -> Result<Option<Vec<CounterSums>>, ApiError> {
    if through == period.last_day {
        return Ok(None);
    }
    let metrics = [Metric::Due, Metric::DueMet];
    Ok(Some(statistics::sums_through(
        conn, subtree, &metrics, through,
    )?))
}

fn group_sums(rows: &[CounterSums]) -> BTreeMap<(UnitId, String), Sums> {
    let mut grouped: BTreeMap<(UnitId, String), Sums> = BTreeMap::new();
    for row in rows {
        let Ok(metric) = row.metric.parse::<Metric>() else {
            continue;
        };
        let entry = grouped
            .entry((UnitId(row.unit_id), row.field.clone()))
            .or_default()
            .entry(metric)
            .or_default();
        entry.0 += row.before;
        entry.1 += row.within;
    }
    grouped
}

fn from_counters(
    rows: &[CounterSums],
    due_through: Option<&[CounterSums]>,
) -> Vec<((UnitId, String), Form06Columns)> {
    let due_through = due_through.map(group_sums);
    group_sums(rows)
        .into_iter()
        .map(|(key, sums)| {
            let before = |m: Metric| sums.get(&m).map_or(0, |s| s.0);
            let within = |m: Metric| sums.get(&m).map_or(0, |s| s.1);
            let upto = |m: Metric| before(m) + within(m);
            // Due days up to the last one that makes an open dossier overdue.
            let due_upto = |m: Metric| match &due_through {
                Some(groups) => groups
                    .get(&key)
                    .and_then(|sums| sums.get(&m))
                    .map_or(0, |s| s.0),
                None => upto(m),
            };
            let received = [
                Metric::ReceivedOnline,
                Metric::ReceivedDirect,
                Metric::ReceivedPostal,
            ];
            let resolved = [
                Metric::ResolvedEarly,
                Metric::ResolvedOnTime,
                Metric::ResolvedLate,
            ];
            let received_before: i64 = received.iter().map(|m| before(*m)).sum();
            let resolved_before: i64 = resolved.iter().map(|m| before(*m)).sum();
            let received_upto: i64 = received.iter().map(|m| upto(*m)).sum();
            let resolved_upto: i64 = resolved.iter().map(|m| upto(*m)).sum();
            let overdue =
                due_upto(Metric::Due) - due_upto(Metric::DueMet) - upto(Metric::ResolvedAfterDue);
            let columns = Form06Columns::from_parts(
                received_before - resolved_before,
                received.map(within),
                resolved.map(within),
                received_upto - resolved_upto,
                overdue,
            );
            (key, columns)
        })
        .filter(|(_, columns)| *columns != Form06Columns::default())
        .collect()
}

fn from_raw(rows: Vec<RawForm06Row>) -> Vec<((UnitId, String), Form06Columns)> {
    rows.into_iter()
        .map(|r| {
            let columns = Form06Columns::from_parts(
                r.carried_over,
                [r.new_online, r.new_direct, r.new_postal],
                [r.resolved_early, r.resolved_on_time, r.resolved_late],
                r.in_progress,
                r.overdue,
            );
            ((UnitId(r.unit_id), r.field), columns)
        })
        .filter(|(_, columns)| *columns != Form06Columns::default())
        .collect()
}

/// The level of every unit: communes, wards and townships are commune level, districts district level, provinces and
/// departments province level; desks and other bodies take the level of the unit above them.
fn unit_levels(conn: &mut DbConnection) -> Result<HashMap<UnitId, Level>, ApiError> {
    let all: HashMap<UnitId, Unit> = units::list(conn, &UnitFilter::default(), None, i64::MAX)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let level_of = |start: &Unit| {
        let mut unit = start;
        for _ in 0..64 {
            if let Some(level) = unit.kind.own_level() {
                return level;
            }
            match unit.parent_id.and_then(|p| all.get(&p)) {
                Some(parent) => unit = parent,
                None => return Level::Province,
            }
        }
        Level::Province
    };
    Ok(all.values().map(|u| (u.id, level_of(u))).collect())
}

/// The QĐ 766 indicators the records support, for the period.
pub fn indicators(
    conn: &mut DbConnection,
    root: UnitId,
    period: Period,
) -> Result<Indicators, ApiError> {
    let subtree = units::subtree(conn, root)?;
    let sums = statistics::sums(
        conn,
        &subtree,
        Metric::ALL,
        period.first_day,
        period.last_day,
    )?;
    let due = due_through(conn, &subtree, period, overdue_through(period))?;
    // Only the totals of Biểu 06 are needed, from the same sums.
    let mut t = Form06Columns::default();
    for (_, columns) in from_counters(&sums, due.as_deref()) {
        t.add(&columns);
    }
    t.check().map_err(ApiError::internal)?;
    let within = |metric: Metric| {
        sums.iter()
            .filter(|s| s.metric == metric.as_str())
            .map(|s| s.within)
            .sum::<i64>()
    };
    let received = t.new_online + t.new_direct + t.new_postal;
    let rated = within(Metric::RatedSatisfied)
        + within(Metric::RatedNormal)
        + within(Metric::RatedUnsatisfied);
    let mut list = Vec::new();
    for level in [Level::Province, Level::District, Level::Commune] {
        let (total, online) = procedures::online_coverage(conn, level)?;
        if total > 0 {
            let key = format!("online_service_coverage_{}", level.as_str());
            let name = format!(
                "Procedures offering online service, {} level",
                level.as_str()
            );
            list.push(Indicator::new(&key, &name, online, total, Some(80.0), 6.0));
        }
    }
    list.extend([
        Indicator::new(
            "processing_progress",
            "Resolved on time and in progress within the due date, of all handled",
            t.resolved_early + t.resolved_on_time + t.within_due,
            t.total,
            None,
            20.0,
        ),
        Indicator::new(
            "on_time_rate",
            "Resolved before or on the due date, of all resolved",
            t.resolved_early + t.resolved_on_time,
            t.resolved,
            None,
            0.0,
        ),
        Indicator::new(
            "online_share",
            "Received online, of all received",
            t.new_online,
            received,
            None,
            0.0,
        ),
        Indicator::new(
            "electronic_result_rate",
            "Resolved with an electronic result, of all resolved with a result",
            within(Metric::ElectronicResult),
            within(Metric::ResultIssued),
            Some(50.0),
            6.0,
        ),
        Indicator::new(
            "digitisation_rate",
            "Received with every component digitised, of all received",
            within(Metric::Digitised),
            received,
            Some(80.0),
            11.0,
        ),
        Indicator::new(
            "result_digitisation_rate",
            "Resolved with the dossier digitised and an electronic result, of all resolved with a \
             result",
            within(Metric::DigitisedResult),
            within(Metric::ResultIssued),
            None,
            0.0,
        ),
        Indicator::new(
            "reuse_rate",
            "Received with at least one component reused from stored data, of all received",
            within(Metric::Reused),
            received,
            Some(80.0),
            11.0,
        ),
        Indicator::new(
            "satisfaction",
            "Satisfied ratings, of all ratings",
            within(Metric::RatedSatisfied),
            rated,
            None,
            18.0,
        ),
    ]);
    Ok(Indicators {
        unit_id: root,
        period,
        indicators: list,
    })
}
