use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    procedure_crud_and_filters,
    new_version_supersedes_the_old_one
);

fn birth_registration() -> Value {
    json!({
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch",
        "levels": ["commune"],
        "processing_days": 0,
        "online_level": "full",
        "fee_vnd": 0,
        "decision": {"number": "1872/QĐ-BTP", "date": "2020-10-28"}
    })
}

async fn procedure_crud_and_filters(app: TestApp) {
    let (status, created) = app.post("/procedures", &birth_registration()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["levels"], json!(["commune"]));
    assert_eq!(created["current"], true);

    let land = json!({
        "code": "1.004227", "name": "Đăng ký biến động quyền sử dụng đất", "field": "Đất đai",
        "levels": ["district"], "processing_days": 10, "online_level": "partial", "non_boundary": true,
        "decision": {"number": "1085/QĐ-BTNMT", "date": "2019-05-15"}
    });
    let (status, _) = app.post("/procedures", &land).await;
    assert_eq!(status, StatusCode::CREATED);

    let (_, page) = app.get("/procedures?field=H%E1%BB%99%20t%E1%BB%8Bch").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = app.get("/procedures?level=district").await;
    assert_eq!(page["items"][0]["code"], "1.004227");
    let (_, page) = app.get("/procedures?online_level=full").await;
    assert_eq!(page["items"][0]["id"], id);

    let (status, patched) = app
        .patch(
            &format!("/procedures/{id}"),
            &json!({"fee_note": "Miễn lệ phí"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["fee_note"], "Miễn lệ phí");

    let (status, problem) = app.post("/procedures", &birth_registration()).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one version in force per code: {problem}"
    );

    let mut bad = birth_registration();
    bad["code"] = json!("1001193");
    bad["levels"] = json!([]);
    let (status, problem) = app.post("/procedures", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let names: Vec<&str> = problem["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["code", "levels"],
        "all invalid fields are reported together"
    );
}

async fn new_version_supersedes_the_old_one(app: TestApp) {
    let (_, first) = app.post("/procedures", &birth_registration()).await;
    let first_id = first["id"].as_i64().unwrap();
    let mut amended = birth_registration();
    amended["processing_days"] = json!(1);
    amended["decision"] = json!({"number": "2000/QĐ-UBND", "date": "2024-03-01"});
    amended["supersedes"] = json!({"id": first_id, "kind": "amends"});
    let (status, second) = app.post("/procedures", &amended).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second_id = second["id"].as_i64().unwrap();
    assert_eq!(
        second["supersedes"],
        json!({"id": first_id, "kind": "amends"})
    );

    let (_, old) = app.get(&format!("/procedures/{first_id}")).await;
    assert_eq!(old["current"], false);
    assert_eq!(old["superseded_by_id"], second_id);

    let (_, current) = app.get("/procedures?code=1.001193").await;
    let items = current["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "only the version in force is listed by default"
    );
    assert_eq!(items[0]["id"], second_id);
    let (_, history) = app
        .get("/procedures?code=1.001193&include_history=true")
        .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 2);

    amended["decision"]["number"] = json!("2001/QĐ-UBND");
    let (status, problem) = app.post("/procedures", &amended).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a superseded version cannot be superseded again: {problem}"
    );
    assert_eq!(
        app.count_rows("procedures"),
        2,
        "the refused request changed nothing"
    );
}
