//! Optimistic concurrency on dossiers: `ETag` on `GET /dossiers/{code}`, `If-Match` on changes.

use motcua_tests::{on_both_backends, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dossiers::{create, dossier, procedure};

on_both_backends!(
    a_stale_etag_cannot_override_a_change,
    every_change_of_a_dossier_changes_its_etag
);

/// Sends `body` to `path` with `If-Match: if_match` (when given); returns status, `ETag`, body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    if_match: Option<&str>,
    body: Option<&Value>,
) -> (StatusCode, Option<String>, Value) {
    let request = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin_key);
    motcua_tests::send_conditional(request, if_match, body).await
}

async fn read_dossier(app: &TestApp, code: &str) -> (String, Value) {
    let (status, etag, body) =
        send(app, Method::GET, &format!("/dossiers/{code}"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (etag.expect("GET /dossiers/{code} sends an ETag"), body)
}

async fn new_dossier(app: &TestApp, code: &str) -> String {
    let seeded = app.seed_viet_yen();
    let proc_id = procedure(app, code, "Hộ tịch", 3).await;
    let created = create(
        app,
        &dossier(
            seeded.district_desk.id.0,
            proc_id,
            "direct",
            "2024-03-04T02:00:00Z",
        ),
    )
    .await;
    created["code"].as_str().unwrap().to_owned()
}

async fn a_stale_etag_cannot_override_a_change(app: TestApp) {
    let code = new_dossier(&app, "1.000401").await;
    let transitions = format!("/dossiers/{code}/transitions");
    // Two clients read the same dossier.
    let (first_read, _) = read_dossier(&app, &code).await;
    let (second_read, _) = read_dossier(&app, &code).await;
    assert_eq!(
        first_read, second_read,
        "the tag is stable while nothing changes"
    );
    assert!(
        first_read.starts_with('"') && first_read.ends_with('"'),
        "{first_read}"
    );

    // The first moves it on; its answer carries the new tag.
    let (status, after_first, moved) = send(
        &app,
        Method::POST,
        &transitions,
        Some(&first_read),
        Some(&json!({"to": "processing", "at": "2024-03-05T02:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let after_first = after_first.expect("a change answers the new ETag");
    let (current, as_first_left) = read_dossier(&app, &code).await;
    assert_eq!(
        after_first, current,
        "the answer's tag is the one a GET gives"
    );

    // The second, acting on what it read before, is refused and changes nothing.
    let events = app.count_rows("dossier_events");
    let (status, _, problem) = send(
        &app,
        Method::POST,
        &transitions,
        Some(&second_read),
        Some(&json!({"to": "cancelled", "at": "2024-03-05T03:00:00Z", "note": "Rút hồ sơ"})),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{problem}");
    assert_eq!(problem["type"], "/problems/precondition-failed");
    for (path, body) in [
        (
            format!("/dossiers/{code}/complaints"),
            json!({"content": "Chậm"}),
        ),
        (
            format!("/dossiers/{code}/apologies"),
            json!({"new_appointment_at": "2030-01-01T00:00:00Z", "reason": "Chậm"}),
        ),
        (
            format!("/dossiers/{code}/rating"),
            json!({"rating": "satisfied"}),
        ),
    ] {
        let (status, _, problem) =
            send(&app, Method::POST, &path, Some(&second_read), Some(&body)).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{path}: {problem}");
    }
    assert_eq!(app.count_rows("dossier_events"), events);
    let (still, unchanged) = read_dossier(&app, &code).await;
    assert_eq!(still, current);
    assert_eq!(
        unchanged, as_first_left,
        "the dossier is as the first client left it"
    );
    assert_eq!(unchanged["status"], "processing");

    // `*` matches whatever the dossier is now; a weak or unquoted tag never does.
    for tag in [format!("W/{current}"), current.trim_matches('"').to_owned()] {
        let (status, _, _) = send(
            &app,
            Method::POST,
            &transitions,
            Some(&tag),
            Some(&json!({"to": "waiting", "at": "2024-03-06T02:00:00Z", "note": "Bổ sung"})),
        )
        .await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{tag}");
    }
    let (status, _, moved) = send(
        &app,
        Method::POST,
        &transitions,
        Some("*"),
        Some(&json!({"to": "waiting", "at": "2024-03-06T02:00:00Z", "note": "Bổ sung"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");

    // Without If-Match, both clients go through as before.
    let (status, _, _) = send(
        &app,
        Method::POST,
        &transitions,
        None,
        Some(&json!({"to": "processing", "at": "2024-03-07T02:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, moved) = send(
        &app,
        Method::POST,
        &transitions,
        None,
        Some(&json!({"to": "releasing", "at": "2024-03-07T03:00:00Z"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
}

async fn every_change_of_a_dossier_changes_its_etag(app: TestApp) {
    let code = new_dossier(&app, "1.000402").await;
    let mut seen = vec![read_dossier(&app, &code).await.0];
    let changes = [
        (
            "transitions",
            json!({"to": "processing", "at": "2024-03-05T02:00:00Z"}),
        ),
        ("complaints", json!({"content": "Hỏi tiến độ"})),
        (
            "apologies",
            json!({"new_appointment_at": "2030-01-01T00:00:00Z", "reason": "Chậm"}),
        ),
        ("transitions", json!({"to": "releasing"})),
        ("transitions", json!({"to": "done"})),
        ("rating", json!({"rating": "satisfied"})),
    ];
    for (what, body) in changes {
        let current = seen.last().unwrap().clone();
        let (status, answered, changed) = send(
            &app,
            Method::POST,
            &format!("/dossiers/{code}/{what}"),
            Some(&current),
            Some(&body),
        )
        .await;
        assert!(status.is_success(), "{what}: {changed}");
        let (now, _) = read_dossier(&app, &code).await;
        assert_eq!(answered.as_deref(), Some(now.as_str()), "{what}");
        assert!(!seen.contains(&now), "{what} changed the ETag");
        seen.push(now);
    }
}
