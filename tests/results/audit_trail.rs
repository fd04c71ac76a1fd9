//! The tamper-evident audit trail: hash chain, checkpoints, inclusion proofs, verification.

use motcua_tests::audit::{delete_record, empty_trail, root_of_proof, tamper_with_record};
use motcua_tests::{on_both_backends, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A few changes through the API, then a checkpoint over them.
async fn changes_and_checkpoint(app: &TestApp) -> Value {
    for name in ["Bộ phận một cửa", "Cổng DVC tỉnh", "Thanh tra"] {
        let (status, body) = app
            .post("/api-keys", &json!({"name": name, "role": "auditor"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, checkpoint) = app.post("/audit/checkpoints", &json!(null)).await;
    assert_eq!(status, StatusCode::CREATED, "{checkpoint}");
    checkpoint
}

async fn chain_checkpoint_and_proofs(app: TestApp) {
    let (status, _) = app.get("/audit/checkpoints/latest").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let checkpoint = changes_and_checkpoint(&app).await;
    // The admin key made in the database, then the three keys.
    assert_eq!(checkpoint["first_record_id"], 1);
    assert_eq!(checkpoint["last_record_id"], 4);
    assert_eq!(checkpoint["tree_size"], 4);
    // No organisation key is stored: the checkpoint says it is unsigned.
    assert_eq!(checkpoint["signed"], false);
    assert!(checkpoint["signature_base64"].is_null());
    let root = checkpoint["root_hash"].as_str().unwrap();
    assert!(checkpoint["statement"].as_str().unwrap().contains(root));

    // The records are chained.
    let (_, page) = app.get("/audit-events").await;
    let records = page["items"].as_array().unwrap();
    assert_eq!(records[0]["prev_hash"], GENESIS);
    for pair in records.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
    }
    assert_eq!(checkpoint["last_record_hash"], records[3]["hash"]);
    // Making the checkpoint is itself recorded, after it.
    assert_eq!(records[4]["action"], "audit_checkpoint.create");

    let (status, latest) = app.get("/audit/checkpoints/latest").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest, checkpoint);
    let (_, same) = app
        .get(&format!("/audit/checkpoints/{}", checkpoint["id"]))
        .await;
    assert_eq!(same, checkpoint);

    // Every record's proof leads to the checkpoint's root, recomputed here.
    for id in 1..=4 {
        let (status, proof) = app.get(&format!("/audit-events/{id}/proof")).await;
        assert_eq!(status, StatusCode::OK, "{proof}");
        assert_eq!(proof["record_hash"], records[id - 1]["hash"]);
        assert_eq!(proof["leaf_index"], id - 1);
        assert_eq!(proof["tree_size"], 4);
        assert_eq!(root_of_proof(&proof).as_deref(), Some(root), "{proof}");
        let (status, explicit) = app
            .get(&format!(
                "/audit-events/{id}/proof?checkpoint={}",
                checkpoint["id"]
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(explicit, proof);
        // A forged path does not lead to the root.
        let mut forged = proof.clone();
        forged["record_hash"] = records[id % 4]["hash"].clone();
        assert_ne!(root_of_proof(&forged).as_deref(), Some(root));
    }
    // The checkpoint's own record is not in a checkpoint yet.
    let (status, _) = app.get("/audit-events/5/proof").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = app
        .get(&format!(
            "/audit-events/5/proof?checkpoint={}",
            checkpoint["id"]
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["invalid_params"][0]["name"], "checkpoint");
    let (status, _) = app.get("/audit-events/999/proof").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The next checkpoint covers the records since the previous one.
    let (status, next) = app.post("/audit/checkpoints", &json!(null)).await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    assert_eq!(next["first_record_id"], 5);
    assert_eq!(next["tree_size"], 1);

    let (status, verification) = app.get("/audit/verification").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verification["valid"], true, "{verification}");
    assert_eq!(verification["records_checked"], 6);
    assert_eq!(verification["checkpoints"].as_array().unwrap().len(), 2);

    // Auditors read, only admins make checkpoints.
    let auditor = app.key("auditor", None, &[]).await;
    let (status, _) = app
        .call(Method::GET, "/audit/verification", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(Method::POST, "/audit/checkpoints", Some(&auditor), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let district = app.seed_viet_yen().district;
    let officer = app.key("officer", Some(district.id.0), &[]).await;
    let (status, _) = app
        .call(
            Method::GET,
            "/audit/checkpoints/latest",
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn an_edited_record_is_named(app: TestApp) {
    let checkpoint = changes_and_checkpoint(&app).await;
    let (_, verification) = app.get("/audit/verification").await;
    assert_eq!(verification["valid"], true, "{verification}");

    tamper_with_record(&app.pool, app.backend, 3);
    let (status, verification) = app.get("/audit/verification").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["broken_record"]["id"], 3);
    assert_eq!(verification["broken_record"]["problem"], "hash_mismatch");
    // A range before the edited record is still valid; a range from it is not.
    let (_, before) = app.get("/audit/verification?from=1&to=2").await;
    assert_eq!(before["valid"], true, "{before}");
    assert_eq!(before["broken_record"], Value::Null);
    let (_, from_it) = app.get("/audit/verification?from=3&to=3").await;
    assert_eq!(from_it["broken_record"]["id"], 3);
    // The checkpoint still holds: its root is over the stored hashes, which the edit did not
    // change (and changing them too would break the root or the next record's link).
    assert_eq!(verification["checkpoints"][0]["id"], checkpoint["id"]);
    assert_eq!(verification["checkpoints"][0]["valid"], true);
}

async fn a_removed_record_is_detected(app: TestApp) {
    let checkpoint = changes_and_checkpoint(&app).await;
    delete_record(&app.pool, app.backend, 2);
    let (_, verification) = app.get("/audit/verification").await;
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["broken_record"]["id"], 3);
    assert_eq!(
        verification["broken_record"]["problem"],
        "prev_hash_mismatch"
    );
    let checks = verification["checkpoints"].as_array().unwrap();
    assert_eq!(checks[0]["id"], checkpoint["id"]);
    assert_eq!(checks[0]["valid"], false);
    assert_eq!(checks[0]["problem"], "root_mismatch");

    // Removing the last record leaves the chain intact but not the checkpoint over it.
    let app2 = TestApp::start(app.backend).await;
    let checkpoint = changes_and_checkpoint(&app2).await;
    delete_record(&app2.pool, app2.backend, 5);
    delete_record(&app2.pool, app2.backend, 4);
    let (_, verification) = app2.get("/audit/verification").await;
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["broken_record"], Value::Null);
    assert_eq!(verification["checkpoints"][0]["id"], checkpoint["id"]);
    assert_eq!(verification["checkpoints"][0]["problem"], "root_mismatch");
    // The copy kept outside the database says the trail is now shorter than it was.
    let outside = &verification["outside_copy"];
    assert_eq!(outside["problem"], "trail_shortened", "{verification}");
    assert_eq!(outside["checkpoint"]["root_hash"], checkpoint["root_hash"]);
}

/// Concurrent writers: the chain stays one line (the lock serialises appends).
async fn concurrent_appends_stay_linear(app: TestApp) {
    let requests = (0..24).map(|i| {
        let body = json!({"name": format!("khóa {i}"), "role": "auditor"});
        let app = &app;
        async move { app.post("/api-keys", &body).await }
    });
    for (status, body) in futures_util::future::join_all(requests).await {
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, checkpoint) = app.post("/audit/checkpoints", &json!(null)).await;
    assert_eq!(status, StatusCode::CREATED, "{checkpoint}");
    assert_eq!(checkpoint["tree_size"], 25);
    let (_, verification) = app.get("/audit/verification").await;
    assert_eq!(verification["valid"], true, "{verification}");
    assert_eq!(verification["records_checked"], 26);
}

/// Emptying both tables of the trail (as the database's owner could, its triggers lifted first)
/// leaves nothing inside the database to compare with: the newest checkpoint is also kept outside
/// it, in the memory of the running service, in a file that survives a restart, in a log line
/// and in a metric, and the verification compares the trail with it.
async fn an_emptied_trail_fails_verification(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("results.audit-checkpoints.jsonl");
    let logged = file.clone();
    let mut app = TestApp::start_with(backend, |config| {
        config.audit.checkpoint_log = Some(logged);
    })
    .await;
    let checkpoint = changes_and_checkpoint(&app).await;
    let (_, verification) = app.get("/audit/verification").await;
    assert_eq!(verification["valid"], true, "{verification}");
    let outside = &verification["outside_copy"];
    assert_eq!(outside["valid"], true, "{verification}");
    assert_eq!(outside["source"], format!("file {}", file.display()));
    assert_eq!(outside["checkpoint"]["checkpoint_id"], checkpoint["id"]);
    assert_eq!(outside["checkpoint"]["root_hash"], checkpoint["root_hash"]);
    let lines = std::fs::read_to_string(&file).unwrap();
    assert_eq!(lines.lines().count(), 1, "{lines}");
    let line: Value = serde_json::from_str(lines.trim()).unwrap();
    assert_eq!(line["root_hash"], checkpoint["root_hash"]);
    assert_eq!(line["last_record_id"], 4);
    let metrics = app.metrics().await;
    let root = checkpoint["root_hash"].as_str().unwrap();
    assert!(
        metrics.contains(&format!(
            "motcua_audit_checkpoint_last_record_id{{checkpoint_id=\"{}\",root_hash=\"{root}\",service=\"results\"}} 4",
            checkpoint["id"]
        )),
        "{metrics}"
    );

    empty_trail(&app.pool, backend);
    assert_eq!(app.count_rows("audit_events"), 0);
    let (status, verification) = app.get("/audit/verification").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["records_checked"], 0);
    let outside = &verification["outside_copy"];
    assert_eq!(outside["problem"], "trail_shortened", "{verification}");
    assert!(
        outside["explanation"]
            .as_str()
            .unwrap()
            .contains("is empty"),
        "{verification}"
    );

    // After a restart the file still knows.
    app.restart_with(|_| {}).await;
    let (_, verification) = app.get("/audit/verification").await;
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(
        verification["outside_copy"]["source"],
        format!("file {}", file.display())
    );
    // New records after the emptying do not make it valid again: they do not give the root.
    for name in ["a", "b", "c", "d", "e"] {
        let (status, _) = app
            .post("/api-keys", &json!({"name": name, "role": "auditor"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, verification) = app.get("/audit/verification").await;
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["outside_copy"]["problem"], "root_mismatch");

    // Without a file, the running service remembers the checkpoint it made.
    let app = TestApp::start(backend).await;
    changes_and_checkpoint(&app).await;
    empty_trail(&app.pool, backend);
    let (_, verification) = app.get("/audit/verification").await;
    assert_eq!(verification["valid"], false, "{verification}");
    assert_eq!(verification["outside_copy"]["problem"], "trail_shortened");
    assert_eq!(
        verification["outside_copy"]["source"],
        "memory of the running service"
    );
}

on_both_backends!(
    chain_checkpoint_and_proofs,
    an_edited_record_is_named,
    a_removed_record_is_detected,
    concurrent_appends_stay_linear
);

motcua_tests::with_each_backend!(an_emptied_trail_fails_verification);
