//! The counters behind the statistics always equal the raw GROUP BY over the dossiers, after every
//! kind of change and on randomised data, and a rebuild reproduces them exactly.

use motcua_testdata::generate::Rng;
use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dossiers::{create, dossier, procedure, step};

on_both_backends!(
    counters_follow_every_kind_of_change,
    counters_equal_raw_group_by_on_random_data,
    overdue_in_a_running_period_means_due_before_today,
    random_periods_get_a_2xx_or_a_4xx_problem,
    digitised_results_and_commune_level_kinds
);

fn counters_snapshot(app: &TestApp) -> Vec<motcua_db::statistics::CounterRow> {
    let mut conn = app.pool.get().unwrap();
    motcua_db::statistics::all_counters(&mut conn).unwrap()
}

/// Compares both methods for `periods` and checks that a rebuild leaves the counters unchanged.
pub(crate) async fn assert_consistent(app: &TestApp, unit: i64, periods: &[&str], context: &str) {
    for period in periods {
        let (status, counted) = app
            .get(&format!("/statistics/form-06?unit={unit}&period={period}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{context} {period}: {counted}");
        let (_, raw) = app
            .get(&format!(
                "/statistics/form-06?unit={unit}&period={period}&method=raw"
            ))
            .await;
        assert_eq!(
            counted["rows"], raw["rows"],
            "{context}, {period}: counters and GROUP BY differ"
        );
        assert_eq!(counted["total"], raw["total"], "{context}, {period}");
    }
    let before = counters_snapshot(app);
    let (status, report) = app.post("/statistics/rebuild", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        before,
        counters_snapshot(app),
        "{context}: the rebuild changed the counters"
    );
}

async fn counters_follow_every_kind_of_change(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[0].id.0;
    let district = seeded.district.id.0;
    let proc_id = procedure(&app, "1.000200", "Hộ tịch", 3).await;
    let periods = [
        "2024-01",
        "2024-02",
        "2024-Q1",
        "2024",
        "2024-01-10..2024-02-20",
    ];

    let mut online = dossier(unit, proc_id, "online", "2024-01-05T10:00:00Z");
    online["status"] = json!("receiving");
    let a = create(&app, &online).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_consistent(&app, district, &periods, "submitted online").await;
    step(&app, &a, "new", "2024-01-08T02:00:00Z", None).await;
    assert_consistent(&app, district, &periods, "accepted").await;
    step(&app, &a, "waiting", "2024-01-09T02:00:00Z", Some("bổ sung")).await;
    assert_consistent(&app, district, &periods, "paused").await;
    step(&app, &a, "processing", "2024-01-22T02:00:00Z", None).await;
    assert_consistent(&app, district, &periods, "resumed").await;
    step(&app, &a, "paying", "2024-01-23T02:00:00Z", Some("nộp phí")).await;
    step(&app, &a, "releasing", "2024-02-20T02:00:00Z", None).await;
    assert_consistent(&app, district, &periods, "resolved after paying").await;
    step(&app, &a, "done", "2024-02-21T02:00:00Z", None).await;
    let (status, _) = app
        .post(
            &format!("/dossiers/{a}/rating"),
            &json!({"rating": "satisfied", "at": "2024-02-21T03:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_consistent(&app, district, &periods, "rated").await;

    let b = create(
        &app,
        &dossier(unit, proc_id, "direct", "2024-01-15T02:00:00Z"),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&app, &b, "waiting", "2024-01-16T02:00:00Z", Some("bổ sung")).await;
    step(
        &app,
        &b,
        "cancelled",
        "2024-03-01T02:00:00Z",
        Some("công dân rút hồ sơ"),
    )
    .await;
    assert_consistent(&app, district, &periods, "withdrawn while waiting").await;

    let c = create(
        &app,
        &dossier(unit, proc_id, "postal", "2024-01-15T03:00:00Z"),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&app, &c, "processing", "2024-01-16T02:00:00Z", None).await;
    step(
        &app,
        &c,
        "unresolved",
        "2024-02-28T02:00:00Z",
        Some("dừng xử lý"),
    )
    .await;
    assert_consistent(&app, district, &periods, "stopped late").await;

    let mut refused = dossier(unit, proc_id, "online", "2024-02-01T02:00:00Z");
    refused["status"] = json!("receiving");
    let d = create(&app, &refused).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    step(
        &app,
        &d,
        "denied",
        "2024-02-02T02:00:00Z",
        Some("sai thẩm quyền"),
    )
    .await;
    assert_consistent(&app, district, &periods, "denied").await;

    let (_, q1) = app
        .get(&format!(
            "/statistics/form-06?unit={district}&period=2024-Q1"
        ))
        .await;
    let total = &q1["total"];
    assert_eq!(total["new_online"], 1);
    assert_eq!(total["new_direct_postal"], 2);
    assert_eq!(total["resolved"], 3);
    assert_eq!(
        total["resolved_early"], 1,
        "A's deadline paused twice, so its result came early: {q1}"
    );
    assert_eq!(
        total["resolved_late"], 1,
        "C was stopped after its due date: {q1}"
    );
    assert_eq!(
        total["resolved_on_time"], 1,
        "B was withdrawn: on time by rule"
    );
    assert_eq!(q1["rows"][0]["level"], "commune");
}

fn random_line(rng: &mut Rng, units: &[i64], procedures: &[i64]) -> Value {
    let unit = units[rng.below(units.len() as u64) as usize];
    let procedure = procedures[rng.below(procedures.len() as u64) as usize];
    let channel = ["online", "direct", "postal"][rng.below(3) as usize];
    let start = chrono::DateTime::parse_from_rfc3339("2023-10-01T01:00:00Z")
        .unwrap()
        .to_utc();
    let mut at = start + chrono::Duration::hours(rng.below(24 * 200) as i64);
    let mut body = dossier(unit, procedure, channel, &at.to_rfc3339());
    let mut events = Vec::new();
    let mut status = "new";
    if channel == "online" && rng.below(4) == 0 {
        body["status"] = json!("receiving");
        status = "receiving";
    }
    loop {
        let options: &[&str] = match status {
            "receiving" => &["new", "new", "denied", "cancelled"],
            "new" => &["processing", "processing", "waiting", "cancelled", "stop"],
            "processing" => &[
                "releasing",
                "releasing",
                "waiting",
                "paying",
                "unresolved",
                "stop",
            ],
            "waiting" => &["processing", "processing", "cancelled", "stop"],
            "paying" => &["processing", "releasing", "stop"],
            "releasing" => &["done", "stop"],
            _ => break,
        };
        let next = options[rng.below(options.len() as u64) as usize];
        if next == "stop" {
            break;
        }
        at += chrono::Duration::hours(1 + rng.below(24 * 12) as i64);
        if at > chrono::Utc::now() - chrono::Duration::days(1) {
            break;
        }
        events.push(json!({"to": next, "at": at.to_rfc3339(), "note": "ghi chú"}));
        status = next;
    }
    json!({"dossier": body, "events": events})
}

async fn counters_equal_raw_group_by_on_random_data(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let mut units: Vec<i64> = seeded.communes.iter().take(5).map(|u| u.id.0).collect();
    units.push(seeded.district_desk.id.0);
    let procedures = [
        procedure(&app, "1.000301", "Hộ tịch", 1).await,
        procedure(&app, "1.000302", "Đất đai", 10).await,
        procedure(&app, "1.000303", "Chứng thực", 0).await,
        procedure(&app, "1.000304", "Lao động - Thương binh và Xã hội", 5).await,
    ];
    let mut rng = Rng::new(0x5eed_2024);
    let lines: Vec<Value> = (0..400)
        .map(|_| random_line(&mut rng, &units, &procedures))
        .collect();
    let (status, report) = app.post("/dossiers/import", &Value::Array(lines)).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");

    let district = seeded.district.id.0;
    let mut periods: Vec<String> = [
        "2023-Q4",
        "2024-Q1",
        "2024-Q2",
        "2023",
        "2024",
        "2023-11-17..2024-02-03",
    ]
    .map(String::from)
    .to_vec();
    periods.extend((1..=12).map(|m| format!("2024-{m:02}")));
    let periods: Vec<&str> = periods.iter().map(String::as_str).collect();
    assert_consistent(&app, district, &periods, "random data").await;
    assert_consistent(&app, units[0], &["2024-Q1"], "one commune").await;

    // Carried over into a period = in progress at the end of the one before.
    let mut previous: Option<Value> = None;
    for quarter in ["2023-Q4", "2024-Q1", "2024-Q2", "2024-Q3"] {
        let (_, form) = app
            .get(&format!(
                "/statistics/form-06?unit={district}&period={quarter}"
            ))
            .await;
        if let Some(previous) = previous {
            assert_eq!(
                form["total"]["carried_over"], previous["total"]["in_progress"],
                "{quarter}"
            );
        }
        previous = Some(form);
    }
}

/// Biểu 06 for a period still running counts as overdue only the open dossiers due before today:
/// one due later in the period is not late yet (a dossier due 7 December is not overdue on the
/// 4th). Once the period has ended, every open dossier due within it is.
async fn overdue_in_a_running_period_means_due_before_today(app: TestApp) {
    use chrono::{Duration, Utc};
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[0].id.0;
    let district = seeded.district.id.0;
    let quick = procedure(&app, "1.000200", "Hộ tịch", 3).await;
    let slow = procedure(&app, "1.000201", "Hộ tịch", 20).await;
    let now = Utc::now();
    let instant = |at: chrono::DateTime<Utc>| at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let late = create(
        &app,
        &dossier(unit, quick, "direct", &instant(now - Duration::days(40))),
    )
    .await;
    let not_yet = create(
        &app,
        &dossier(unit, slow, "direct", &instant(now - Duration::hours(1))),
    )
    .await;
    let day = |value: &Value| value["due_at"].as_str().unwrap()[..10].to_owned();
    let today = motcua_core::dossier::vietnam_day(now);
    assert!(day(&late) < today.to_string(), "{late}");
    assert!(day(&not_yet) > today.to_string(), "{not_yet}");

    let running = format!(
        "{}..{}",
        today - Duration::days(60),
        today + Duration::days(60)
    );
    for method in ["counters", "raw"] {
        for path in [
            format!("/statistics/form-06?unit={district}&period={running}&method={method}"),
            format!("/statistics/form-06?unit={unit}&period={running}&method={method}"),
        ] {
            let (status, form) = app.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{form}");
            let total = &form["total"];
            assert_eq!(total["in_progress"], 2, "{path}: {total}");
            assert_eq!(
                total["overdue"], 1,
                "{path}: only the dossier due before today: {total}"
            );
            assert_eq!(total["within_due"], 1, "{path}: {total}");
        }
    }
    let (_, indicators) = app
        .get(&format!(
            "/statistics/indicators?unit={district}&period={running}"
        ))
        .await;
    let progress = indicators["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "processing_progress")
        .unwrap();
    assert_eq!(progress["numerator"], 1, "within the due date: {progress}");
    assert_eq!(progress["denominator"], 2, "{progress}");

    // A period that has ended counts every open dossier due within it.
    let ended = format!(
        "{}..{}",
        today - Duration::days(60),
        today - Duration::days(1)
    );
    let (_, form) = app
        .get(&format!(
            "/statistics/form-06?unit={district}&period={ended}"
        ))
        .await;
    assert_eq!(form["total"]["overdue"], 1, "{form}");
    assert_consistent(
        &app,
        district,
        &[running.as_str(), ended.as_str()],
        "running",
    )
    .await;
}

/// A property test of period parsing over HTTP: random strings (digits of any length, signs,
/// odd separators, other scripts' digits) as `period` and as a date filter get a 2xx or a 4xx
/// problem, never a 5xx.
async fn random_periods_get_a_2xx_or_a_4xx_problem(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.district.id.0.to_string();
    let mut rng = Rng::new(0x15_2026_1204);
    let pieces = [
        "2024",
        "1900",
        "2199",
        "2200",
        "1899",
        "99999",
        "0",
        "-",
        "+",
        "..",
        "-Q",
        "Q",
        "-0",
        "12",
        "31",
        "29",
        "02",
        "13",
        "00",
        "/",
        " ",
        "_",
        "T",
        "Z",
        "\u{2212}",
        "٢٠٢٤",
        "２０２４",
        "🗓",
        "e5",
        "0x7E8",
        ".",
        ":",
        "%",
        "\u{202E}",
        "1e400",
        "-5000",
        "12345",
        "9223372036854775807",
    ];
    for i in 0..120 {
        let mut text = String::new();
        for _ in 0..=rng.below(6) {
            text.push_str(pieces[usize::try_from(rng.below(pieces.len() as u64)).unwrap()]);
        }
        let (path, name) = match i % 3 {
            0 => ("/statistics/form-06", "period"),
            1 => ("/statistics/indicators", "period"),
            _ => ("/dossiers", "received_from"),
        };
        let mut query = vec![(name, text.as_str())];
        if name == "period" {
            query.push(("unit", unit.as_str()));
        }
        let response = app
            .client
            .get(app.url(path))
            .query(&query)
            .bearer_auth(&app.admin_key)
            .send()
            .await
            .unwrap();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let (status, answer) = motcua_tests::read(response).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{path} {name}={text:?}: {status} {answer}"
        );
        if status.is_client_error() {
            assert_eq!(content_type, "application/problem+json", "{text:?}");
            assert_eq!(
                answer["invalid_params"][0]["name"], name,
                "{text:?}: {answer}"
            );
        }
    }
}

fn indicator<'a>(indicators: &'a Value, key: &str) -> &'a Value {
    indicators["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {indicators}"))
}

/// Resolves a dossier received on 2024-01-08 on 2024-01-10, with an electronic result or not.
async fn resolved(app: &TestApp, body: &Value, electronic: bool) {
    let code = create(app, body).await["code"].as_str().unwrap().to_owned();
    step(app, &code, "processing", "2024-01-09T02:00:00Z", None).await;
    let mut release = json!({"to": "releasing", "at": "2024-01-10T02:00:00Z"});
    release["electronic_result"] = json!(electronic);
    let (status, moved) = app
        .post(&format!("/dossiers/{code}/transitions"), &release)
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
}

/// The digitised-result counter (dossier digitised at reception and result issued
/// electronically) is kept like the others, and wards and townships count at commune level.
async fn digitised_results_and_commune_level_kinds(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let district = seeded.district.id.0;
    let nenh = seeded
        .communes
        .iter()
        .find(|c| c.name.ends_with("Nếnh"))
        .unwrap();
    let (_, township) = app.get(&format!("/units/{}", nenh.id.0)).await;
    assert_eq!(township["kind"], "thi_tran", "{township}");
    assert_eq!(township["name"], "UBND thị trấn Nếnh");
    let (status, ward) = app
        .post(
            "/units",
            &json!({"code": "000.50.24.H05", "name": "UBND phường Thử Nghiệm", "kind": "phuong",
                    "parent_id": district, "valid_from": "2020-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ward}");
    let ward = ward["id"].as_i64().unwrap();
    let proc_id = procedure(&app, "1.000300", "Chứng thực", 3).await;

    let digital = |unit| dossier(unit, proc_id, "online", "2024-01-08T02:00:00Z");
    let mut paper = digital(nenh.id.0);
    paper["components"] = json!([{"name": "Tờ khai", "digitisation": "not_digitised"}]);
    // Township: one digitised with an electronic result, one on paper with an electronic
    // result, one digitised with a paper result.
    resolved(&app, &digital(nenh.id.0), true).await;
    resolved(&app, &paper, true).await;
    resolved(&app, &digital(nenh.id.0), false).await;
    // Township: one withdrawn, resolved without a result: not counted by the result rates.
    let withdrawn = create(&app, &digital(nenh.id.0)).await["code"]
        .as_str()
        .unwrap()
        .to_owned();
    step(&app, &withdrawn, "processing", "2024-01-09T02:00:00Z", None).await;
    step(
        &app,
        &withdrawn,
        "cancelled",
        "2024-01-10T02:00:00Z",
        Some("công dân rút hồ sơ"),
    )
    .await;
    // Ward: one digitised with an electronic result.
    resolved(&app, &digital(ward), true).await;

    let (status, at_township) = app
        .get(&format!(
            "/statistics/indicators?unit={}&period=2024-Q1",
            nenh.id.0
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{at_township}");
    let digitised = indicator(&at_township, "result_digitisation_rate");
    assert_eq!(
        (&digitised["numerator"], &digitised["denominator"]),
        (&json!(1), &json!(3))
    );
    assert_eq!(digitised["rate_percent"], 33.33);
    let electronic = indicator(&at_township, "electronic_result_rate");
    assert_eq!(
        (&electronic["numerator"], &electronic["denominator"]),
        (&json!(2), &json!(3))
    );
    // The withdrawn dossier is resolved all the same.
    let on_time = indicator(&at_township, "on_time_rate");
    assert_eq!(on_time["denominator"], json!(4), "{at_township}");

    let (_, in_district) = app
        .get(&format!(
            "/statistics/indicators?unit={district}&period=2024-Q1"
        ))
        .await;
    let digitised = indicator(&in_district, "result_digitisation_rate");
    assert_eq!(
        (&digitised["numerator"], &digitised["denominator"]),
        (&json!(2), &json!(4))
    );

    let (_, form) = app
        .get(&format!(
            "/statistics/form-06?unit={district}&period=2024-Q1"
        ))
        .await;
    let levels: Vec<&Value> = form["levels"].as_array().unwrap().iter().collect();
    assert_eq!(
        levels.len(),
        1,
        "the township and the ward are commune level: {form}"
    );
    assert_eq!(levels[0]["level"], "commune");
    // Four results and the withdrawn dossier.
    assert_eq!(levels[0]["columns"]["resolved"], 5);

    assert_consistent(&app, district, &["2024-Q1", "2024"], "digitised results").await;
}
