//! The report service's audit trail is tamper-evident like the results service's.

use motcua_core::access::Role;
use motcua_tests::audit::{delete_record, root_of_proof, tamper_with_record};
use motcua_tests::{Backend, ReportsApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

motcua_tests::with_each_backend!(checkpoints_proofs_and_verification);

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
