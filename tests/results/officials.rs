use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    official_crud,
    invalid_cccd_is_refused,
    staffing_table_reproduces_the_seed_appendix,
    staffing_counts_own_staff_by_title
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

const HEAD: &str = "Phó Chánh Văn phòng HĐND và UBND thị xã, Trưởng Bộ phận";
const CLERK: &str = "Cán bộ Văn phòng phụ trách Bộ phận Một cửa";

/// A staffing row's `own_by_title` as (title, count) pairs.
fn own_by_title(row: &Value) -> Vec<(String, i64)> {
    row["own_by_title"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["title"].as_str().unwrap().to_owned(),
                t["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn titles(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected
        .iter()
        .map(|(t, n)| ((*t).to_owned(), *n))
        .collect()
}

/// The footnote of the seed's appendix on the district desk's own staff, from the records: own
/// and seconded staff per title, leaders' titles first, agency staff and untitled staff apart.
async fn staffing_counts_own_staff_by_title(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let staffing = format!("/units/{}/staffing", seeded.district.id);
    let (status, table) = app.get(&staffing).await;
    assert_eq!(status, StatusCode::OK, "{table}");
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(own_by_title(&rows[0]), titles(&[(HEAD, 1), (CLERK, 1)]));
    assert!(
        rows[1..].iter().all(|r| own_by_title(r).is_empty()),
        "the seed records no title at the communes"
    );

    let desk = seeded.district_desk.id.0;
    let commune = seeded.communes[0].id.0;
    let mut person = 200;
    let mut add = |unit: i64, role: &str, staffing: &str, title: &str| {
        person += 1;
        let mut body = json!({
            "full_name": "Trần Văn Nam",
            "personal_id": format!("024190000{person}"),
            "unit_id": unit, "role": role, "staffing": staffing, "title": title
        });
        if staffing == "agency_sent" {
            body["agency"] = json!("post_office");
            body["agency_name"] = json!("Bưu điện thị xã Việt Yên");
        }
        body
    };
    for body in [
        // Seconded staff count as own; the title is tidied to the recorded one.
        add(desk, "reception", "seconded", &format!("  {CLERK} ")),
        // A leader recorded later still comes before the staff.
        add(desk, "leader", "own_staff", "Phó Trưởng Bộ phận"),
        // Agency staff are the other footnote's.
        add(desk, "reception", "agency_sent", "Nhân viên Bưu điện"),
        add(
            commune,
            "specialist",
            "own_staff",
            "Công chức Tư pháp - Hộ tịch",
        ),
    ] {
        let (status, created) = app.post("/officials", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }

    let (_, table) = app.get(&staffing).await;
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(
        own_by_title(&rows[0]),
        titles(&[(HEAD, 1), ("Phó Trưởng Bộ phận", 1), (CLERK, 2)])
    );
    assert_eq!(rows[0]["own_staff"], 4);
    let first_commune = rows.iter().find(|r| r["unit_id"] == commune).unwrap();
    assert_eq!(
        own_by_title(first_commune),
        titles(&[("Công chức Tư pháp - Hộ tịch", 1)])
    );
    assert_eq!(first_commune["own_staff"], 4, "3 untitled and 1 titled");
}
