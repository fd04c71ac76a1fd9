//! The committed OpenAPI document of the report service equals what the code generates.

const COMMITTED: &str = include_str!("../../api-spec/reports.openapi.json");

#[test]
fn committed_document_matches_the_code() {
    let generated = motcua_web::openapi::document_json(
        motcua_reports::openapi::base(),
        motcua_reports::routes::configure,
    );
    if generated != COMMITTED {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../api-spec/reports.openapi.json"
        );
        if std::env::var_os("MOTCUA_UPDATE_SPEC").is_some() {
            std::fs::write(path, &generated).unwrap();
            return;
        }
        panic!(
            "api-spec/reports.openapi.json is out of date with the code.\n\
             Regenerate it with `cargo run --bin motcua -- openapi` (or MOTCUA_UPDATE_SPEC=1 cargo test) and review the diff."
        );
    }
}

#[test]
fn every_operation_is_documented_with_its_errors() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/reports",
        "/reports/{id}/ready",
        "/reports/{id}/leader-signing-sessions",
        "/leader-signing-sessions/{session_id}/signature",
        "/reports/{id}/issue",
        "/reports/{id}/submission",
        "/inbox",
        "/rollup",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                !operation["summary"].as_str().unwrap_or("").is_empty(),
                "{method} {path} has a summary"
            );
            if !path.starts_with("/health") && path != "/metrics" {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
            }
        }
    }
}
