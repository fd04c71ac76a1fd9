//! Signature and seal images: stored, read back byte for byte with their hash as `ETag`, and
//! removed by admins, each change audited; once removed, signatures fall back to the neutral
//! stand-in.

use motcua_core::access::Role;
use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_db::reports::AppearanceOwner;
use motcua_pki::pades;
use motcua_reports::routes::appearance_images::stored_image;
use motcua_tests::{Backend, ReportsApp};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

motcua_tests::with_each_backend!(images_are_read_and_removed);

async fn put_png(reports: &ReportsApp, path: &str, key: &str, png: Vec<u8>) -> StatusCode {
    reports
        .client
        .put(reports.url(path))
        .bearer_auth(key)
        .header("Content-Type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap()
        .status()
}

/// Status, `Content-Type`, `ETag` and body of a GET.
async fn get(reports: &ReportsApp, path: &str, key: &str) -> (StatusCode, String, String, Vec<u8>) {
    let response = reports
        .client
        .get(reports.url(path))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, etag) = (header("content-type"), header("etag"));
    (
        response.status(),
        content_type,
        etag,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// The audit records of `action`, as (object type, object id, detail).
fn audited(reports: &ReportsApp, action: &str) -> Vec<(String, String, serde_json::Value)> {
    let mut conn = reports.pool.get().unwrap();
    motcua_db::audit::range(&mut conn, None, None)
        .unwrap()
        .into_iter()
        .filter(|event| event.action == action)
        .map(|event| {
            let detail = serde_json::from_str(&event.detail).unwrap();
            (event.object_type, event.object_id, detail)
        })
        .collect()
}

async fn images_are_read_and_removed(backend: Backend) {
    let reports = ReportsApp::start(backend, |_| {}).await;
    let admin = reports.admin_key.clone();
    let officer = reports.key("cán bộ", Role::Officer, Some(UnitId(7)), &[]);
    let seal = pades::sample_seal_png(400);
    let signature = pades::sample_signature_png(600, 200);
    let cases = [
        ("/units/7/seal-image", seal, "seal_image", "7"),
        (
            "/officials/42/signature-image",
            signature,
            "signature_image",
            "42",
        ),
    ];
    for (path, png, _, _) in &cases {
        let (status, _, _, body) = get(&reports, path, &admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(String::from_utf8_lossy(&body).contains("has no"), "{path}");
        assert_eq!(
            put_png(&reports, path, &admin, png.clone()).await,
            StatusCode::OK
        );
        // Any key reads it: the same bytes, tagged with their hash.
        let (status, content_type, etag, body) = get(&reports, path, &officer).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(content_type, "image/png");
        assert_eq!(body, *png);
        assert_eq!(etag, format!("\"{}\"", hex::encode(Sha256::digest(png))));
        // Officers cannot remove it, and their attempt changes nothing.
        let (status, problem) = reports.call(Method::DELETE, path, &officer, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
        assert_eq!(get(&reports, path, &admin).await.0, StatusCode::OK);
    }
    // A malformed id is 400 on the path, not a removal.
    let (status, problem) = reports
        .call(Method::DELETE, "/units/07/seal-image", &admin, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    for (path, png, object_type, object_id) in &cases {
        let response = reports
            .client
            .delete(reports.url(path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        assert!(response.bytes().await.unwrap().is_empty());
        assert_eq!(get(&reports, path, &admin).await.0, StatusCode::NOT_FOUND);
        let (status, problem) = reports.call(Method::DELETE, path, &admin, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
        let removed = audited(&reports, "appearance_image.removed");
        let record = removed
            .iter()
            .find(|(t, id, _)| t == object_type && id == object_id)
            .unwrap_or_else(|| panic!("no removal record for {path}: {removed:?}"));
        assert_eq!(record.2["sha256"], hex::encode(Sha256::digest(png)));
    }
    // One record per removal, none for the refused or repeated ones.
    assert_eq!(audited(&reports, "appearance_image.removed").len(), 2);
    // What the next signatures draw: nothing stored, so the neutral stroke and generated seal.
    let mut conn = reports.pool.get().unwrap();
    for owner in [
        AppearanceOwner::Unit(UnitId(7)),
        AppearanceOwner::Official(OfficialId(42)),
    ] {
        assert!(stored_image(&mut conn, owner).unwrap().is_none());
    }
}
