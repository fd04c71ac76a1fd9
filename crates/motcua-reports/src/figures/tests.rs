#![allow(clippy::unwrap_used)]

use motcua_core::form06::{Form06Columns, Indicator};
use motcua_core::record_ids::UnitId;

use super::model::{coverage, *};
use super::rules::{self, check_commune_sum, CompileError};
use super::CSV_COLUMNS;

fn sum<'a>(columns: impl IntoIterator<Item = &'a Form06Columns>) -> Form06Columns {
    Form06Columns::sum(columns)
}

fn columns(carried: i64, new: [i64; 3], resolved: [i64; 3], overdue: i64) -> Form06Columns {
    let total = carried + new.iter().sum::<i64>();
    let done: i64 = resolved.iter().sum();
    Form06Columns {
        total,
        new_online: new[0],
        new_direct_postal: new[1] + new[2],
        new_direct: new[1],
        new_postal: new[2],
        carried_over: carried,
        resolved: done,
        resolved_early: resolved[0],
        resolved_on_time: resolved[1],
        resolved_late: resolved[2],
        in_progress: total - done,
        within_due: total - done - overdue,
        overdue,
    }
}

fn level(name: &str, fields: &[(&str, Form06Columns)]) -> LevelForm06 {
    LevelForm06 {
        level: name.into(),
        fields: fields
            .iter()
            .map(|(f, c)| FieldRow {
                field: (*f).into(),
                columns: *c,
            })
            .collect(),
        total: sum(fields.iter().map(|(_, c)| c)),
    }
}

fn form(period: &str, first: &str, last: &str, levels: Vec<LevelForm06>) -> PeriodForm06 {
    PeriodForm06 {
        period: period.into(),
        first_day: first.parse().unwrap(),
        last_day: last.parse().unwrap(),
        total: sum(levels.iter().map(|l| &l.total)),
        levels,
    }
}

fn sample() -> Figures {
    let year = form(
        "2023",
        "2023-01-01",
        "2023-12-31",
        vec![
            level(
                "district",
                &[
                    (
                        "Đất đai",
                        columns(50, [9000, 1400, 150], [9000, 1500, 30], 5),
                    ),
                    ("Hộ tịch", columns(17, [54, 45, 10], [100, 10, 0], 0)),
                ],
            ),
            level(
                "commune",
                &[(
                    "Chứng thực",
                    columns(109, [27627, 833, 47], [28000, 400, 0], 16),
                )],
            ),
        ],
    );
    let carried = |l: &LevelForm06| l.total.in_progress;
    let q1 = form(
        "2024-Q1",
        "2024-01-01",
        "2024-03-31",
        vec![
            level(
                "district",
                &[(
                    "Đất đai",
                    columns(carried(&year.levels[0]), [3151, 4, 4], [3000, 100, 0], 1),
                )],
            ),
            level(
                "commune",
                &[(
                    "Chứng thực",
                    columns(carried(&year.levels[1]), [4255, 3, 19], [4000, 100, 0], 0),
                )],
            ),
        ],
    );
    let unit = UnitRef {
        id: UnitId(2),
        code: "000.00.24.H05".into(),
        name: "UBND thị xã Việt Yên".into(),
        kind: "district".into(),
        level: "district".into(),
    };
    Figures {
        schema: FIGURES_SCHEMA.into(),
        parents: vec![],
        unit,
        periods: vec!["2023".into(), "2024-Q1".into()],
        counting_rule: "rule".into(),
        form06: vec![year, q1],
        indicators: vec![PeriodIndicators {
            period: "2023".into(),
            indicators: vec![Indicator {
                key: "reuse_rate".into(),
                name: "Reuse".into(),
                numerator: 9871,
                denominator: 10000,
                rate_percent: Some(98.71),
                target_percent: Some(80.0),
                max_points: 11.0,
                score: Some(11.0),
            }],
        }],
        level_rates: vec![LevelRates {
            period: "2023".into(),
            level: "district".into(),
            digitisation: Rate::new(927, 1000),
            electronic_result: Rate::new(1000, 1000),
            digitised_result: Rate::new(927, 1000),
            reuse: Rate::new(9871, 10000),
        }],
        online_coverage: OnlineCoverageTable {
            levels: vec![
                OnlineCoverage {
                    level: "district".into(),
                    procedures: 254,
                    online: 241,
                    rate_percent: Some(94.88),
                    non_boundary: 4,
                },
                OnlineCoverage {
                    level: "commune".into(),
                    procedures: 156,
                    online: 144,
                    rate_percent: Some(92.31),
                    non_boundary: 0,
                },
            ],
            procedures: 410,
            online: 385,
            non_boundary: 4,
        },
        certificates: CertificateFigures {
            officials: coverage(71, 71),
            desk_staff: coverage(69, 69),
            desks: coverage(18, 18),
            commune_desks: coverage(17, 17),
        },
        staffing: Staffing {
            rows: vec![
                StaffRow {
                    ordinal: 1,
                    unit_id: UnitId(4),
                    unit_code: "000.21.24.H05".into(),
                    unit_name: "Thượng Lan".into(),
                    unit_kind: "commune".into(),
                    total: 3,
                    own_staff: 3,
                    agency_sent: 0,
                    by_agency: vec![],
                    own_by_title: vec![],
                },
                StaffRow {
                    ordinal: 2,
                    unit_id: UnitId(3),
                    unit_code: "000.99.24.H05".into(),
                    unit_name: "Một cửa thị xã".into(),
                    unit_kind: "one_stop_desk".into(),
                    total: 12,
                    own_staff: 2,
                    agency_sent: 10,
                    by_agency: vec![
                        AgencyStaff {
                            agency: "post_office".into(),
                            count: 3,
                        },
                        AgencyStaff {
                            agency: "land_registry".into(),
                            count: 7,
                        },
                    ],
                    own_by_title: vec![
                        TitledStaff {
                            title: "Phó Chánh Văn phòng HĐND và UBND thị xã, Trưởng Bộ phận".into(),
                            count: 1,
                        },
                        TitledStaff {
                            title: "Cán bộ Văn phòng phụ trách Bộ phận Một cửa".into(),
                            count: 1,
                        },
                    ],
                },
            ],
            total: 15,
            own_staff: 5,
            agency_sent: 10,
        },
        provenance: vec![],
    }
}

fn broken_rule(figures: &Figures) -> &'static str {
    match figures.check() {
        Err(CompileError::Invariant { rule, .. }) => rule,
        other => panic!("expected an invariant failure, got {other:?}"),
    }
}

fn first_field(f: &mut Figures) -> &mut Form06Columns {
    &mut f.form06[0].levels[0].fields[0].columns
}

#[test]
fn the_sample_holds() {
    sample().check().unwrap();
}

#[test]
fn the_seed_district_q1_error_is_refused() {
    // The seed prints new = 3155 with 3151 online + 4 direct + 4 postal.
    let mut f = sample();
    let c = &mut f.form06[1].levels[0].fields[0].columns;
    c.new_direct_postal = 4;
    c.total -= 4;
    assert_eq!(broken_rule(&f), rules::DIRECT_POSTAL);
}

type Change = fn(&mut Form06Columns);

#[test]
fn each_column_rule_is_named() {
    let cases: [(Change, &str); 6] = [
        (|c| c.total += 1, rules::TOTAL),
        (|c| c.new_direct += 1, rules::DIRECT_POSTAL),
        (|c| c.resolved_late += 1, rules::RESOLVED),
        (|c| c.overdue += 1, rules::IN_PROGRESS),
        (
            |c| {
                c.resolved += 1;
                c.resolved_early += 1;
            },
            rules::BALANCE,
        ),
        (
            |c| {
                c.new_postal -= 200;
                c.new_direct += 200;
            },
            rules::NON_NEGATIVE,
        ),
    ];
    for (change, rule) in cases {
        let mut f = sample();
        change(first_field(&mut f));
        assert_eq!(broken_rule(&f), rule);
    }
}

#[test]
fn totals_must_be_sums() {
    let mut f = sample();
    let mut c = f.form06[0].levels[0].fields[1].columns;
    c.new_online += 1;
    c.total += 1;
    c.resolved_early += 1;
    c.resolved += 1;
    f.form06[0].levels[0].fields[1].columns = c;
    assert_eq!(broken_rule(&f), rules::LEVEL_TOTAL);

    let mut f = sample();
    let extra = columns(0, [1, 0, 0], [1, 0, 0], 0);
    f.form06[0].total.add(&extra);
    assert_eq!(broken_rule(&f), rules::GRAND_TOTAL);
}

#[test]
fn carried_over_follows_the_previous_period() {
    let mut f = sample();
    let mut c = f.form06[1].levels[1].fields[0].columns;
    c.carried_over += 1;
    c.total += 1;
    c.resolved_early += 1;
    c.resolved += 1;
    f.form06[1].levels[1].fields[0].columns = c;
    f.form06[1].levels[1].total = c;
    f.form06[1].total = sum(f.form06[1].levels.iter().map(|l| &l.total));
    assert_eq!(broken_rule(&f), rules::CARRIED_OVER);
}

#[test]
fn commune_level_is_the_sum_of_the_communes() {
    let a = columns(1, [10, 2, 0], [10, 0, 0], 0);
    let b = columns(0, [5, 0, 1], [6, 0, 0], 0);
    let level = sum([&a, &b]);
    let communes = vec![("Thượng Lan".to_owned(), a), ("Trung Sơn".to_owned(), b)];
    check_commune_sum("2023", &level, &communes).unwrap();
    let mut wrong = level;
    wrong.new_online += 1;
    let err = check_commune_sum("2023", &wrong, &communes).unwrap_err();
    assert!(matches!(err, CompileError::Invariant { rule, .. } if rule == rules::COMMUNE_SUM));
}

#[test]
fn rates_and_parts_stay_in_range() {
    let mut f = sample();
    f.indicators[0].indicators[0].rate_percent = Some(100.5);
    assert_eq!(broken_rule(&f), rules::RATE_RANGE);
    let mut f = sample();
    f.level_rates[0].digitisation = Rate::new(1001, 1000);
    assert_eq!(broken_rule(&f), rules::RATE_RANGE);
    let mut f = sample();
    f.online_coverage.levels[0].online = 255;
    f.online_coverage.online = 399;
    assert_eq!(broken_rule(&f), rules::PART_OF_WHOLE);
    let mut f = sample();
    f.online_coverage.procedures = 411;
    assert_eq!(broken_rule(&f), rules::COVERAGE_TOTAL);
    let mut f = sample();
    f.certificates.desks = coverage(19, 18);
    assert_eq!(broken_rule(&f), rules::RATE_RANGE);
}

#[test]
fn staff_rows_and_total_add_up() {
    let mut f = sample();
    f.staffing.rows[1].agency_sent = 9;
    assert_eq!(broken_rule(&f), rules::STAFF_ROW);
    let mut f = sample();
    f.staffing.total = 16;
    f.staffing.own_staff = 6;
    assert_eq!(broken_rule(&f), rules::STAFF_TOTAL);
    // Titles count some of the own staff, never more.
    let mut f = sample();
    f.staffing.rows[1].own_by_title[0].count = 2;
    assert_eq!(broken_rule(&f), rules::STAFF_TITLES);
    let mut f = sample();
    f.staffing.rows[1].own_by_title[0].count = 0;
    assert_eq!(broken_rule(&f), rules::STAFF_TITLES);
}

#[test]
fn the_hash_follows_the_figures() {
    let f = sample();
    let hash = f.sha256().unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(hash, sample().sha256().unwrap());
    let mut changed = sample();
    changed.staffing.rows[0].unit_name.push('.');
    assert_ne!(hash, changed.sha256().unwrap());
    let back: Figures = serde_json::from_slice(&f.canonical_json().unwrap()).unwrap();
    assert_eq!(back, f);
}

#[test]
fn csv_quotes_commas_and_quotes() {
    let mut f = sample();
    f.staffing.rows[0].unit_name = "Xã \"Thượng Lan\", cũ".into();
    let csv = f.to_csv();
    let mut lines = csv.split("\r\n");
    assert_eq!(lines.next().unwrap(), CSV_COLUMNS.join(","));
    assert!(csv.ends_with("\r\n"));
    assert!(
        csv.contains("staffing,,,\"Xã \"\"Thượng Lan\"\", cũ\",000.21.24.H05,"),
        "{csv}"
    );
    let width = CSV_COLUMNS.len() - 1;
    let commas = |l: &str| l.matches(',').count();
    for line in csv.lines().filter(|l| !l.contains('"')) {
        assert_eq!(commas(line), width, "{line}");
    }
    assert!(csv.contains("form06,2023,district,Đất đai,,10600,9000,1550,1400,150,50,"));
    assert!(
        csv.contains("online_coverage,,district,online public service,online_service_coverage,")
    );
    assert!(csv.contains(",241,254,94.88,"));
}
