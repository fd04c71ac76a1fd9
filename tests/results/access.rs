//! The 401/403 matrix: every role against every endpoint group.

use motcua_tests::{on_both_backends, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

on_both_backends!(role_matrix, missing_wrong_and_revoked_keys_are_401);

struct Case {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn get(path: String) -> Case {
    Case {
        method: Method::GET,
        path,
        body: None,
    }
}

fn post(path: &str, body: Value) -> Case {
    Case {
        method: Method::POST,
        path: path.to_owned(),
        body: Some(body),
    }
}

async fn role_matrix(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let own = seeded.communes[0].id.0;
    let other = seeded.communes[1].id.0;
    let officer = app.key("officer", Some(own), &[]).await;
    let auditor = app.key("auditor", None, &[]).await;
    let integration = app
        .key("integration", None, &["procedures:read", "officials:write"])
        .await;
    let scoped_integration = app.key("integration", Some(other), &["units:read"]).await;

    let new_official = |unit: i64| json!({"full_name": "Lê Văn Hải", "personal_id": "", "unit_id": unit, "role": "reception", "staffing": "own_staff"});
    let procedure = json!({"code": "1.000001", "name": "Thủ tục thử", "field": "Thử", "levels": ["commune"], "processing_days": 3, "online_level": "none", "decision": {"number": "1/QĐ", "date": "2024-01-01"}});
    let unit = json!({"code": "000.50.24.H05", "name": "Xã mới", "kind": "commune", "parent_id": own, "valid_from": "2024-01-01"});

    use StatusCode as S;
    let keys = [
        ("admin", &app.admin_key),
        ("auditor", &auditor),
        ("officer", &officer),
        ("integration", &integration),
        ("scoped integration", &scoped_integration),
    ];
    //            case                                                              admin         auditor       officer        integration    scoped integration
    let matrix: Vec<(Case, [StatusCode; 5])> = vec![
        (
            get("/units".into()),
            [S::OK, S::OK, S::OK, S::FORBIDDEN, S::OK],
        ),
        (
            get(format!("/units/{own}")),
            [S::OK, S::OK, S::OK, S::FORBIDDEN, S::FORBIDDEN],
        ),
        (
            get(format!("/units/{other}")),
            [S::OK, S::OK, S::FORBIDDEN, S::FORBIDDEN, S::OK],
        ),
        (
            post("/units", unit.clone()),
            [
                S::CREATED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            get("/procedures".into()),
            [S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            post("/procedures", procedure.clone()),
            [
                S::CREATED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            get("/officials".into()),
            [S::OK, S::OK, S::OK, S::OK, S::FORBIDDEN],
        ),
        (
            post("/officials", new_official(own)),
            [
                S::CREATED,
                S::FORBIDDEN,
                S::CREATED,
                S::CREATED,
                S::FORBIDDEN,
            ],
        ),
        (
            post("/officials", new_official(other)),
            [
                S::CREATED,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::CREATED,
                S::FORBIDDEN,
            ],
        ),
        (
            get(format!("/units/{}/staffing", seeded.district.id)),
            [S::OK, S::OK, S::FORBIDDEN, S::OK, S::FORBIDDEN],
        ),
        (
            get("/api-keys".into()),
            [
                S::OK,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
                S::FORBIDDEN,
            ],
        ),
        (
            get("/audit-events".into()),
            [S::OK, S::OK, S::FORBIDDEN, S::FORBIDDEN, S::FORBIDDEN],
        ),
    ];
    let mut serial = 0;
    for (case, expected) in matrix {
        for ((role, key), expected) in keys.iter().zip(expected) {
            // Every create gets its own codes, so that only the key decides the outcome.
            serial += 1;
            let body = case.body.clone().map(|mut b| {
                if b.get("personal_id").is_some() {
                    b["personal_id"] = json!(format!("0241900{serial:05}"));
                } else if b.get("kind").is_some() {
                    b["code"] = json!(format!("900.{serial}.24.H05"));
                } else {
                    b["code"] = json!(format!("1.{serial:06}"));
                }
                b
            });
            let (status, response) = app
                .call(case.method.clone(), &case.path, Some(key), body.as_ref())
                .await;
            assert_eq!(
                status, expected,
                "{role} {} {}: {response}",
                case.method, case.path
            );
            if status == S::FORBIDDEN {
                assert_eq!(response["status"], 403);
                assert_eq!(response["type"], "/problems/forbidden");
            }
        }
    }

    // An officer lists only the units of its own subtree.
    let (_, page) = app.call(Method::GET, "/units", Some(&officer), None).await;
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&own) && !ids.contains(&other), "{ids:?}");
}

async fn missing_wrong_and_revoked_keys_are_401(app: TestApp) {
    let auditor = app.key("auditor", None, &[]).await;
    for path in [
        "/units",
        "/procedures",
        "/officials",
        "/api-keys",
        "/audit-events",
    ] {
        let (status, problem) = app.call(Method::GET, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(problem["type"], "/problems/unauthorized");
        let (status, _) = app
            .call(Method::GET, path, Some("mc_not-a-real-key"), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let response = app.client.get(app.url("/units")).send().await.unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );

    let (_, keys) = app.get("/api-keys").await;
    let auditor_id = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == "auditor")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = app.call(Method::GET, "/units", Some(&auditor), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, revoked) = app
        .call(
            Method::DELETE,
            &format!("/api-keys/{auditor_id}"),
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    let (status, _) = app.call(Method::GET, "/units", Some(&auditor), None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked key stops working at once"
    );
}
