//! Every change of a dossier is a record of the tamper-evident audit trail, written in the
//! transaction of the change with who made it and in which request; the dossier's history names
//! the request too and is append-only.

use diesel::RunQueryDsl;
use motcua_tests::{on_both_backends, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dossiers::{dossier, procedure};

on_both_backends!(
    every_dossier_change_is_in_the_trail,
    creations_written_together_are_each_in_the_trail,
    imported_dossiers_are_in_the_trail,
    dossier_history_is_append_only,
);

/// POSTs `body` with the admin key under the request id `request_id`.
async fn post_as(app: &TestApp, path: &str, request_id: &str, body: &Value) -> (StatusCode, Value) {
    let response = app
        .client
        .request(Method::POST, app.url(path))
        .bearer_auth(&app.admin_key)
        .header("x-request-id", request_id)
        .json(body)
        .send()
        .await
        .unwrap();
    motcua_tests::read(response).await
}

/// The audit records of dossier `code`, oldest first.
async fn records_of(app: &TestApp, code: &str) -> Vec<Value> {
    let (status, page) = app
        .get(&format!(
            "/audit-events?object_type=dossier&object_id={code}&limit=500"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn history_of(app: &TestApp, code: &str) -> Vec<Value> {
    let (status, shown) = app.get(&format!("/dossiers/{code}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    shown["history"].as_array().unwrap().clone()
}

async fn assert_trail_valid(app: &TestApp) {
    let (status, verification) = app.get("/audit/verification").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verification["valid"], true, "{verification}");
}

async fn every_dossier_change_is_in_the_trail(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[4].id.0;
    let procedure_id = procedure(&app, "1.000105", "Đất đai", 2).await;
    let (status, created) = post_as(
        &app,
        "/dossiers",
        "req-create",
        &dossier(unit, procedure_id, "postal", "2024-07-01T02:00:00Z"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let code = created["code"].as_str().unwrap();
    let changes = [
        (
            "apologies",
            "req-apology",
            json!({"new_appointment_at": "2024-07-10T02:00:00Z", "reason": "Cần xác minh thêm", "at": "2024-07-05T02:00:00Z"}),
        ),
        (
            "complaints",
            "req-complaint",
            json!({"content": "Chậm trả kết quả", "at": "2024-07-05T04:00:00Z"}),
        ),
        (
            "transitions",
            "req-processing",
            json!({"to": "processing", "at": "2024-07-08T02:00:00Z"}),
        ),
        (
            "transitions",
            "req-releasing",
            json!({"to": "releasing", "at": "2024-07-09T02:00:00Z"}),
        ),
        (
            "transitions",
            "req-done",
            json!({"to": "done", "at": "2024-07-10T02:00:00Z"}),
        ),
        (
            "rating",
            "req-rating",
            json!({"rating": "satisfied", "at": "2024-07-10T02:10:00Z"}),
        ),
    ];
    for (path, request_id, body) in &changes {
        let (status, answer) =
            post_as(&app, &format!("/dossiers/{code}/{path}"), request_id, body).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
    }
    // A refused change writes no record.
    let before = app.count_rows("audit_events");
    let (status, _) = post_as(
        &app,
        &format!("/dossiers/{code}/rating"),
        "req-refused",
        &json!({"rating": "normal"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.count_rows("audit_events"), before);

    let records = records_of(&app, code).await;
    let history = history_of(&app, code).await;
    let expected = [
        ("dossier.create", "req-create"),
        ("dossier.apology", "req-apology"),
        ("dossier.complaint", "req-complaint"),
        ("dossier.transition", "req-processing"),
        ("dossier.transition", "req-releasing"),
        ("dossier.transition", "req-done"),
        ("dossier.rating", "req-rating"),
    ];
    assert_eq!(records.len(), expected.len(), "{records:#?}");
    assert_eq!(history.len(), expected.len(), "{history:#?}");
    for (((record, event), (action, request_id)), index) in
        records.iter().zip(&history).zip(expected).zip(0..)
    {
        assert_eq!(record["action"], action, "record {index}: {record}");
        assert_eq!(record["request_id"], request_id, "{record}");
        assert_eq!(record["actor_name"], "test admin", "{record}");
        assert!(record["actor_key_id"].is_i64(), "{record}");
        // The history event names the same request, and the record names the event.
        assert_eq!(event["request_id"], request_id, "{event}");
        assert_eq!(record["detail"]["event"]["id"], event["id"], "{record}");
        assert_eq!(record["detail"]["event"]["kind"], event["kind"]);
        assert_eq!(record["detail"]["event"]["to_status"], event["to_status"]);
        assert_eq!(
            record["detail"]["event"]["from_status"],
            event["from_status"]
        );
    }
    // The change itself: from and to, and the dossier after it.
    assert_eq!(records[4]["detail"]["event"]["from_status"], "processing");
    assert_eq!(records[4]["detail"]["event"]["to_status"], "releasing");
    assert_eq!(records[4]["detail"]["after"]["resolution"], "late");
    assert_eq!(
        records[1]["detail"]["after"]["appointment_at"],
        "2024-07-10T02:00:00"
    );
    assert_eq!(records[6]["detail"]["after"]["rating"], "satisfied");
    // The applicant's personal data stay out of the trail.
    assert!(
        !records[0].to_string().contains("024090001234"),
        "{}",
        records[0]
    );
    assert_trail_valid(&app).await;
}

/// Creations that arrive together are written in one transaction, each with its own record
/// naming its own request.
async fn creations_written_together_are_each_in_the_trail(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let procedure_id = procedure(&app, "1.000106", "Hộ tịch", 3).await;
    let units: Vec<i64> = seeded.communes.iter().map(|c| c.id.0).collect();
    let before = app.count_rows("audit_events");
    let creations = (0..40).map(|i| {
        let body = dossier(
            units[i % units.len()],
            procedure_id,
            "direct",
            "2024-03-04T02:00:00Z",
        );
        let app = &app;
        async move { post_as(app, "/dossiers", &format!("req-batch-{i}"), &body).await }
    });
    let created = futures_util::future::join_all(creations).await;
    assert_eq!(app.count_rows("audit_events"), before + 40);
    for (i, (status, dossier)) in created.iter().enumerate() {
        assert_eq!(*status, StatusCode::CREATED, "{dossier}");
        let records = records_of(&app, dossier["code"].as_str().unwrap()).await;
        assert_eq!(records.len(), 1, "{records:#?}");
        assert_eq!(records[0]["action"], "dossier.create");
        assert_eq!(records[0]["request_id"], format!("req-batch-{i}"));
        assert_eq!(records[0]["detail"]["after"]["status"], "new");
    }
    assert_trail_valid(&app).await;
}

async fn imported_dossiers_are_in_the_trail(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[5].id.0;
    let procedure_id = procedure(&app, "1.000107", "Hộ tịch", 3).await;
    let lines: Vec<Value> = (1..=3)
        .map(|day| {
            json!({
                "dossier": dossier(unit, procedure_id, "online", &format!("2023-10-0{day}T02:00:00Z")),
                "events": [
                    {"to": "processing", "at": format!("2023-10-0{day}T03:00:00Z")},
                    {"to": "releasing", "at": format!("2023-10-0{day}T04:00:00Z")},
                    {"to": "done", "at": format!("2023-10-0{day}T05:00:00Z")}
                ],
                "rating": {"rating": "satisfied", "at": format!("2023-10-0{day}T06:00:00Z")}
            })
        })
        .collect();
    let (status, imported) = post_as(&app, "/dossiers/import", "req-import", &json!(lines)).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");
    for code in imported["codes"].as_array().unwrap() {
        let code = code.as_str().unwrap();
        let records = records_of(&app, code).await;
        let actions: Vec<&str> = records
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "dossier.create",
                "dossier.transition",
                "dossier.transition",
                "dossier.transition",
                "dossier.rating"
            ]
        );
        assert!(records.iter().all(|r| r["request_id"] == "req-import"));
        let history = history_of(&app, code).await;
        for (record, event) in records.iter().zip(&history) {
            assert_eq!(record["detail"]["event"]["id"], event["id"]);
        }
    }
    // An import refused as a whole writes no record.
    let before = app.count_rows("audit_events");
    let mut wrong = lines[0].clone();
    wrong["dossier"]["applicant"]["id_number"] = json!("12");
    let (status, _) = post_as(
        &app,
        "/dossiers/import",
        "req-refused",
        &json!([lines[1], wrong]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count_rows("audit_events"), before);
    assert_trail_valid(&app).await;
}

fn refused(app: &TestApp, statement: &str) -> String {
    let mut conn = app.pool.get().unwrap();
    match diesel::sql_query(statement).execute(&mut *conn) {
        Ok(rows) => panic!("`{statement}` was allowed ({rows} rows)"),
        Err(error) => error.to_string(),
    }
}

async fn dossier_history_is_append_only(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let procedure_id = procedure(&app, "1.000108", "Hộ tịch", 3).await;
    let (status, _) = post_as(
        &app,
        "/dossiers",
        "req-one",
        &dossier(
            seeded.communes[0].id.0,
            procedure_id,
            "direct",
            "2024-03-04T02:00:00Z",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for statement in [
        "UPDATE dossier_events SET note = 'forged'",
        "DELETE FROM dossier_events",
    ] {
        let error = refused(&app, statement);
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    if app.backend == Backend::Postgres {
        for table in ["dossier_events", "audit_events", "audit_checkpoints"] {
            let error = refused(&app, &format!("TRUNCATE {table}"));
            assert!(error.contains("TRUNCATE is refused"), "{table}: {error}");
        }
        let error = refused(
            &app,
            "TRUNCATE audit_events, audit_checkpoints, dossier_events CASCADE",
        );
        assert!(error.contains("TRUNCATE is refused"), "{error}");
    }
    assert_eq!(app.count_rows("dossier_events"), 1);
}
