//! The rules the figures must hold before a report is printed: the form's own arithmetic on
//! each row (`motcua_core::form06`), and the rules between rows, periods and sections.

use std::collections::{BTreeMap, BTreeSet};

use motcua_core::form06::Form06Columns;

use super::model::{Figures, StaffRow};
use crate::client::ClientError;

/// Why figures could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A figure breaks a rule of the forms; the report must not be printed.
    #[error("invariant `{rule}` does not hold: {detail}")]
    Invariant { rule: &'static str, detail: String },
    /// The request or the service's answers make no report (no period, a unit missing from
    /// its own subtree, …).
    #[error("cannot compile the figures: {0}")]
    Invalid(String),
}

pub(crate) fn violation(rule: &'static str, detail: String) -> CompileError {
    CompileError::Invariant { rule, detail }
}

// The rule names, as the forms state them: those of one row of Biểu 06 come from
// `motcua_core::form06`, the others are checked here only.
pub use motcua_core::form06::rules::{
    BALANCE, DIRECT_POSTAL, IN_PROGRESS, NON_NEGATIVE, RESOLVED, TOTAL,
};
pub const LEVEL_TOTAL: &str = "level total row = sum of its field rows";
pub const GRAND_TOTAL: &str = "total row = sum of the levels";
pub const CARRIED_OVER: &str = "(6) = (11) of the previous period";
pub const COMMUNE_SUM: &str = "commune level = sum over the communes";
pub const RATE_RANGE: &str = "rates within 0..=100 %";
pub const PART_OF_WHOLE: &str = "0 <= part <= whole";
pub const ONLINE_COVERAGE: &str = "catalogue coverage = QĐ 766 indicator";
pub const COVERAGE_TOTAL: &str = "coverage total = sum of the levels";
pub const STAFF_ROW: &str = "staff total = own + sent";
pub const STAFF_TOTAL: &str = "staff table total = sum of the rows";
pub const STAFF_TITLES: &str = "0 < staff of a title, sum of the titles <= own staff";

/// The form's own arithmetic on one row; `at` says which row.
pub fn check_columns(c: &Form06Columns, at: &str) -> Result<(), CompileError> {
    match c.broken_rule() {
        Some(rule) => Err(violation(rule, format!("{at}: {c:?}"))),
        None => Ok(()),
    }
}

/// The titles of a desk's own staff count some of them, never more than there are.
fn check_staff_titles(row: &StaffRow) -> Result<(), CompileError> {
    let titled: i64 = row.own_by_title.iter().map(|t| t.count).sum();
    if row.own_by_title.iter().any(|t| t.count <= 0) || titled > row.own_staff {
        return Err(violation(
            STAFF_TITLES,
            format!(
                "{} ({}): {titled} titled of {} own staff",
                row.unit_name, row.unit_code, row.own_staff
            ),
        ));
    }
    Ok(())
}

fn check_rate(value: Option<f64>, at: &str) -> Result<(), CompileError> {
    match value {
        Some(v) if !(0.0..=100.0).contains(&v) => {
            Err(violation(RATE_RANGE, format!("{at}: {v} %")))
        }
        _ => Ok(()),
    }
}

fn check_part(part: i64, whole: i64, at: &str) -> Result<(), CompileError> {
    if part < 0 || part > whole {
        return Err(violation(PART_OF_WHOLE, format!("{at}: {part} of {whole}")));
    }
    Ok(())
}

/// The commune level of the unit's Biểu 06 must be the sum of the communes' own forms.
pub fn check_commune_sum(
    period: &str,
    commune_level: &Form06Columns,
    communes: &[(String, Form06Columns)],
) -> Result<(), CompileError> {
    let expected = Form06Columns::sum(communes.iter().map(|(_, c)| c));
    if *commune_level != expected {
        return Err(violation(
            COMMUNE_SUM,
            format!(
                "{period}: the unit's commune level is {commune_level:?}, the {} communes add up to {expected:?}",
                communes.len()
            ),
        ));
    }
    Ok(())
}

impl Figures {
    /// Every invariant that can be checked on the figures alone.
    pub fn check(&self) -> Result<(), CompileError> {
        for form in &self.form06 {
            for level in &form.levels {
                for row in &level.fields {
                    let at = format!("{} {} {}", form.period, level.level, row.field);
                    check_columns(&row.columns, &at)?;
                }
                let at = format!("{} {} total", form.period, level.level);
                check_columns(&level.total, &at)?;
                let fields = Form06Columns::sum(level.fields.iter().map(|r| &r.columns));
                if fields != level.total {
                    return Err(violation(
                        LEVEL_TOTAL,
                        format!("{at} is {:?}, its fields add up to {fields:?}", level.total),
                    ));
                }
            }
            let at = format!("{} total", form.period);
            check_columns(&form.total, &at)?;
            let levels = Form06Columns::sum(form.levels.iter().map(|l| &l.total));
            if levels != form.total {
                return Err(violation(
                    GRAND_TOTAL,
                    format!("{at} is {:?}, the levels add up to {levels:?}", form.total),
                ));
            }
        }
        self.check_carried_over()?;
        for period in &self.indicators {
            for i in &period.indicators {
                check_rate(i.rate_percent, &format!("{} {}", period.period, i.key))?;
                check_rate(
                    i.target_percent,
                    &format!("{} {} target", period.period, i.key),
                )?;
                check_part(
                    i.numerator,
                    i.denominator,
                    &format!("{} {}", period.period, i.key),
                )?;
            }
        }
        for r in &self.level_rates {
            for (name, rate) in [
                ("digitisation", &r.digitisation),
                ("electronic result", &r.electronic_result),
                ("digitised result", &r.digitised_result),
                ("reuse", &r.reuse),
            ] {
                let at = format!("{} {} {name}", r.period, r.level);
                check_rate(rate.percent, &at)?;
                check_part(rate.numerator, rate.denominator, &at)?;
            }
            check_part(
                r.digitised_result.numerator,
                r.electronic_result.numerator,
                &format!(
                    "{} {} digitised results of electronic results",
                    r.period, r.level
                ),
            )?;
        }
        let coverage = &self.online_coverage;
        for level in &coverage.levels {
            let at = format!("online coverage, {} level", level.level);
            check_rate(level.rate_percent, &at)?;
            check_part(level.online, level.procedures, &at)?;
            check_part(level.non_boundary, level.procedures, &at)?;
        }
        let procedures: i64 = coverage.levels.iter().map(|l| l.procedures).sum();
        let online: i64 = coverage.levels.iter().map(|l| l.online).sum();
        if (procedures, online) != (coverage.procedures, coverage.online) {
            return Err(violation(
                COVERAGE_TOTAL,
                format!(
                    "total {}/{}, levels add up to {procedures}/{online}",
                    coverage.procedures, coverage.online
                ),
            ));
        }
        let certificates = &self.certificates;
        for (name, figure) in [
            ("officials", &certificates.officials),
            ("desk staff", &certificates.desk_staff),
            ("desks", &certificates.desks),
            ("commune desks", &certificates.commune_desks),
        ] {
            let at = format!("certificate coverage of {name}");
            check_rate(figure.percent, &at)?;
            check_part(figure.covered, figure.total, &at)?;
        }
        check_part(
            certificates.desk_staff.total,
            certificates.officials.total,
            "desk staff of the officials",
        )?;
        for row in &self.staffing.rows {
            if row.total != row.own_staff + row.agency_sent
                || row.own_staff < 0
                || row.agency_sent < 0
            {
                return Err(violation(
                    STAFF_ROW,
                    format!(
                        "{} ({}): {} ≠ {} + {}",
                        row.unit_name, row.unit_code, row.total, row.own_staff, row.agency_sent
                    ),
                ));
            }
            check_staff_titles(row)?;
        }
        let rows = &self.staffing.rows;
        let sums = (
            rows.iter().map(|r| r.total).sum::<i64>(),
            rows.iter().map(|r| r.own_staff).sum::<i64>(),
            rows.iter().map(|r| r.agency_sent).sum::<i64>(),
        );
        let staffing = &self.staffing;
        if sums != (staffing.total, staffing.own_staff, staffing.agency_sent) {
            return Err(violation(
                STAFF_TOTAL,
                format!(
                    "total {} = {} + {}, rows add up to {sums:?}",
                    staffing.total, staffing.own_staff, staffing.agency_sent
                ),
            ));
        }
        Ok(())
    }

    /// Where one period starts the day after another ends, each level's carried over must be
    /// the other's in progress.
    fn check_carried_over(&self) -> Result<(), CompileError> {
        for earlier in &self.form06 {
            let Some(next_day) = earlier.last_day.succ_opt() else {
                continue;
            };
            for later in self.form06.iter().filter(|f| f.first_day == next_day) {
                let before: BTreeMap<&str, i64> = earlier
                    .levels
                    .iter()
                    .map(|l| (l.level.as_str(), l.total.in_progress))
                    .collect();
                let after: BTreeMap<&str, i64> = later
                    .levels
                    .iter()
                    .map(|l| (l.level.as_str(), l.total.carried_over))
                    .collect();
                let levels: BTreeSet<&str> = before.keys().chain(after.keys()).copied().collect();
                for level in levels {
                    let (was, is) = (
                        before.get(level).copied().unwrap_or(0),
                        after.get(level).copied().unwrap_or(0),
                    );
                    if was != is {
                        return Err(violation(
                            CARRIED_OVER,
                            format!(
                                "{level} level: {} carries over {is}, {} ended with {was} in progress",
                                later.period, earlier.period
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
