//! Hostile PDFs over HTTP: field trees that loop or nest thousands deep, and more signature fields
//! than a verifier looks at, sent many at once beside ordinary verifications. Each answers
//! within the verification budget, the ordinary ones still pass, the server stays responsive;
//! and a detached-signature form that is not one is refused naming the part.

use std::time::{Duration, Instant};

use motcua_pki::pades::{DEFAULT_MAX_SIGNATURES, DEFAULT_VERIFY_BUDGET};
use motcua_tests::{corpus, hostile, on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

use super::corpus::install_trust_folder;

on_both_backends!(
    hostile_pdfs_answer_within_the_budget_while_others_are_verified,
    detached_forms_that_are_not_one_are_refused,
);

/// How many copies of each hostile PDF are sent at once.
const COPIES: usize = 4;

async fn hostile_pdfs_answer_within_the_budget_while_others_are_verified(app: TestApp) {
    install_trust_folder(&app, "trust").await;
    let valid = std::fs::read(corpus::path("pdf/valid-rsa.pdf")).unwrap();
    let looping = [
        (
            "a field listing itself three times",
            hostile::field_listing_itself(&valid),
        ),
        ("a two-field cycle", hostile::two_field_cycle(&valid)),
        ("5 000 nested fields", hostile::deeply_nested(&valid, 5_000)),
    ];
    let too_many = hostile::many_signature_fields(&valid, 60);

    let started = Instant::now();
    let mut requests = Vec::new();
    for _ in 0..COPIES {
        for (name, pdf) in &looping {
            requests.push((*name, pdf.clone()));
        }
        requests.push(("60 signature fields", too_many.clone()));
        requests.push(("valid", valid.clone()));
    }
    let answers = futures_util::future::join_all(requests.into_iter().map(|(name, pdf)| {
        let app = &app;
        async move {
            let sent = Instant::now();
            let (status, body) = app.post_bytes("/verify", "application/pdf", pdf).await;
            (name, status, body, sent.elapsed())
        }
    }))
    .await;
    for (name, status, body, took) in &answers {
        assert!(
            *took < DEFAULT_VERIFY_BUDGET,
            "{name} took {took:?}, more than the budget"
        );
        match *name {
            "valid" => {
                assert_eq!(*status, StatusCode::OK, "{body}");
                assert_eq!(indications(body), ["TOTAL_PASSED"], "{body}");
            }
            "60 signature fields" => {
                assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
                assert_eq!(body["invalid_params"][0]["name"], "body", "{body}");
                let reason = body["invalid_params"][0]["reason"].as_str().unwrap();
                assert!(
                    reason.contains(&format!("more than {DEFAULT_MAX_SIGNATURES}")),
                    "{reason}"
                );
            }
            looping => {
                // The real signature is still found and judged: an unsigned update followed it.
                assert_eq!(*status, StatusCode::OK, "{looping}: {body}");
                let found = indications(body);
                assert!(!found.is_empty(), "{looping}: {body}");
                assert!(
                    !found.contains(&"TOTAL_PASSED".to_owned()),
                    "{looping}: {body}"
                );
            }
        }
    }
    assert!(
        started.elapsed() < DEFAULT_VERIFY_BUDGET * 2,
        "{} verifications took {:?}",
        answers.len(),
        started.elapsed()
    );
    // Still responsive, and nothing is left running.
    let (status, _) = app.get("/health/live").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.post_bytes("/verify", "application/pdf", valid).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_for_idle_slots(&app).await;
}

/// Signature slots are all free again soon after the last answer.
async fn wait_for_idle_slots(app: &TestApp) {
    for _ in 0..100 {
        if app.state.web.signature_jobs.in_progress() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("signature slots still busy after every answer");
}

fn indications(answer: &Value) -> Vec<String> {
    answer
        .as_array()
        .map(|signatures| {
            signatures
                .iter()
                .map(|signature| {
                    corpus::outcome(
                        signature["report"]["indication"]
                            .as_str()
                            .unwrap_or_default(),
                        signature["report"]["sub_indication"].as_str(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A detached signature is the parts `signature` and `data`: any other form is a 4xx naming what
/// is wrong, and a body of another type a 415.
async fn detached_forms_that_are_not_one_are_refused(app: TestApp) {
    install_trust_folder(&app, "trust").await;
    let signature = std::fs::read(corpus::path("cms/valid-rsa.p7s")).unwrap();
    let data = std::fs::read(corpus::path("cms/data.txt")).unwrap();
    let anchors = app.count_rows("trust_anchors");
    let refused = [
        (vec![("signature", &signature[..])], "data"),
        (vec![("data", &data[..])], "signature"),
        (
            vec![
                ("signature", &signature[..]),
                ("data", &data[..]),
                ("extra", b"x"),
            ],
            "extra",
        ),
        (
            vec![
                ("signature", &signature[..]),
                ("signature", &signature[..]),
                ("data", &data[..]),
            ],
            "signature",
        ),
        (vec![("signature", b""), ("data", &data[..])], "signature"),
    ];
    for (parts, named) in refused {
        let (status, problem) = app.post_form("/verify", &parts).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{named}: {problem}"
        );
        assert_eq!(problem["invalid_params"][0]["name"], named, "{problem}");
    }
    let (status, problem) = app
        .post_form(
            "/verify",
            &[("signature", b"not a signature"), ("data", &data[..])],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = app.post_bytes("/verify", "text/plain", data.clone()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{problem}");
    // A signature too large for any CMS.
    let huge = vec![b'0'; motcua_web::signed_upload::MAX_SIGNATURE_BYTES + 1];
    let (status, problem) = app
        .post_form("/verify", &[("signature", &huge[..]), ("data", &data[..])])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    // The right form passes; revocation=skip says so in the checks.
    let (status, answer) = app
        .post_form(
            "/verify?revocation=skip",
            &[("signature", &signature[..]), ("data", &data[..])],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["form"], "detached");
    assert_eq!(
        answer["signature"]["indication"], "TOTAL_PASSED",
        "{answer}"
    );
    let (status, problem) = app
        .post_form(
            "/verify?revocation=never",
            &[("signature", &signature[..]), ("data", &data[..])],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(app.count_rows("trust_anchors"), anchors);
}
