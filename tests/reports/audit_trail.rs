//! The report service's audit trail is tamper-evident like the results service's.

use motcua_core::access::Role;
use motcua_tests::audit::{delete_record, empty_trail, root_of_proof, tamper_with_record};
use motcua_tests::{Backend, ReportsApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

motcua_tests::with_each_backend!(
    checkpoints_proofs_and_verification,
    truncating_or_emptying_the_trail_is_refused_or_detected
);

async fn checkpoints_proofs_and_verification(backend: Backend) {
    let app = ReportsApp::start(backend, |_| {}).await;
    let admin = app.admin_key.clone();
    for name in ["Văn phòng HĐND-UBND", "Thanh tra"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api-keys",
                &admin,
                Some(&json!({"name": name, "role": "auditor"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, checkpoint) = app
        .call(Method::POST, "/audit/checkpoints", &admin, None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{checkpoint}");
    assert_eq!(checkpoint["first_record_id"], 1);
    assert_eq!(checkpoint["tree_size"], 3);
    // No organisation key is stored: unsigned, and it says so.
    assert_eq!(checkpoint["signed"], false);
    let root = checkpoint["root_hash"].as_str().unwrap();

    let auditor = app.key("auditor", Role::Auditor, None, &[]);
    let (status, latest) = app
        .call(Method::GET, "/audit/checkpoints/latest", &auditor, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest, checkpoint);
    for id in 1..=3 {
        let (status, proof) = app
            .call(
                Method::GET,
                &format!("/audit-events/{id}/proof?checkpoint={}", checkpoint["id"]),
                &auditor,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{proof}");
        assert_eq!(root_of_proof(&proof).as_deref(), Some(root), "{proof}");
    }
    let (status, _) = app
        .call(Method::POST, "/audit/checkpoints", &auditor, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let verify = |app: &ReportsApp| {
        let auditor = auditor.clone();
        let url = app.url("/audit/verification");
        let client = app.client.clone();
        async move {
            let response = client.get(url).bearer_auth(auditor).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(verify(&app).await["valid"], true);

    tamper_with_record(&app.pool, backend, 2);
    let verification = verify(&app).await;
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["broken_record"]["id"], 2);
    assert_eq!(verification["broken_record"]["problem"], "hash_mismatch");

    let other = ReportsApp::start(backend, |_| {}).await;
    for name in ["a", "b", "c"] {
        let (status, _) = other
            .call(
                Method::POST,
                "/api-keys",
                &other.admin_key,
                Some(&json!({"name": name, "role": "auditor"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    delete_record(&other.pool, backend, 2);
    let (_, verification) = other
        .call(Method::GET, "/audit/verification", &other.admin_key, None)
        .await;
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["broken_record"]["id"], 3);
    assert_eq!(
        verification["broken_record"]["problem"],
        "prev_hash_mismatch"
    );
}

/// TRUNCATE is refused on PostgreSQL; a trail emptied anyway (the triggers lifted first, as the
/// database's owner could) fails the verification against the checkpoint kept outside the
/// database, here in its file.
async fn truncating_or_emptying_the_trail_is_refused_or_detected(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("reports-audit-checkpoints.jsonl");
    let logged = file.clone();
    let mut app = ReportsApp::start(backend, move |config| {
        config.audit.checkpoint_log = Some(logged);
    })
    .await;
    let admin = app.admin_key.clone();
    let (status, checkpoint) = app
        .call(Method::POST, "/audit/checkpoints", &admin, None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{checkpoint}");
    if backend == Backend::Postgres {
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().unwrap();
        for table in ["audit_events", "audit_checkpoints"] {
            let refused = diesel::sql_query(format!("TRUNCATE {table}"))
                .execute(&mut *conn)
                .unwrap_err();
            assert!(
                refused.to_string().contains("TRUNCATE is refused"),
                "{table}: {refused}"
            );
        }
    }
    assert_eq!(app.count_rows("audit_checkpoints"), 1);

    empty_trail(&app.pool, backend);
    app.restart().await;
    let (status, verification) = app
        .call(Method::GET, "/audit/verification", &admin, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verification["valid"], false, "{verification}");
    let outside = &verification["outside_copy"];
    assert_eq!(outside["problem"], "trail_shortened", "{verification}");
    assert_eq!(outside["source"], format!("file {}", file.display()));
    assert_eq!(outside["checkpoint"]["root_hash"], checkpoint["root_hash"]);
}
