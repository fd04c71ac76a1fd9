//! The third-party corpus (`tests/corpus`, made by openssl and pyHanko) over HTTP: every
//! certificate through `POST /certificates/validate` and every signature through `POST /verify`
//! gets the verdict written in `expected.toml`, the trust store loaded through the API from the
//! case's trust folder.

use base64::Engine;
use motcua_pki::parse_certificates;
use motcua_tests::corpus::{self, assert_all_agree, Case, Kind};
use motcua_tests::{with_each_backend, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

with_each_backend!(every_corpus_verdict_over_http);

async fn every_corpus_verdict_over_http(backend: Backend) {
    let cases = corpus::load().cases;
    let mut mismatches = Vec::new();
    let mut checked = 0;
    let mut trusts: Vec<&str> = cases.iter().map(|case| case.trust.as_str()).collect();
    trusts.sort_unstable();
    trusts.dedup();
    for trust in trusts {
        let app = TestApp::start(backend).await;
        install_trust_folder(&app, trust).await;
        for case in cases.iter().filter(|case| case.trust == trust) {
            let found = match case.kind {
                Kind::Certificate => certificate_verdicts(&app, case).await,
                _ => signature_verdicts(&app, case).await,
            };
            checked += found.len();
            mismatches.extend(found.into_iter().filter_map(|(what, got, expected)| {
                (got != expected).then(|| format!("{what}: got {got}, expected {expected}"))
            }));
        }
    }
    assert_all_agree(
        "POST /verify and /certificates/validate",
        &mismatches,
        checked,
        54,
    );
}

/// Roots (self-signed) and intermediates of the folder, then its CRLs, through the API.
pub(crate) async fn install_trust_folder(app: &TestApp, trust: &str) {
    let mut files: Vec<_> = std::fs::read_dir(corpus::path(trust))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let (crls, certificates): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|file| file.extension().is_some_and(|ext| ext == "crl"));
    for file in certificates {
        let pem = std::fs::read_to_string(&file).unwrap();
        let certificate = parse_certificates(pem.as_bytes()).unwrap().remove(0);
        let kind = if certificate.is_self_signed() {
            "root"
        } else {
            "intermediate"
        };
        let (status, added) = app
            .post("/trust-anchors", &json!({"kind": kind, "certificate": pem}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {added}", file.display());
    }
    for file in crls {
        let der = std::fs::read(&file).unwrap();
        let (status, imported) = app.post("/crls", &json!({"crl": base64(&der)})).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{}: {imported}",
            file.display()
        );
    }
}

/// `(what, got, expected)` for the certificate with its chain, and alone when that differs.
async fn certificate_verdicts(app: &TestApp, case: &Case) -> Vec<(String, String, String)> {
    let pem = |file: &str| std::fs::read_to_string(corpus::path(file)).unwrap();
    let chain: Vec<String> = case.extra_certs.iter().map(|file| pem(file)).collect();
    let mut asked = vec![(
        format!("{} (with its chain)", case.id),
        chain,
        case.status.clone().unwrap_or_default(),
    )];
    if let Some(alone) = &case.status_alone {
        asked.push((format!("{} (alone)", case.id), Vec::new(), alone.clone()));
    }
    let mut verdicts = Vec::new();
    for (what, chain, expected) in asked {
        let (status, report) = app
            .post(
                "/certificates/validate",
                &json!({"certificate": pem(&case.file), "chain": chain}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{what}: {report}");
        let got = report["verdict"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        verdicts.push((what, got, expected));
    }
    verdicts
}

/// `(what, got, expected)` for each signature of the case.
async fn signature_verdicts(app: &TestApp, case: &Case) -> Vec<(String, String, String)> {
    let file = std::fs::read(corpus::path(&case.file)).unwrap();
    let (status, answer) = match case.kind {
        Kind::Pdf => app.post_bytes("/verify", "application/pdf", file).await,
        Kind::CmsAttached => {
            app.post_bytes("/verify", "application/pkcs7-signature", file)
                .await
        }
        Kind::CmsDetached => {
            let data = std::fs::read(corpus::path(case.content.as_deref().unwrap())).unwrap();
            app.post_form("/verify", &[("signature", &file), ("data", &data)])
                .await
        }
        Kind::Certificate => unreachable!("certificates are validated, not verified"),
    };
    assert_eq!(status, StatusCode::OK, "{}: {answer}", case.id);
    let reports: Vec<&Value> = match &answer {
        Value::Array(signatures) => signatures
            .iter()
            .map(|signature| &signature["report"])
            .collect(),
        cms => vec![&cms["signature"]],
    };
    let mut verdicts = Vec::new();
    for (index, expected) in case.signature.iter().enumerate() {
        let what = format!("{} signature {} ({})", case.id, index + 1, expected.reason);
        let got = reports.get(index).map_or("(missing)".to_owned(), |report| {
            corpus::outcome(
                report["indication"].as_str().unwrap_or_default(),
                report["sub_indication"].as_str(),
            )
        });
        verdicts.push((what, got, expected.outcome()));
    }
    if reports.len() != case.signature.len() {
        verdicts.push((
            format!("{} signature count", case.id),
            reports.len().to_string(),
            case.signature.len().to_string(),
        ));
    }
    verdicts
}

fn base64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}
