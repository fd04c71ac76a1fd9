use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    unit_crud,
    merge_keeps_history_and_rolls_up,
    pagination_spans_pages,
    names_are_stored_as_nfc,
    subtree_filters
);

async fn create(app: &TestApp, code: &str, name: &str, kind: &str, parent: Option<i64>) -> i64 {
    let body = json!({"code": code, "name": name, "kind": kind, "parent_id": parent, "valid_from": "2020-01-01"});
    let (status, unit) = app.post("/units", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{unit}");
    unit["id"].as_i64().unwrap()
}

async fn unit_crud(app: TestApp) {
    let province = create(
        &app,
        "000.00.00.H05",
        "UBND tỉnh Bắc Giang",
        "province",
        None,
    )
    .await;
    let district = create(
        &app,
        "000.00.24.H05",
        "UBND thị xã Việt Yên",
        "district",
        Some(province),
    )
    .await;

    let (status, unit) = app.get(&format!("/units/{district}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unit["name"], "UBND thị xã Việt Yên");
    assert_eq!(unit["parent_id"], province);
    assert!(
        unit["created_at"].as_str().unwrap().ends_with('Z'),
        "times carry their offset: {unit}"
    );

    let (status, unit) = app
        .patch(
            &format!("/units/{district}"),
            &json!({"name": "UBND  thị xã Việt Yên ", "tax_code": "0400260612"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{unit}");
    assert_eq!(
        unit["name"], "UBND thị xã Việt Yên",
        "white space is tidied"
    );
    assert_eq!(unit["tax_code"], "0400260612");

    let (status, unit) = app
        .patch(&format!("/units/{district}"), &json!({"tax_code": null}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(unit["tax_code"].is_null(), "null clears an optional field");

    let (status, problem) = app.post("/units", &json!({"code": "000.00.24.H05", "name": "Trùng", "kind": "district", "valid_from": "2020-01-01"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    let (status, problem) = app
        .patch(
            &format!("/units/{province}"),
            &json!({"parent_id": district}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a unit cannot move under its own child: {problem}"
    );
    assert_eq!(problem["invalid_params"][0]["name"], "parent_id");

    let (status, _) = app.get("/units/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, events) = app
        .get(&format!(
            "/audit-events?object_type=unit&object_id={district}"
        ))
        .await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["unit.create", "unit.update", "unit.update"]);
}

async fn merge_keeps_history_and_rolls_up(app: TestApp) {
    let district = create(
        &app,
        "000.00.24.H05",
        "UBND thị xã Việt Yên",
        "district",
        None,
    )
    .await;
    let old = create(
        &app,
        "000.01.24.H05",
        "UBND xã Tự Lạn",
        "commune",
        Some(district),
    )
    .await;
    let new = create(
        &app,
        "000.02.24.H05",
        "UBND xã Việt Tiến",
        "commune",
        Some(district),
    )
    .await;
    let hamlet = create(&app, "000.01.01.24.H05", "Tổ dân phố 1", "other", Some(old)).await;

    let (status, merged) = app
        .post(
            &format!("/units/{old}/merge"),
            &json!({"into": new, "effective_date": "2025-07-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["valid_to"], "2025-06-30");
    assert_eq!(merged["merged_into_id"], new);

    let (_, below_new) = app.get(&format!("/units?under={new}")).await;
    let ids: Vec<i64> = below_new["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        [old, new, hamlet],
        "the merged unit and its children roll up into the new one"
    );

    let (_, before) = app
        .get(&format!("/units?parent={district}&active_on=2025-06-30"))
        .await;
    assert_eq!(
        before["items"].as_array().unwrap().len(),
        2,
        "both communes existed before the merge"
    );
    let (_, after) = app
        .get(&format!("/units?parent={district}&active_on=2025-07-01"))
        .await;
    let after: Vec<i64> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(after, [new]);

    let (status, problem) = app
        .post(
            &format!("/units/{old}/merge"),
            &json!({"into": new, "effective_date": "2025-08-01"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a closed unit cannot be merged again: {problem}"
    );
    let (status, problem) = app
        .post(
            &format!("/units/{district}/merge"),
            &json!({"into": new, "effective_date": "2025-08-01"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no merge into a descendant: {problem}"
    );
    assert_eq!(problem["invalid_params"][0]["name"], "into");
    let (status, problem) = app
        .post(
            &format!("/units/{new}/merge"),
            &json!({"into": old, "effective_date": "2025-08-01"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no merge into a unit that no longer exists: {problem}"
    );
}

async fn pagination_spans_pages(app: TestApp) {
    let root = create(&app, "000.00.00.H99", "UBND tỉnh thử", "province", None).await;
    for n in 0..7 {
        create(
            &app,
            &format!("000.{n:02}.01.H99"),
            &format!("Xã {n}"),
            "commune",
            Some(root),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = format!("/units?parent={root}&limit=3");
    let mut pages = 0;
    loop {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for unit in page["items"].as_array().unwrap() {
            seen.push(unit["name"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => path = format!("/units?parent={root}&limit=3&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (0..7).map(|n| format!("Xã {n}")).collect::<Vec<_>>());

    let (status, problem) = app.get("/units?limit=501").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["invalid_params"][0]["name"], "limit");
    let (status, problem) = app.get("/units?cursor=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["invalid_params"][0]["name"], "cursor");
}

async fn names_are_stored_as_nfc(app: TestApp) {
    let decomposed = "UBND xa\u{0303} Tăng Tie\u{0302}\u{0301}n";
    let id = create(&app, "000.17.24.H05", decomposed, "commune", None).await;
    let (_, unit) = app.get(&format!("/units/{id}")).await;
    assert_eq!(unit["name"], "UBND xã Tăng Tiến");
    let (_, found) = app.get("/units?q=T%C4%83ng%20Tie%CC%82%CC%81n").await;
    assert_eq!(
        found["items"].as_array().unwrap().len(),
        1,
        "a decomposed search text finds the precomposed name"
    );
}

async fn subtree_filters(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let (_, page) = app
        .get(&format!(
            "/units?under={}&kind=commune&limit=500",
            seeded.district.id
        ))
        .await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        16,
        "16 xã; TT Nếnh is a township"
    );
    let (_, page) = app
        .get(&format!(
            "/units?under={}&kind=thi_tran&limit=500",
            seeded.district.id
        ))
        .await;
    assert_eq!(page["items"][0]["name"], "UBND thị trấn Nếnh", "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = app
        .get(&format!("/units?parent={}", seeded.province.id))
        .await;
    assert_eq!(page["items"][0]["name"], "UBND thị xã Việt Yên");
}
