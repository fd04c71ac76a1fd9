use motcua_tests::{on_both_backends, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(
    full_lifecycle_with_a_paused_deadline,
    due_date_skips_the_tet_holiday,
    concurrent_creation_gives_consecutive_codes,
    creations_written_together_get_each_their_own_answer,
    components_are_written_in_bounded_statements,
    every_invalid_transition_is_refused,
    online_submission_is_accepted_or_denied,
    apology_rating_and_complaint,
    bulk_import_is_all_or_nothing,
    dossier_scope_follows_the_unit_tree,
    bad_dossier_input_is_refused,
);

/// A procedure handled in `days` working days; returns its id.
pub async fn procedure(app: &TestApp, code: &str, field: &str, days: u16) -> i64 {
    let body = json!({
        "code": code, "name": format!("Thủ tục {code}"), "field": field, "levels": ["district", "commune"],
        "processing_days": days, "online_level": "full", "decision": {"number": format!("{code}/QĐ-UBND"), "date": "2023-01-01"}
    });
    let (status, created) = app.post("/procedures", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

pub fn dossier(unit: i64, procedure: i64, channel: &str, submitted_at: &str) -> Value {
    json!({
        "unit_id": unit,
        "procedure_id": procedure,
        "channel": channel,
        "applicant": {"kind": "citizen", "name": "Nguyễn Văn An", "id_number": "024090001234", "phone": "0912 345 678"},
        "components": [
            {"name": "Tờ khai", "digitisation": "digitised"},
            {"name": "Giấy khai sinh", "copies": 2, "digitisation": "reused_result"}
        ],
        "submitted_at": submitted_at
    })
}

pub async fn create(app: &TestApp, body: &Value) -> Value {
    let (status, created) = app.post("/dossiers", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

pub async fn step(app: &TestApp, code: &str, to: &str, at: &str, note: Option<&str>) -> Value {
    let mut body = json!({"to": to, "at": at});
    if let Some(note) = note {
        body["note"] = json!(note);
    }
    if to == "releasing" {
        body["electronic_result"] = json!(true);
    }
    let (status, moved) = app
        .post(&format!("/dossiers/{code}/transitions"), &body)
        .await;
    assert_eq!(status, StatusCode::OK, "{to}: {moved}");
    moved
}

async fn full_lifecycle_with_a_paused_deadline(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let desk = seeded.district_desk.id.0;
    let proc_id = procedure(&app, "1.000100", "Hộ tịch", 5).await;
    // Monday 4 March 2024, 09:00 in Vietnam.
    let created = create(
        &app,
        &dossier(desk, proc_id, "direct", "2024-03-04T02:00:00Z"),
    )
    .await;
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(code, "000.99.24.H05-240304-0001");
    assert_eq!(created["status"], "new");
    assert_eq!(created["status_code"], 2);
    assert_eq!(
        created["due_at"], "2024-03-11T02:00:00Z",
        "5 working days: Monday 11 March, 09:00"
    );
    assert_eq!(created["digitised"], true);
    assert_eq!(created["reused"], true);

    step(&app, &code, "processing", "2024-03-05T02:00:00Z", None).await;
    let waiting = step(
        &app,
        &code,
        "waiting",
        "2024-03-06T02:00:00Z",
        Some("Bổ sung bản sao CCCD"),
    )
    .await;
    assert_eq!(waiting["paused_at"], "2024-03-06T02:00:00Z");
    // Resumed on Friday 09:00: two working days (Wed, Thu) passed while waiting.
    let resumed = step(&app, &code, "processing", "2024-03-08T02:00:00Z", None).await;
    assert_eq!(
        resumed["due_at"], "2024-03-13T02:00:00Z",
        "the deadline moves by the two working days paused"
    );
    assert!(resumed["paused_at"].is_null());

    let released = step(&app, &code, "releasing", "2024-03-12T08:00:00Z", None).await;
    assert_eq!(released["resolution"], "early");
    assert_eq!(released["electronic_result"], true);
    let done = step(&app, &code, "done", "2024-03-13T03:00:00Z", None).await;
    assert_eq!(done["status_code"], 10);

    let (status, rated) = app
        .post(
            &format!("/dossiers/{code}/rating"),
            &json!({"rating": "satisfied", "at": "2024-03-13T03:05:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rated}");

    let (_, full) = app.get(&format!("/dossiers/{code}")).await;
    let history: Vec<(String, String)> = full["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["to_status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("status", "new"),
        ("status", "processing"),
        ("status", "waiting"),
        ("status", "processing"),
        ("status", "releasing"),
        ("status", "done"),
        ("rating", ""),
    ];
    assert_eq!(history, expected.map(|(k, s)| (k.to_owned(), s.to_owned())));
    assert_eq!(full["components"][1]["copies"], 2);

    let (_, form) = app
        .get(&format!(
            "/statistics/form-06?unit={}&period=2024-03",
            seeded.district.id
        ))
        .await;
    let total = &form["total"];
    assert_eq!(
        (
            total["new_direct"].as_i64(),
            total["resolved_early"].as_i64(),
            total["in_progress"].as_i64()
        ),
        (Some(1), Some(1), Some(0)),
        "{form}"
    );
}

async fn due_date_skips_the_tet_holiday(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let commune = seeded.communes[2].id.0;
    let proc_id = procedure(&app, "1.000101", "Chứng thực", 3).await;
    // Wednesday 7 February 2024, 10:00: the Tết break runs from 8 to 14 February.
    let created = create(
        &app,
        &dossier(commune, proc_id, "online", "2024-02-07T03:00:00Z"),
    )
    .await;
    assert_eq!(
        created["due_at"], "2024-02-19T03:00:00Z",
        "Thu 15, Fri 16, Mon 19 February"
    );
    let (status, year) = app.get("/calendar/2024").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        year["days_off"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["date"] == "2024-02-10"),
        "{year}"
    );

    // An administrator loads another calendar; new due dates follow it.
    let mut changed = year.clone();
    changed["days_off"]
        .as_array_mut()
        .unwrap()
        .push(json!({"date": "2024-02-15", "name": "Nghỉ bù thử"}));
    let (status, stored) = app
        .call(
            Method::PUT,
            "/calendar/2024",
            Some(&app.admin_key),
            Some(&changed),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    let mut wrong_year = changed.clone();
    wrong_year["year"] = json!(2025);
    let (status, problem) = app
        .call(
            Method::PUT,
            "/calendar/2024",
            Some(&app.admin_key),
            Some(&wrong_year),
        )
        .await;
    assert_eq!(
        (status, problem["invalid_params"][0]["name"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("year"))
    );
    let mut outside = changed.clone();
    outside["days_off"]
        .as_array_mut()
        .unwrap()
        .push(json!({"date": "2031-01-02", "name": "sai năm"}));
    let (status, _) = app
        .call(
            Method::PUT,
            "/calendar/2024",
            Some(&app.admin_key),
            Some(&outside),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a day outside the year is refused"
    );
    let officer = app.key("officer", Some(commune), &[]).await;
    let (status, _) = app
        .call(
            Method::PUT,
            "/calendar/2024",
            Some(&officer),
            Some(&changed),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let second = create(
        &app,
        &dossier(commune, proc_id, "online", "2024-02-07T03:30:00Z"),
    )
    .await;
    assert_eq!(second["due_at"], "2024-02-20T03:30:00Z");
    assert_eq!(second["code"], "000.03.24.H05-240207-0002");
}

async fn concurrent_creation_gives_consecutive_codes(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let commune = seeded.communes[0].id.0;
    let proc_id = procedure(&app, "1.000102", "Hộ tịch", 1).await;
    let body = dossier(commune, proc_id, "direct", "2024-05-02T01:00:00Z");
    let requests = (0..200).map(|_| app.post("/dossiers", &body));
    let results = futures_util::future::join_all(requests).await;
    let mut numbers: Vec<u32> = results
        .iter()
        .map(|(status, created)| {
            assert_eq!(*status, StatusCode::CREATED, "{created}");
            let code = created["code"].as_str().unwrap();
            assert!(code.starts_with("000.01.24.H05-240502-"), "{code}");
            code.rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=200).collect::<Vec<u32>>(),
        "200 distinct consecutive numbers"
    );
}

/// Concurrent creations are written together (group commit): among them, those naming a
/// procedure that does not exist are refused on their own, and the others get consecutive
/// numbers of their unit and day, their components and their history.
async fn creations_written_together_get_each_their_own_answer(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let commune = seeded.communes[0].id.0;
    let proc_id = procedure(&app, "1.000102", "Hộ tịch", 1).await;
    let bodies: Vec<Value> = (0..60)
        .map(|index| {
            let (procedure, day) = match index % 10 {
                0 => (999_999, "2024-05-02T01:00:00Z"),
                1..=3 => (proc_id, "2024-05-03T01:00:00Z"),
                _ => (proc_id, "2024-05-02T01:00:00Z"),
            };
            dossier(commune, procedure, "direct", day)
        })
        .collect();
    let results =
        futures_util::future::join_all(bodies.iter().map(|body| app.post("/dossiers", body))).await;
    let mut numbers: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    for (index, (status, answer)) in results.iter().enumerate() {
        if index % 10 == 0 {
            assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            assert_eq!(
                answer["invalid_params"][0]["name"], "procedure_id",
                "{answer}"
            );
            continue;
        }
        assert_eq!(*status, StatusCode::CREATED, "{answer}");
        let code = answer["code"].as_str().unwrap();
        let (day, number) = code.rsplit_once('-').unwrap();
        numbers
            .entry(day.to_owned())
            .or_default()
            .push(number.parse().unwrap());
    }
    for list in numbers.values_mut() {
        list.sort_unstable();
    }
    assert_eq!(
        numbers,
        [
            (
                "000.01.24.H05-240502".to_owned(),
                (1..=36).collect::<Vec<u32>>()
            ),
            ("000.01.24.H05-240503".to_owned(), (1..=18).collect()),
        ]
        .into(),
        "consecutive numbers per day"
    );
    let (_, one) = &results[1];
    let (status, stored) = app
        .get(&format!("/dossiers/{}", one["code"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(
        stored["components"].as_array().map(Vec::len),
        Some(2),
        "{stored}"
    );
    assert_eq!(
        stored["history"].as_array().map(Vec::len),
        Some(1),
        "{stored}"
    );
    assert_eq!(stored["history"][0]["to_status"], "new", "{stored}");
}

/// Any number of components is written: 14 000 of them in one `VALUES` list would pass
/// PostgreSQL's limit of 65 535 bound parameters (PostgreSQL binds each column as one array;
/// SQLite writes statements of 1 000 rows).
async fn components_are_written_in_bounded_statements(app: TestApp) {
    use motcua_db::dossiers;

    let (mut conn, id) = a_dossier_to_extend(&app).await;
    let components = new_components(id, 3..=14_002);
    dossiers::insert_components(&mut conn, &components).unwrap();
    let stored = dossiers::components(&mut conn, id).unwrap();
    assert_eq!(stored.len(), 2 + components.len());
    assert_eq!(stored.last().map(|c| c.position), Some(14_002));
}

/// On PostgreSQL the multi-row writes of intake keep one prepared statement whatever the number
/// of rows, instead of a statement of new text (parsed and planned again) at every batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_writes_stay_prepared_on_postgres() {
    use diesel::prelude::*;
    use motcua_db::dossiers;

    #[derive(QueryableByName)]
    struct Prepared {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement: String,
    }

    let app = TestApp::start(motcua_tests::Backend::Postgres).await;
    let (mut conn, id) = a_dossier_to_extend(&app).await;
    for positions in [3..=3, 4..=7, 8..=16] {
        dossiers::insert_components(&mut conn, &new_components(id, positions)).unwrap();
    }
    let prepared: Vec<Prepared> = match &mut *conn {
        motcua_db::DbConnection::Postgresql(pg) => diesel::sql_query(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%dossier_components%'",
        )
        .load(pg)
        .unwrap(),
        motcua_db::DbConnection::Sqlite(_) => unreachable!("a PostgreSQL test"),
    };
    assert_eq!(
        prepared.len(),
        1,
        "{:?}",
        prepared.iter().map(|p| &p.statement).collect::<Vec<_>>()
    );
    assert_eq!(dossiers::components(&mut conn, id).unwrap().len(), 2 + 14);
}

/// A dossier with two components created over the API in the seed district, and a connection
/// to write more rows for it directly.
async fn a_dossier_to_extend(
    app: &TestApp,
) -> (
    motcua_db::PooledDbConnection,
    motcua_core::record_ids::DossierId,
) {
    let seeded = app.seed_viet_yen();
    let proc_id = procedure(app, "1.000102", "Hộ tịch", 1).await;
    let body = dossier(
        seeded.communes[0].id.0,
        proc_id,
        "direct",
        "2024-05-02T01:00:00Z",
    );
    let (status, created) = app.post("/dossiers", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let mut conn = app.pool.get().unwrap();
    let code = created["code"].as_str().unwrap();
    let id = motcua_db::dossiers::find_by_code(&mut conn, code)
        .unwrap()
        .id;
    (conn, id)
}

/// Digitised components of `dossier` at `positions`.
fn new_components(
    dossier: motcua_core::record_ids::DossierId,
    positions: std::ops::RangeInclusive<i32>,
) -> Vec<motcua_db::dossiers::NewComponent> {
    positions
        .map(|position| motcua_db::dossiers::NewComponent {
            dossier_id: dossier,
            position,
            name: format!("Bản sao {position}"),
            copies: 1,
            digitisation: motcua_core::dossier::Digitisation::Digitised,
        })
        .collect()
}

/// A status change and its reason, if one is needed.
type Step = (&'static str, Option<&'static str>);

/// The statuses a dossier can be brought to, with the steps that get it there.
fn paths() -> Vec<(&'static str, Vec<Step>)> {
    vec![
        ("new", vec![]),
        ("processing", vec![("processing", None)]),
        ("waiting", vec![("waiting", Some("thiếu giấy tờ"))]),
        (
            "paying",
            vec![("processing", None), ("paying", Some("nộp lệ phí"))],
        ),
        ("releasing", vec![("processing", None), ("releasing", None)]),
        (
            "done",
            vec![("processing", None), ("releasing", None), ("done", None)],
        ),
        ("cancelled", vec![("cancelled", Some("công dân rút hồ sơ"))]),
        ("unresolved", vec![("unresolved", Some("dừng xử lý"))]),
    ]
}

const ALL: [&str; 10] = [
    "receiving",
    "new",
    "denied",
    "processing",
    "waiting",
    "paying",
    "cancelled",
    "unresolved",
    "releasing",
    "done",
];

fn allowed(from: &str) -> &'static [&'static str] {
    match from {
        "receiving" => &["new", "denied", "cancelled"],
        "new" => &["processing", "waiting", "cancelled", "unresolved"],
        "processing" => &["waiting", "paying", "releasing", "cancelled", "unresolved"],
        "waiting" => &["processing", "cancelled", "unresolved"],
        "paying" => &["processing", "releasing", "cancelled"],
        "releasing" => &["done"],
        _ => &[],
    }
}

async fn every_invalid_transition_is_refused(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[1].id.0;
    let proc_id = procedure(&app, "1.000103", "Đất đai", 10).await;
    for (status, steps) in paths() {
        let created = create(
            &app,
            &dossier(unit, proc_id, "direct", "2024-04-01T02:00:00Z"),
        )
        .await;
        let code = created["code"].as_str().unwrap().to_owned();
        for (i, (to, note)) in steps.iter().enumerate() {
            step(
                &app,
                &code,
                to,
                &format!("2024-04-0{}T02:00:00Z", i + 2),
                *note,
            )
            .await;
        }
        let (_, before) = app.get(&format!("/dossiers/{code}")).await;
        assert_eq!(before["status"], status);
        for target in ALL.iter().filter(|t| !allowed(status).contains(t)) {
            let body = json!({"to": target, "note": "thử", "at": "2024-04-09T02:00:00Z"});
            let (code_status, problem) = app
                .post(&format!("/dossiers/{code}/transitions"), &body)
                .await;
            assert_eq!(
                code_status,
                StatusCode::CONFLICT,
                "{status} → {target}: {problem}"
            );
            assert_eq!(problem["type"], "/problems/conflict");
        }
        let (_, after) = app.get(&format!("/dossiers/{code}")).await;
        assert_eq!(
            before, after,
            "refused transitions change nothing ({status})"
        );
    }
    let (_, form) = app
        .call(
            Method::GET,
            &format!("/statistics/form-06?unit={unit}&period=2024-04&method=raw"),
            Some(&app.admin_key),
            None,
        )
        .await;
    let (_, counted) = app
        .get(&format!("/statistics/form-06?unit={unit}&period=2024-04"))
        .await;
    assert_eq!(form["total"], counted["total"]);
}

async fn online_submission_is_accepted_or_denied(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[3].id.0;
    let proc_id = procedure(&app, "1.000104", "Hộ tịch", 2).await;
    let mut body = dossier(unit, proc_id, "online", "2024-06-03T14:00:00Z");
    body["status"] = json!("receiving");
    let waiting = create(&app, &body).await;
    assert!(
        waiting["received_at"].is_null() && waiting["due_at"].is_null(),
        "{waiting}"
    );
    let code = waiting["code"].as_str().unwrap();
    // Accepted the next morning: the deadline counts from acceptance.
    let accepted = step(&app, code, "new", "2024-06-04T01:00:00Z", None).await;
    assert_eq!(accepted["received_at"], "2024-06-04T01:00:00Z");
    assert_eq!(accepted["due_at"], "2024-06-06T01:00:00Z");

    let refused = create(&app, &body).await;
    let code = refused["code"].as_str().unwrap();
    let (status, problem) = app
        .post(
            &format!("/dossiers/{code}/transitions"),
            &json!({"to": "denied"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a refusal needs its reason: {problem}"
    );
    assert_eq!(problem["invalid_params"][0]["name"], "note");
    step(
        &app,
        code,
        "denied",
        "2024-06-04T02:00:00Z",
        Some("Hồ sơ không thuộc thẩm quyền"),
    )
    .await;

    let (_, form) = app
        .get(&format!("/statistics/form-06?unit={unit}&period=2024-06"))
        .await;
    assert_eq!(
        form["total"]["new_online"], 1,
        "a refused submission was never received: {form}"
    );

    let mut direct = dossier(unit, proc_id, "direct", "2024-06-03T14:00:00Z");
    direct["status"] = json!("receiving");
    let (status, problem) = app.post("/dossiers", &direct).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

async fn apology_rating_and_complaint(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[4].id.0;
    let proc_id = procedure(&app, "1.000105", "Đất đai", 2).await;
    let created = create(
        &app,
        &dossier(unit, proc_id, "postal", "2024-07-01T02:00:00Z"),
    )
    .await;
    let code = created["code"].as_str().unwrap();
    let early = json!({"new_appointment_at": "2024-07-10T02:00:00Z", "reason": "Cần xác minh thêm", "at": "2024-07-02T02:00:00Z"});
    let (status, problem) = app
        .post(&format!("/dossiers/{code}/apologies"), &early)
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "no apology before the due time: {problem}"
    );
    let late = json!({"new_appointment_at": "2024-07-10T02:00:00Z", "reason": "Cần xác minh thêm", "at": "2024-07-05T02:00:00Z"});
    let (status, apologised) = app
        .post(&format!("/dossiers/{code}/apologies"), &late)
        .await;
    assert_eq!(status, StatusCode::OK, "{apologised}");
    assert_eq!(apologised["appointment_at"], "2024-07-10T02:00:00Z");

    let (status, problem) = app
        .post(
            &format!("/dossiers/{code}/rating"),
            &json!({"rating": "normal", "at": "2024-07-05T03:00:00Z"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only handed-over dossiers are rated: {problem}"
    );
    let (status, _) = app
        .post(
            &format!("/dossiers/{code}/complaints"),
            &json!({"content": "Chậm trả kết quả", "at": "2024-07-05T04:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    step(&app, code, "processing", "2024-07-08T02:00:00Z", None).await;
    let late = step(&app, code, "releasing", "2024-07-09T02:00:00Z", None).await;
    assert_eq!(
        late["resolution"], "late",
        "an apology does not make a late dossier on time"
    );
    step(&app, code, "done", "2024-07-10T02:00:00Z", None).await;
    let (status, _) = app
        .post(
            &format!("/dossiers/{code}/rating"),
            &json!({"rating": "unsatisfied", "at": "2024-07-10T02:10:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("/dossiers/{code}/rating"),
            &json!({"rating": "satisfied", "at": "2024-07-10T02:20:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "rated once");

    let (_, indicators) = app
        .get(&format!(
            "/statistics/indicators?unit={unit}&period=2024-07"
        ))
        .await;
    let satisfaction = indicators["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "satisfaction")
        .unwrap();
    assert_eq!(
        (
            satisfaction["numerator"].as_i64(),
            satisfaction["denominator"].as_i64()
        ),
        (Some(0), Some(1)),
        "{indicators}"
    );
    let kinds: Vec<String> = app.get(&format!("/dossiers/{code}")).await.1["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"apology".to_owned()) && kinds.contains(&"complaint".to_owned()),
        "{kinds:?}"
    );
}

async fn bulk_import_is_all_or_nothing(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[5].id.0;
    let proc_id = procedure(&app, "1.000106", "Hộ tịch", 3).await;
    let line = |n: u32| {
        json!({
            "dossier": dossier(unit, proc_id, "online", &format!("2023-10-{:02}T02:00:00Z", n % 28 + 1)),
            "events": [{"to": "processing", "at": format!("2023-11-{:02}T02:00:00Z", n % 28 + 1)}, {"to": "releasing", "at": format!("2023-11-{:02}T03:00:00Z", n % 28 + 1)}]
        })
    };
    let mut bad_lines: Vec<Value> = (0..3).map(line).collect();
    let mut wrong = line(3);
    wrong["dossier"]["applicant"]["id_number"] = json!("12");
    bad_lines.push(wrong);
    let mut impossible = line(4);
    impossible["events"] = json!([{"to": "done", "at": "2023-11-01T00:00:00Z"}]);
    bad_lines.push(impossible);
    let dossiers_before = app.count_rows("dossiers");
    let (status, problem) = app.post("/dossiers/import", &Value::Array(bad_lines)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let rejected: Vec<i64> = problem["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(
        rejected,
        [4],
        "field errors are found before anything is written: {problem}"
    );
    assert_eq!(
        problem["rejected"][0]["invalid_params"][0]["name"],
        "applicant.id_number"
    );
    assert_eq!(app.count_rows("dossiers"), dossiers_before);

    let only_impossible = Value::Array(vec![line(0), {
        let mut l = line(1);
        l["events"] = json!([{"to": "done", "at": "2023-11-01T00:00:00Z"}]);
        l
    }]);
    let (status, problem) = app.post("/dossiers/import", &only_impossible).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["rejected"][0]["line"], 2);
    assert_eq!(
        problem["rejected"][0]["invalid_params"][0]["name"],
        "events[0]"
    );
    assert_eq!(
        app.count_rows("dossiers"),
        dossiers_before,
        "the valid first line was rolled back too"
    );
    assert_eq!(app.count_rows("dossier_counts"), 0);

    let ndjson: String = (0..300).map(|n| format!("{}\n", line(n))).collect();
    let response = app
        .client
        .post(app.url("/dossiers/import"))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    let (status, report) = motcua_tests::read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["imported"], 300);
    let (_, form) = app
        .get(&format!("/statistics/form-06?unit={unit}&period=2023-Q4"))
        .await;
    assert_eq!(form["total"]["new_online"], 300);
    assert_eq!(form["total"]["resolved"], 300);
}

async fn dossier_scope_follows_the_unit_tree(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let (own, other) = (seeded.communes[6].id.0, seeded.communes[7].id.0);
    let proc_id = procedure(&app, "1.000107", "Hộ tịch", 3).await;
    let officer = app.key("officer", Some(own), &[]).await;
    let portal = app.key("integration", None, &["dossiers:write"]).await;
    let reader = app.key("integration", None, &["dossiers:read"]).await;

    let body = dossier(own, proc_id, "direct", "2024-08-01T02:00:00Z");
    let (status, mine) = app
        .call(Method::POST, "/dossiers", Some(&officer), Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    let (status, _) = app
        .call(
            Method::POST,
            "/dossiers",
            Some(&officer),
            Some(&dossier(other, proc_id, "direct", "2024-08-01T02:00:00Z")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, theirs) = app
        .call(
            Method::POST,
            "/dossiers",
            Some(&portal),
            Some(&dossier(other, proc_id, "online", "2024-08-01T02:00:00Z")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    let (status, _) = app
        .call(Method::POST, "/dossiers", Some(&reader), Some(&body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "read scope cannot create");

    let theirs_code = theirs["code"].as_str().unwrap();
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/dossiers/{theirs_code}"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/dossiers/{theirs_code}/transitions"),
            Some(&officer),
            Some(&json!({"to": "processing"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = app
        .call(Method::GET, "/dossiers", Some(&officer), None)
        .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "an officer lists only its subtree"
    );
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/statistics/form-06?unit={other}&period=2024"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/statistics/form-06?unit={own}&period=2024"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

async fn bad_dossier_input_is_refused(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[8].id.0;
    let proc_id = procedure(&app, "1.000108", "Hộ tịch", 3).await;
    let before = app.count_rows("dossiers");
    let mut bad = dossier(unit, proc_id, "fax", "2024-01-02T02:00:00Z");
    let (status, problem) = app.post("/dossiers", &bad).await;
    assert_eq!(
        (status, problem["invalid_params"][0]["name"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("channel"))
    );
    bad["channel"] = json!("direct");
    bad["applicant"]["kind"] = json!("business");
    let (status, problem) = app.post("/dossiers", &bad).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a CCCD is not a tax code: {problem}"
    );
    assert_eq!(problem["invalid_params"][0]["name"], "applicant.id_number");
    let mut unknown = dossier(unit, 999_999, "direct", "2024-01-02T02:00:00Z");
    let (status, problem) = app.post("/dossiers", &unknown).await;
    assert_eq!(
        (status, problem["invalid_params"][0]["name"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("procedure_id"))
    );
    unknown["procedure_id"] = json!(proc_id);
    unknown["submitted_at"] = json!("2999-01-01T00:00:00Z");
    let (status, problem) = app.post("/dossiers", &unknown).await;
    assert_eq!(
        (status, problem["invalid_params"][0]["name"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("submitted_at"))
    );
    unknown["submitted_at"] = json!("2024-01-02T02:00:00Z");
    unknown["applicant"]["name"] = json!("Nguyễn\u{0000}An");
    let (status, problem) = app.post("/dossiers", &unknown).await;
    assert_eq!(
        (status, problem["invalid_params"][0]["name"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("applicant.name"))
    );
    let (status, _) = app.get("/dossiers/NO-SUCH-CODE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = app.get("/statistics/form-06?unit=1&period=2024-Q7").await;
    assert_eq!(
        (status, problem["invalid_params"][0]["name"].as_str()),
        (StatusCode::BAD_REQUEST, Some("period"))
    );
    assert_eq!(app.count_rows("dossiers"), before);
    assert_eq!(
        app.count_rows("dossier_sequences"),
        0,
        "no number was taken by refused requests"
    );
}

on_both_backends!(import_takes_ten_thousand_dossiers_at_once);

/// The import must take at least 10 000 dossiers in one request.
async fn import_takes_ten_thousand_dossiers_at_once(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let units: Vec<i64> = seeded.communes.iter().map(|c| c.id.0).collect();
    let proc_id = procedure(&app, "1.000109", "Chứng thực", 1).await;
    let ndjson: String = (0..10_000)
        .map(|n| {
            let at = format!(
                "2023-{:02}-{:02}T02:{:02}:00Z",
                n % 12 + 1,
                n % 28 + 1,
                n % 60
            );
            format!(
                "{}\n",
                json!({"dossier": dossier(units[n % units.len()], proc_id, "online", &at)})
            )
        })
        .collect();
    let response = app
        .client
        .post(app.url("/dossiers/import"))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    let (status, report) = motcua_tests::read(response).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["imported"], 10_000);
    let (_, form) = app
        .get(&format!(
            "/statistics/form-06?unit={}&period=2023",
            seeded.district.id
        ))
        .await;
    assert_eq!(form["total"]["new_online"], 10_000);
}
