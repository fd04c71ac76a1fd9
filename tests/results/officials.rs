use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    official_crud,
    invalid_cccd_is_refused,
    staffing_table_reproduces_the_seed_appendix
);

fn official(unit: i64) -> Value {
    json!({
        "full_name": "Nguyễn Thị Lan",
        "personal_id": "024190000123",
        "unit_id": unit,
        "role": "reception",
        "staffing": "agency_sent",
        "agency": "post_office",
        "agency_name": "Bưu điện thị xã Việt Yên"
    })
}

async fn official_crud(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let desk = seeded.district_desk.id.0;
    let (status, created) = app.post("/officials", &official(desk)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();

    let (status, fetched) = app.get(&format!("/officials/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["full_name"], "Nguyễn Thị Lan");
    assert_eq!(fetched["agency"], "post_office");

    let commune = seeded.communes[0].id.0;
    let (status, moved) = app.patch(&format!("/officials/{id}"), &json!({"unit_id": commune, "staffing": "own_staff", "agency": null, "agency_name": null})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["unit_id"], commune);
    assert!(moved["agency"].is_null());

    let (status, problem) = app
        .patch(
            &format!("/officials/{id}"),
            &json!({"staffing": "agency_sent"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "agency_sent needs an agency: {problem}"
    );
    assert_eq!(problem["invalid_params"][0]["name"], "agency");

    let (_, listed) = app
        .get(&format!("/officials?unit={commune}&limit=500"))
        .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        4,
        "3 seeded + the moved official"
    );

    let (status, problem) = app.post("/officials", &official(desk)).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one record per person: {problem}"
    );
}

async fn invalid_cccd_is_refused(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let before = app.count_rows("officials");
    for (bad, why) in [
        ("02419000012", "11 digits"),
        ("0241900001234", "13 digits"),
        ("02419000012x", "a letter"),
        ("003190000123", "no such province"),
    ] {
        let mut body = official(seeded.district_desk.id.0);
        body["personal_id"] = json!(bad);
        let (status, problem) = app.post("/officials", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {problem}");
        assert_eq!(problem["invalid_params"][0]["name"], "personal_id", "{why}");
    }
    let mut body = official(seeded.district_desk.id.0);
    body["unit_id"] = json!(987654);
    let (status, problem) = app.post("/officials", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "unit_id");
    assert_eq!(app.count_rows("officials"), before, "nothing was stored");
}

/// The appendix of the seed report: staff per desk, own staff and staff sent by agencies.
async fn staffing_table_reproduces_the_seed_appendix(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let (status, table) = app
        .get(&format!("/units/{}/staffing", seeded.district.id))
        .await;
    assert_eq!(status, StatusCode::OK, "{table}");
    let rows = table["rows"].as_array().unwrap();

    let expected_communes = [
        ("Thượng Lan", 3),
        ("Trung Sơn", 3),
        ("Tiên Sơn", 4),
        ("Nghĩa Trung", 4),
        ("Minh Đức", 4),
        ("Vân Trung", 3),
        ("Bích Động", 3),
        ("Tự Lạn", 3),
        ("Việt Tiến", 3),
        ("Hương Mai", 4),
        ("Vân Hà", 3),
        ("Quảng Minh", 3),
        ("Ninh Sơn", 3),
        ("Quang Châu", 3),
        ("Nếnh", 3),
        ("Hồng Thái", 4),
        ("Tăng Tiến", 4),
    ];
    let desk = &rows[0];
    assert_eq!(desk["unit_name"], "Bộ phận Một cửa thị xã Việt Yên");
    assert_eq!(
        (
            desk["total"].as_i64(),
            desk["own_staff"].as_i64(),
            desk["agency_sent"].as_i64()
        ),
        (Some(12), Some(2), Some(10))
    );
    let by_agency: Vec<(String, i64)> = desk["by_agency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["agency"].as_str().unwrap().to_owned(),
                a["count"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected_agencies = [
        ("electricity", 1),
        ("land_registry", 2),
        ("natural_resources", 1),
        ("post_office", 3),
        ("social_insurance", 2),
        ("tax", 1),
    ];
    assert_eq!(by_agency, expected_agencies.map(|(a, n)| (a.to_owned(), n)));

    let communes: Vec<(String, i64)> = rows[1..]
        .iter()
        .map(|r| {
            (
                // "UBND xã Thượng Lan", and "UBND thị trấn Nếnh" for the township.
                r["unit_name"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("UBND xã ")
                    .trim_start_matches("UBND thị trấn ")
                    .to_owned(),
                r["total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(communes, expected_communes.map(|(n, c)| (n.to_owned(), c)));
    assert_eq!(
        table["total"], 69,
        "57 at the communes and 12 at the district desk"
    );
    assert_eq!(table["agency_sent"], 10);

    // The leader who signs the report is an official of the district, not of a desk.
    let (_, leaders) = app
        .get(&format!(
            "/officials?under={}&role=leader",
            seeded.district.id
        ))
        .await;
    let names: Vec<&str> = leaders["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["full_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Thân Văn Thuận"), "{names:?}");
}
