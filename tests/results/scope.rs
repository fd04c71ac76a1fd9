//! Keys limited to a unit subtree: they cannot change the unit tree, name officials outside it or
//! no longer active, or import dossiers outside it.

use motcua_tests::{on_both_backends, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dossiers::{dossier, procedure};

on_both_backends!(
    scoped_keys_cannot_change_the_unit_tree,
    named_officials_are_in_scope_and_active,
    an_import_outside_the_key_unit_is_forbidden_whole
);

async fn scoped_keys_cannot_change_the_unit_tree(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let district = seeded.district.id.0;
    let (commune, other) = (seeded.communes[0].id.0, seeded.communes[1].id.0);
    let own_unit = app
        .key("integration", Some(commune), &["units:write"])
        .await;
    let district_wide = app
        .key("integration", Some(district), &["units:write"])
        .await;
    let (_, before) = app.get(&format!("/units/{commune}")).await;

    for (key, unit, change) in [
        (&own_unit, commune, json!({"parent_id": null})),
        (&district_wide, commune, json!({"parent_id": null})),
        (&district_wide, commune, json!({"parent_id": other})),
        (&district_wide, commune, json!({"parent_id": district})),
    ] {
        let (status, problem) = app
            .call(
                Method::PATCH,
                &format!("/units/{unit}"),
                Some(key),
                Some(&change),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{change}: {problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("cannot change the unit tree"),
            "{problem}"
        );
    }
    let (status, problem) = app
        .call(
            Method::POST,
            &format!("/units/{commune}/merge"),
            Some(&district_wide),
            Some(&json!({"into": other, "effective_date": "2025-07-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (_, after) = app.get(&format!("/units/{commune}")).await;
    assert_eq!(after, before, "nothing changed");

    // What the key may edit of a unit in its scope, it still may.
    let (status, renamed) = app
        .call(
            Method::PATCH,
            &format!("/units/{commune}"),
            Some(&own_unit),
            Some(&json!({"name": "UBND xã Tăng Tiến mới"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["parent_id"], district);
    // An unscoped key still changes the tree.
    let (status, moved) = app
        .patch(&format!("/units/{commune}"), &json!({"parent_id": null}))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
}

/// The first official of `unit` (its own staff, not the units below).
async fn official_of(app: &TestApp, unit: i64) -> i64 {
    let (status, page) = app.get(&format!("/officials?unit={unit}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"][0]["id"].as_i64().unwrap()
}

async fn named_officials_are_in_scope_and_active(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let (own, other) = (seeded.communes[2].id.0, seeded.communes[3].id.0);
    let proc_id = procedure(&app, "1.000301", "Hộ tịch", 3).await;
    let officer = app.key("officer", Some(own), &[]).await;
    let own_official = official_of(&app, own).await;
    let foreign_official = official_of(&app, other).await;
    let (status, retired) = app
        .post(
            "/officials",
            &json!({"full_name": "Trần Thị Hoa", "personal_id": "024195009876", "unit_id": own, "role": "reception", "staffing": "own_staff"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{retired}");
    let retired = retired["id"].as_i64().unwrap();
    let (status, _) = app
        .patch(&format!("/officials/{retired}"), &json!({"active": false}))
        .await;
    assert_eq!(status, StatusCode::OK);

    let with_official = |official: i64| {
        let mut body = dossier(own, proc_id, "direct", "2024-08-01T02:00:00Z");
        body["receiving_official_id"] = json!(official);
        body
    };
    let dossiers_before = app.count_rows("dossiers");
    let (status, problem) = app
        .call(
            Method::POST,
            "/dossiers",
            Some(&officer),
            Some(&with_official(foreign_official)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("receiving_official_id"),
        "{problem}"
    );
    for (official, reason) in [(retired, "no longer active"), (999_999, "does not exist")] {
        let (status, problem) = app
            .call(
                Method::POST,
                "/dossiers",
                Some(&officer),
                Some(&with_official(official)),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(
            problem["invalid_params"][0]["name"],
            "receiving_official_id"
        );
        assert!(
            problem["invalid_params"][0]["reason"]
                .as_str()
                .unwrap()
                .contains(reason),
            "{problem}"
        );
    }
    assert_eq!(app.count_rows("dossiers"), dossiers_before);

    let (status, created) = app
        .call(
            Method::POST,
            "/dossiers",
            Some(&officer),
            Some(&with_official(own_official)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let code = created["code"].as_str().unwrap();

    // The acting official of a transition, and the official of an apology.
    let events_before = app.count_rows("dossier_events");
    for (official, expected) in [
        (foreign_official, StatusCode::FORBIDDEN),
        (retired, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, problem) = app
            .call(
                Method::POST,
                &format!("/dossiers/{code}/transitions"),
                Some(&officer),
                Some(&json!({"to": "processing", "official_id": official})),
            )
            .await;
        assert_eq!(status, expected, "{problem}");
        let (status, problem) = app
            .call(
                Method::POST,
                &format!("/dossiers/{code}/apologies"),
                Some(&officer),
                Some(&json!({"new_appointment_at": "2030-01-01T00:00:00Z", "reason": "Chậm", "official_id": official})),
            )
            .await;
        assert_eq!(status, expected, "{problem}");
    }
    assert_eq!(app.count_rows("dossier_events"), events_before);
    let (_, unchanged) = app.get(&format!("/dossiers/{code}")).await;
    assert_eq!(unchanged["status"], "new");
    let (status, moved) = app
        .call(
            Method::POST,
            &format!("/dossiers/{code}/transitions"),
            Some(&officer),
            Some(&json!({"to": "processing", "official_id": own_official})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    // An admin key reaches every unit, but still not an inactive official.
    let (status, _) = app
        .post(
            &format!("/dossiers/{code}/transitions"),
            &json!({"to": "waiting", "note": "Bổ sung", "official_id": foreign_official}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = app
        .post(
            &format!("/dossiers/{code}/transitions"),
            &json!({"to": "processing", "official_id": retired}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "official_id");
}

async fn an_import_outside_the_key_unit_is_forbidden_whole(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let (own, other) = (seeded.communes[4].id.0, seeded.communes[5].id.0);
    let proc_id = procedure(&app, "1.000302", "Hộ tịch", 3).await;
    let importer = app.key("integration", Some(own), &["dossiers:write"]).await;
    let foreign_official = official_of(&app, other).await;
    let line =
        |unit: i64| json!({"dossier": dossier(unit, proc_id, "online", "2023-10-02T02:00:00Z")});
    let import = |lines: Vec<Value>| {
        let importer = importer.clone();
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/dossiers/import",
                Some(&importer),
                Some(&Value::Array(lines)),
            )
            .await
        }
    };

    let mut named = line(own);
    named["events"] = json!([{"to": "processing", "at": "2023-10-03T02:00:00Z", "official_id": foreign_official}]);
    // A line with a wrong field too: the scope decides first, like for a single creation.
    let mut wrong = line(own);
    wrong["events"] = json!([{"to": "done", "at": "2023-11-01T00:00:00Z"}]);
    let (status, problem) = import(vec![line(own), line(other), named, wrong]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["type"], "/problems/forbidden");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("2 line(s) outside") && detail.contains("line 2:"),
        "{detail}"
    );
    assert!(
        detail.contains("line 3: `events[0].official_id`"),
        "{detail}"
    );
    assert!(
        !detail.contains("line 1:") && !detail.contains("line 4:"),
        "{detail}"
    );
    assert_eq!(app.count_rows("dossiers"), 0, "nothing was imported");

    // Within its unit, the same key imports; other errors stay per line (422).
    let (status, problem) = import(vec![line(own), {
        let mut l = line(own);
        l["events"] = json!([{"to": "done", "at": "2023-11-01T00:00:00Z"}]);
        l
    }])
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["rejected"][0]["line"], 2);
    let (status, report) = import(vec![line(own), line(own)]).await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    assert_eq!(report["imported"], 2);
}
