//! Biểu 06/VPCP/KSTT and the QĐ 766 indicators, computed in the database for any unit subtree and
//! period, with the form's invariants checked on every table.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use motcua_core::ids::UnitId;
use motcua_core::period::Period;
use motcua_core::statistics::Metric;
use motcua_core::unit::{Level, UnitKind};
use motcua_db::statistics::{self, CounterSums, RawForm06Row};
use motcua_db::units::{self, Unit, UnitFilter};
use motcua_db::{procedures, DbConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// The 13 columns of Biểu 06, with the three channels kept apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Form06Columns {
    /// (3) dossiers to resolve: (4) + (5) + (6).
    pub total: i64,
    /// (4) new, received online.
    pub new_online: i64,
    /// (5) new, received directly or by post.
    pub new_direct_postal: i64,
    pub new_direct: i64,
    pub new_postal: i64,
    /// (6) carried over from the previous period.
    pub carried_over: i64,
    /// (7) resolved: (8) + (9) + (10).
    pub resolved: i64,
    /// (8) resolved before the due date.
    pub resolved_early: i64,
    /// (9) resolved on the due date.
    pub resolved_on_time: i64,
    /// (10) resolved after the due date.
    pub resolved_late: i64,
    /// (11) in progress at the end of the period: (12) + (13).
    pub in_progress: i64,
    /// (12) in progress, within the due date.
    pub within_due: i64,
    /// (13) in progress, overdue.
    pub overdue: i64,
}

impl Form06Columns {
    fn from_parts(
        carried_over: i64,
        new: [i64; 3],
        resolved: [i64; 3],
        in_progress: i64,
        overdue: i64,
    ) -> Self {
        let [new_online, new_direct, new_postal] = new;
        let [resolved_early, resolved_on_time, resolved_late] = resolved;
        Self {
            total: carried_over + new_online + new_direct + new_postal,
            new_online,
            new_direct_postal: new_direct + new_postal,
            new_direct,
            new_postal,
            carried_over,
            resolved: resolved_early + resolved_on_time + resolved_late,
            resolved_early,
            resolved_on_time,
            resolved_late,
            in_progress,
            within_due: in_progress - overdue,
            overdue,
        }
    }

    fn add(&mut self, other: &Self) {
        self.total += other.total;
        self.new_online += other.new_online;
        self.new_direct_postal += other.new_direct_postal;
        self.new_direct += other.new_direct;
        self.new_postal += other.new_postal;
        self.carried_over += other.carried_over;
        self.resolved += other.resolved;
        self.resolved_early += other.resolved_early;
        self.resolved_on_time += other.resolved_on_time;
        self.resolved_late += other.resolved_late;
        self.in_progress += other.in_progress;
        self.within_due += other.within_due;
        self.overdue += other.overdue;
    }

    /// The form's own arithmetic; a table that breaks it is a bug, never a figure to print.
    pub fn check(&self) -> Result<(), String> {
        let checks = [
            (
                "(3) = (4) + (5) + (6)",
                self.total == self.new_online + self.new_direct_postal + self.carried_over,
            ),
            (
                "(5) = direct + postal",
                self.new_direct_postal == self.new_direct + self.new_postal,
            ),
            (
                "(7) = (8) + (9) + (10)",
                self.resolved == self.resolved_early + self.resolved_on_time + self.resolved_late,
            ),
            (
                "(11) = (12) + (13)",
                self.in_progress == self.within_due + self.overdue,
            ),
            (
                "(3) = (7) + (11)",
                self.total == self.resolved + self.in_progress,
            ),
        ];
        if let Some((rule, _)) = checks.iter().find(|(_, holds)| !holds) {
            return Err(format!("Biểu 06 invariant {rule} does not hold: {self:?}"));
        }
        let values = [
            self.carried_over,
            self.new_online,
            self.new_direct,
            self.new_postal,
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.within_due,
            self.overdue,
        ];
        if values.iter().any(|v| *v < 0) {
            return Err(format!("Biểu 06 has a negative figure: {self:?}"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Form06Row {
    pub level: Level,
    /// Field (lĩnh vực).
    pub field: String,
    pub columns: Form06Columns,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LevelTotal {
    pub level: Level,
    pub columns: Form06Columns,
}

/// How the figures were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// From the counters kept with every change (the normal way).
    #[default]
    Counters,
    /// Straight from the dossiers with one GROUP BY (the reference, slower).
    Raw,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Form06 {
    pub unit_id: UnitId,
    pub period: Period,
    pub method: Method,
    pub rule: String,
    /// By level, then field.
    pub rows: Vec<Form06Row>,
    pub levels: Vec<LevelTotal>,
    pub total: Form06Columns,
}

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
        columns.check().map_err(ApiError::Internal)?;
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

/// The level of every unit: communes are commune level, districts district level, provinces and
/// departments province level; desks and other bodies take the level of the unit above them.
fn unit_levels(conn: &mut DbConnection) -> Result<HashMap<UnitId, Level>, ApiError> {
    let all: HashMap<UnitId, Unit> = units::list(conn, &UnitFilter::default(), None, i64::MAX)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let level_of = |start: &Unit| {
        let mut unit = start;
        for _ in 0..64 {
            match unit.kind {
                UnitKind::Commune => return Level::Commune,
                UnitKind::District => return Level::District,
                UnitKind::Province | UnitKind::Department => return Level::Province,
                UnitKind::OneStopDesk | UnitKind::Other => {
                    match unit.parent_id.and_then(|p| all.get(&p)) {
                        Some(parent) => unit = parent,
                        None => return Level::Province,
                    }
                }
            }
        }
        Level::Province
    };
    Ok(all.values().map(|u| (u.id, level_of(u))).collect())
}

/// One QĐ 766 indicator: a rate and its score.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Indicator {
    pub key: String,
    pub name: String,
    pub numerator: i64,
    pub denominator: i64,
    /// Percent, two decimals; absent when the denominator is zero.
    pub rate_percent: Option<f64>,
    /// Percent; `None` when the score is proportional to the rate.
    pub target_percent: Option<f64>,
    pub max_points: f64,
    /// P_max if rate ≥ target, else rate × P_max ÷ target (or rate × P_max without a target).
    pub score: Option<f64>,
}

impl Indicator {
    fn new(
        key: &str,
        name: &str,
        numerator: i64,
        denominator: i64,
        target_percent: Option<f64>,
        max_points: f64,
    ) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let rate = (denominator > 0).then(|| numerator as f64 * 100.0 / denominator as f64);
        let score = rate.map(|rate| match target_percent {
            Some(target) if rate >= target => max_points,
            Some(target) => rate * max_points / target,
            None => rate * max_points / 100.0,
        });
        let round = |v: f64| (v * 100.0).round() / 100.0;
        Self {
            key: key.into(),
            name: name.into(),
            numerator,
            denominator,
            rate_percent: rate.map(round),
            target_percent,
            max_points,
            score: score.map(round),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Indicators {
    pub unit_id: UnitId,
    pub period: Period,
    pub indicators: Vec<Indicator>,
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
    t.check().map_err(ApiError::Internal)?;
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
            "Resolved with an electronic result, of all resolved",
            within(Metric::ElectronicResult),
            t.resolved,
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
