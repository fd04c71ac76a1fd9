use motcua_tests::{on_both_backends, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    keys_are_shown_once_and_stored_hashed,
    key_requests_are_validated,
    last_admin_key_cannot_be_revoked
);

async fn keys_are_shown_once_and_stored_hashed(app: TestApp) {
    let (status, created) = app.post("/api-keys", &json!({"name": "Cổng dịch vụ công tỉnh", "role": "integration", "scopes": ["dossiers:write"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["key"].as_str().unwrap();
    assert!(secret.starts_with("mc_"));
    let id = created["api_key"]["id"].as_i64().unwrap();

    let (_, fetched) = app.get(&format!("/api-keys/{id}")).await;
    assert!(
        fetched.get("key").is_none(),
        "the secret is never returned again"
    );
    assert_eq!(fetched["scopes"], json!(["dossiers:write"]));
    assert!(secret.starts_with(fetched["prefix"].as_str().unwrap()));

    let mut conn = app.pool.get().unwrap();
    let stored =
        motcua_db::api_keys::find(&mut conn, motcua_core::record_ids::ApiKeyId(id)).unwrap();
    assert_ne!(stored.key_hash, secret);
    assert_eq!(stored.key_hash.len(), 64, "SHA-256 hex");
}

async fn key_requests_are_validated(app: TestApp) {
    let before = app.count_rows("api_keys");
    let cases = [
        (json!({"name": "x", "role": "officer"}), "unit_id"),
        (json!({"name": "x", "role": "integration"}), "scopes"),
        (
            json!({"name": "x", "role": "integration", "scopes": ["api_keys:write"]}),
            "scopes[0]",
        ),
        (
            json!({"name": "x", "role": "auditor", "unit_id": 1}),
            "unit_id",
        ),
        (json!({"name": "", "role": "admin"}), "name"),
        (json!({"name": "x", "role": "root"}), "role"),
    ];
    for (body, field) in cases {
        let (status, problem) = app.post("/api-keys", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(problem["invalid_params"][0]["name"], field, "{body}");
    }
    assert_eq!(app.count_rows("api_keys"), before);
}

async fn last_admin_key_cannot_be_revoked(app: TestApp) {
    let (_, keys) = app.get("/api-keys").await;
    let admin_id = keys["items"][0]["id"].as_i64().unwrap();
    let (status, problem) = app
        .call(
            Method::DELETE,
            &format!("/api-keys/{admin_id}"),
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = app.get("/units").await;
    assert_eq!(status, StatusCode::OK);
}

on_both_backends!(audit_trail_is_append_only);

async fn audit_trail_is_append_only(app: TestApp) {
    use diesel::RunQueryDsl;
    app.post(
        "/api-keys",
        &json!({"name": "Kiểm toán viên", "role": "auditor"}),
    )
    .await;
    let (_, events) = app.get("/audit-events?action=api_key.create").await;
    let event = &events["items"].as_array().unwrap().last().unwrap();
    assert_eq!(event["actor_name"], "test admin");
    assert_eq!(event["detail"]["name"], "Kiểm toán viên");
    assert!(!event["request_id"].as_str().unwrap().is_empty());

    let mut conn = app.pool.get().unwrap();
    let update = diesel::sql_query("UPDATE audit_events SET actor_name = 'someone else'")
        .execute(&mut *conn);
    assert!(
        update.is_err(),
        "the database refuses to rewrite the audit trail"
    );
    let delete = diesel::sql_query("DELETE FROM audit_events").execute(&mut *conn);
    assert!(
        delete.is_err(),
        "the database refuses to delete from the audit trail"
    );
}
