//! API fuzzing of the results service against its committed OpenAPI document, with records in
//! the database so that reads find something and writes meet real state.

use motcua_tests::fuzzing::{fuzz, FuzzTarget, Known};
use motcua_tests::{on_both_backends, TestApp};
use serde_json::{json, Value};

on_both_backends!(every_answer_conforms_to_the_document);

async fn every_answer_conforms_to_the_document(app: TestApp) {
    app.seed_viet_yen_with_dossiers();
    let known = known_records(&app).await;
    fuzz(FuzzTarget {
        document: "results.openapi.json",
        base_url: &app.base_url,
        admin_key: &app.admin_key,
        known: &known,
    })
    .await;
}

/// The records put above, by the parameters that name them.
async fn known_records(app: &TestApp) -> Vec<Known> {
    let units = app.listed("/units?limit=500", "id").await;
    let dossiers = app.listed("/dossiers?limit=100", "code").await;
    let officials = app.listed("/officials?limit=100", "id").await;
    let procedures = app.listed("/procedures?limit=100", "id").await;
    let periods = ["2024", "2024-Q1", "2024-01", "2024-01-01..2024-01-31"];
    vec![
        Known::everywhere("path.code", dossiers),
        Known::everywhere("path.position", vec![json!(1), json!(2)]),
        Known::everywhere("path.year", vec![json!(2024)]),
        Known::everywhere("query.unit", units.clone()),
        Known::everywhere("query.under", units.clone()),
        Known::everywhere("query.period", periods.map(Value::from).to_vec()),
        Known::everywhere("body.unit_id", units.clone()),
        Known::everywhere("body.parent_id", units.clone()),
        Known::everywhere("body.procedure_id", procedures.clone()),
        Known::everywhere("body.official_id", officials.clone()),
        Known::everywhere("body.receiving_official_id", officials.clone()),
        Known::on(r"^/units/\{id\}", "path.id", units),
        Known::on(r"^/officials/\{id\}", "path.id", officials),
        Known::on(r"^/procedures/\{id\}", "path.id", procedures),
    ]
}
