//! The figures as CSV, for spreadsheets.

use motcua_core::form06::Form06Columns;

use super::model::Figures;

/// The columns of [`Figures::to_csv`], in order.
///
/// - `section`: `form06` (a field row, `key` empty; a level's total row, `key` = `level_total`;
///   the period's total row, `key` = `total`, `level` empty), `indicator` (a QĐ 766 indicator,
///   `key` its key), `level_rate` (`key` = `digitisation_rate` or `electronic_result_rate`),
///   `online_coverage` (`numerator` = procedures online, `denominator` = procedures in force;
///   `key` = `non_boundary` rows give the non-boundary procedures in `numerator`),
///   `certificates` (`key` = `officials`, `desk_staff`, `desks` or `commune_desks`, `numerator` = covered,
///   `denominator` = total), `staffing` (one desk per row, `key` = unit code, then the total row
///   with `key` = `total`).
/// - `period`, `level`: as in the figures (empty where they do not apply).
/// - `label`: the field, indicator name, unit name, or a word for a total row.
/// - `c3_total` … `c13_overdue`: the 13 columns of Biểu 06 with column (5) also split into
///   `c5_direct` and `c5_postal`.
/// - `numerator`, `denominator`, `rate_percent`, `target_percent`, `max_points`, `score`.
/// - `staff_total`, `own_staff`, `agency_sent`.
pub const CSV_COLUMNS: [&str; 27] = [
    "section",
    "period",
    "level",
    "label",
    "key",
    "c3_total",
    "c4_online",
    "c5_direct_postal",
    "c5_direct",
    "c5_postal",
    "c6_carried_over",
    "c7_resolved",
    "c8_early",
    "c9_on_time",
    "c10_late",
    "c11_in_progress",
    "c12_within_due",
    "c13_overdue",
    "numerator",
    "denominator",
    "rate_percent",
    "target_percent",
    "max_points",
    "score",
    "staff_total",
    "own_staff",
    "agency_sent",
];

const FORM_AT: usize = 5;
const RATE_AT: usize = 18;
const STAFF_AT: usize = 24;

fn csv_row(section: &str, period: &str, level: &str, label: &str, key: &str) -> Vec<String> {
    let mut cells = vec![String::new(); CSV_COLUMNS.len()];
    for (cell, value) in cells.iter_mut().zip([section, period, level, label, key]) {
        value.clone_into(cell);
    }
    cells
}

fn set_columns(cells: &mut [String], c: &Form06Columns) {
    let values = c.values();
    for (cell, value) in cells[FORM_AT..].iter_mut().zip(values) {
        *cell = value.to_string();
    }
}

fn text(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn set_rate(cells: &mut [String], numerator: i64, denominator: i64, rate: Option<f64>) {
    cells[RATE_AT] = numerator.to_string();
    cells[RATE_AT + 1] = denominator.to_string();
    cells[RATE_AT + 2] = text(rate);
}

/// One CSV cell, quoted as RFC 4180 says when it must be.
fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

impl Figures {
    /// The figures as one CSV table (RFC 4180: CRLF line ends, quoted cells, UTF-8, header row):
    /// Biểu 06 rows, then the indicators, level rates, online coverage, certificates and the
    /// staffing rows. The columns are [`CSV_COLUMNS`].
    pub fn to_csv(&self) -> String {
        let mut rows: Vec<Vec<String>> =
            vec![CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect()];
        for form in &self.form06 {
            for level in &form.levels {
                for field in &level.fields {
                    let mut row = csv_row("form06", &form.period, &level.level, &field.field, "");
                    set_columns(&mut row, &field.columns);
                    rows.push(row);
                }
                let mut row = csv_row("form06", &form.period, &level.level, "total", "level_total");
                set_columns(&mut row, &level.total);
                rows.push(row);
            }
            let mut row = csv_row("form06", &form.period, "", "total", "total");
            set_columns(&mut row, &form.total);
            rows.push(row);
        }
        for period in &self.indicators {
            for i in &period.indicators {
                let mut row = csv_row("indicator", &period.period, "", &i.name, &i.key);
                set_rate(&mut row, i.numerator, i.denominator, i.rate_percent);
                row[RATE_AT + 3] = text(i.target_percent);
                row[RATE_AT + 4] = i.max_points.to_string();
                row[RATE_AT + 5] = text(i.score);
                rows.push(row);
            }
        }
        for r in &self.level_rates {
            for (label, key, rate) in [
                ("digitisation", "digitisation_rate", &r.digitisation),
                (
                    "electronic result",
                    "electronic_result_rate",
                    &r.electronic_result,
                ),
                (
                    "digitised result",
                    "result_digitisation_rate",
                    &r.digitised_result,
                ),
                ("reuse", "reuse_rate", &r.reuse),
            ] {
                let mut row = csv_row("level_rate", &r.period, &r.level, label, key);
                set_rate(&mut row, rate.numerator, rate.denominator, rate.percent);
                rows.push(row);
            }
        }
        let coverage = &self.online_coverage;
        for level in &coverage.levels {
            let mut row = csv_row(
                "online_coverage",
                "",
                &level.level,
                "online public service",
                "online_service_coverage",
            );
            set_rate(&mut row, level.online, level.procedures, level.rate_percent);
            rows.push(row);
            let mut row = csv_row(
                "online_coverage",
                "",
                &level.level,
                "non-boundary procedures",
                "non_boundary",
            );
            row[RATE_AT] = level.non_boundary.to_string();
            rows.push(row);
        }
        let mut row = csv_row(
            "online_coverage",
            "",
            "",
            "total",
            "online_service_coverage",
        );
        set_rate(
            &mut row,
            coverage.online,
            coverage.procedures,
            motcua_core::percent::value(coverage.online, coverage.procedures),
        );
        rows.push(row);
        let mut row = csv_row("online_coverage", "", "", "total", "non_boundary");
        row[RATE_AT] = coverage.non_boundary.to_string();
        rows.push(row);
        for (label, figure) in [
            ("officials", &self.certificates.officials),
            ("desk_staff", &self.certificates.desk_staff),
            ("desks", &self.certificates.desks),
            ("commune_desks", &self.certificates.commune_desks),
        ] {
            let mut row = csv_row("certificates", "", "", label, label);
            set_rate(&mut row, figure.covered, figure.total, figure.percent);
            rows.push(row);
        }
        let staff = |row: &mut Vec<String>, total: i64, own: i64, sent: i64| {
            row[STAFF_AT] = total.to_string();
            row[STAFF_AT + 1] = own.to_string();
            row[STAFF_AT + 2] = sent.to_string();
        };
        for r in &self.staffing.rows {
            let mut row = csv_row("staffing", "", "", &r.unit_name, &r.unit_code);
            staff(&mut row, r.total, r.own_staff, r.agency_sent);
            rows.push(row);
        }
        let mut row = csv_row("staffing", "", "", "total", "total");
        staff(
            &mut row,
            self.staffing.total,
            self.staffing.own_staff,
            self.staffing.agency_sent,
        );
        rows.push(row);

        let mut out = String::new();
        for row in rows {
            let line: Vec<String> = row.iter().map(|c| quote(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }
}
