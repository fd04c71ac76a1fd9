//! The event log of the results service: one CloudEvents record per change of a dossier or of a
//! certificate's verdict, in commit order, read with `GET /events` (filters, pages, unit scope,
//! long-polling).

use std::time::Duration;

use chrono::Duration as Span;
use motcua_pki::testpki::CrlSpec;
use motcua_pki::RevocationReason;
use motcua_tests::{on_both_backends, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dossiers::{create, dossier, procedure, step};
use crate::electronic_results::{post_result, result_pdf, Setup};

on_both_backends!(
    every_change_publishes_one_event_in_commit_order,
    events_are_paged_filtered_and_scoped,
    a_long_poll_answers_with_the_next_event,
);

/// Every event after `after`, read page by page (`limit=2`, so that the pages are exercised).
async fn events_after(app: &TestApp, key: &str, after: i64, filter: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = after;
    loop {
        let (status, page) = app
            .call(
                Method::GET,
                &format!("/events?after={after}&limit=2{filter}"),
                Some(key),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        if items.is_empty() {
            assert_eq!(page["next_after"], after, "an empty page keeps the cursor");
            return events;
        }
        assert!(items.len() <= 2);
        after = page["next_after"].as_i64().unwrap();
        assert_eq!(
            items.last().unwrap()["sequence"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
            after
        );
        events.extend(items.iter().cloned());
    }
}

/// `(type without the prefix, subject)` of each event.
fn kinds(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|event| {
            let kind = event["type"].as_str().unwrap();
            (
                kind.strip_prefix("vn.motcua.").unwrap().to_owned(),
                event["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn last_sequence(app: &TestApp) -> i64 {
    let mut after = 0;
    loop {
        let (status, page) = app.get(&format!("/events?after={after}&limit=1000")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        if page["items"].as_array().unwrap().is_empty() {
            return after;
        }
        after = page["next_after"].as_i64().unwrap();
    }
}

/// A whole second `minutes` from now (the result is signed now: later changes come after it).
fn later(minutes: i64) -> String {
    (chrono::Utc::now() + Span::minutes(minutes))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

async fn every_change_publishes_one_event_in_commit_order(app: TestApp) {
    let setup = Setup::new(&app).await;
    let certificate = setup.certificate_id.to_string();
    let code = setup.code.clone();
    // Changes that other systems are not told about: an apology, a rating (below).
    let (status, apology) = app
        .post(
            &format!("/dossiers/{code}/apologies"),
            &json!({"new_appointment_at": "2024-03-20T02:00:00Z", "reason": "Cần xác minh thêm", "at": "2024-03-12T02:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{apology}");
    setup.store_key(&app).await;
    let (status, signed) = post_result(&app, &setup, result_pdf()).await;
    assert_eq!(status, StatusCode::CREATED, "{signed}");
    let done_at = later(2);
    step(&app, &code, "done", &done_at, None).await;
    let (status, _) = app
        .post(
            &format!("/dossiers/{code}/rating"),
            &json!({"rating": "satisfied", "at": later(3)}),
        )
        .await;
    assert!(status.is_success());
    // A refused change publishes nothing.
    let before = app.count_rows("events");
    let (status, _) = app
        .post(
            &format!("/dossiers/{code}/transitions"),
            &json!({"to": "processing", "at": later(4)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.count_rows("events"), before);
    // The certificate is revoked: its verdict changes when the CRL is imported.
    let spec = CrlSpec {
        number: 2,
        ..CrlSpec::current(setup.pki.now())
    }
    .revoke(
        setup.certificate.certificate(),
        setup.pki.now() - Span::hours(1),
        Some(RevocationReason::KeyCompromise),
    );
    let crl = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        setup.pki.crl(&spec).unwrap(),
    );
    let (status, imported) = app.post("/crls", &json!({"crl": crl})).await;
    assert_eq!(status, StatusCode::CREATED, "{imported}");

    let events = events_after(&app, &app.admin_key, 0, "").await;
    assert_eq!(
        kinds(&events),
        [
            ("certificate.registered", certificate.as_str()),
            ("dossier.created", code.as_str()),
            ("dossier.transitioned", code.as_str()),
            ("dossier.result_signed", code.as_str()),
            ("dossier.returned", code.as_str()),
            ("certificate.verdict_changed", certificate.as_str()),
        ]
        .map(|(kind, subject)| (kind.to_owned(), subject.to_owned()))
    );
    assert_eq!(app.count_rows("events"), 6);

    // CloudEvents attributes, and increasing sequence numbers with unique ids.
    let mut sequences = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for event in &events {
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["source"], "urn:motcua:results");
        assert_eq!(event["datacontenttype"], "application/json");
        assert!(event["time"].as_str().unwrap().ends_with('Z'), "{event}");
        assert_eq!(event["sequence"].as_str().unwrap().len(), 20);
        assert!(ids.insert(event["id"].as_str().unwrap().to_owned()));
        sequences.push(event["sequence"].as_str().unwrap().to_owned());
    }
    assert!(
        sequences.windows(2).all(|pair| pair[0] < pair[1]),
        "{sequences:?}"
    );

    // What each says.
    let commune = setup.commune;
    let registered = &events[0]["data"];
    assert_eq!(registered["kind"], "organisation");
    assert_eq!(registered["unit_id"], commune);
    assert_eq!(registered["usable"], true);
    assert!(registered["previous_status"].is_null());
    assert_eq!(
        registered["links"]["certificate"],
        format!("/certificates/{certificate}")
    );
    let created = &events[1]["data"];
    assert_eq!(created["dossier_code"], code.as_str());
    assert!(created["from_status"].is_null());
    assert_eq!(created["status"], "new");
    assert_eq!(created["at"], "2024-03-04T02:00:00Z");
    assert_eq!(events[1]["unitid"], commune);
    assert!(
        created.get("applicant").is_none(),
        "no personal data in events"
    );
    assert_eq!(events[2]["data"]["from_status"], "new");
    assert_eq!(events[2]["data"]["status"], "processing");
    let result = &events[3]["data"];
    assert_eq!(result["from_status"], "processing");
    assert_eq!(result["status"], "releasing");
    assert_eq!(
        result["links"]["result"],
        format!("/dossiers/{code}/result")
    );
    assert_eq!(events[4]["data"]["status"], "done");
    assert_eq!(events[4]["data"]["at"], done_at.as_str());
    let revoked = &events[5]["data"];
    assert_eq!(revoked["previous_status"], "valid");
    assert_eq!(revoked["previous_usable"], true);
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["usable"], false);
    // Each link leads to the resource.
    for link in [
        registered["links"]["certificate"].as_str().unwrap(),
        created["links"]["dossier"].as_str().unwrap(),
        result["links"]["result"].as_str().unwrap(),
    ] {
        let response = app
            .client
            .get(app.url(link))
            .bearer_auth(&app.admin_key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{link}");
    }
}

async fn events_are_paged_filtered_and_scoped(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let (first, second) = (seeded.communes[0].id.0, seeded.communes[1].id.0);
    let procedure_id = procedure(&app, "1.000105", "Đất đai", 2).await;
    let start = last_sequence(&app).await;
    let mut codes = Vec::new();
    for unit in [first, second, first] {
        let created = create(
            &app,
            &dossier(unit, procedure_id, "direct", "2024-07-01T02:00:00Z"),
        )
        .await;
        let code = created["code"].as_str().unwrap().to_owned();
        step(&app, &code, "processing", "2024-07-02T02:00:00Z", None).await;
        codes.push(code);
    }

    // By type.
    let created = events_after(
        &app,
        &app.admin_key,
        start,
        "&type=vn.motcua.dossier.created",
    )
    .await;
    assert_eq!(created.len(), 3);
    let both = events_after(
        &app,
        &app.admin_key,
        start,
        "&type=vn.motcua.dossier.created,vn.motcua.dossier.transitioned",
    )
    .await;
    assert_eq!(both.len(), 6);
    // By unit: a commune's subtree; the district's holds both communes.
    let of_first = events_after(&app, &app.admin_key, start, &format!("&unit={first}")).await;
    assert_eq!(of_first.len(), 4);
    assert!(of_first.iter().all(|e| e["unitid"] == first));
    let district = seeded.district.id.0;
    let of_district = events_after(&app, &app.admin_key, start, &format!("&unit={district}")).await;
    assert_eq!(of_district.len(), 6);

    // A key limited to the second commune sees its events only, whatever it asks.
    let officer = app.key("officer", Some(second), &[]).await;
    let seen = events_after(&app, &officer, start, "").await;
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|e| e["subject"] == codes[1].as_str()));
    assert!(
        events_after(&app, &officer, start, &format!("&unit={first}"))
            .await
            .is_empty()
    );
    // Once the first commune is merged into the second, the second's key reads the first's
    // earlier events too, as it reads its dossiers.
    let (status, merged) = app
        .post(
            &format!("/units/{first}/merge"),
            &json!({"into": second, "effective_date": "2025-07-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let seen = events_after(&app, &officer, start, "").await;
    assert_eq!(seen.len(), 6);
    assert_eq!(
        events_after(&app, &officer, start, &format!("&unit={first}"))
            .await
            .len(),
        4
    );

    // Integration keys need the scope.
    let without = app.key("integration", None, &["dossiers:read"]).await;
    let (status, refused) = app.call(Method::GET, "/events", Some(&without), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let with = app.key("integration", None, &["events:read"]).await;
    assert_eq!(events_after(&app, &with, start, "").await.len(), 6);

    // Bad parameters are named.
    for (query, name) in [
        ("type=vn.motcua.dossier.deleted", "type"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("after=-1", "after"),
        ("wait=61s", "wait"),
        ("wait=soon", "wait"),
    ] {
        let (status, problem) = app.get(&format!("/events?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {problem}");
        assert_eq!(
            problem["invalid_params"][0]["name"], name,
            "{query}: {problem}"
        );
    }
}

async fn a_long_poll_answers_with_the_next_event(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[2].id.0;
    let procedure_id = procedure(&app, "1.000105", "Đất đai", 2).await;
    let start = last_sequence(&app).await;

    // Nothing new: the answer waits, then comes back empty.
    let began = std::time::Instant::now();
    let (status, page) = app.get(&format!("/events?after={start}&wait=1s")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["items"].as_array().unwrap().is_empty());
    assert!(began.elapsed() >= Duration::from_millis(900), "it waited");

    // A poll waiting when a dossier is created answers with its event, long before its wait
    // is up (the latency itself is measured by the events benchmark).
    let poll = {
        let (client, url, key) = (
            app.client.clone(),
            app.url(&format!("/events?after={start}&wait=30s")),
            app.admin_key.clone(),
        );
        tokio::spawn(async move {
            let response = client.get(url).bearer_auth(key).send().await.unwrap();
            (
                std::time::Instant::now(),
                motcua_tests::read(response).await,
            )
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let created = create(
        &app,
        &dossier(unit, procedure_id, "online", "2024-07-01T02:00:00Z"),
    )
    .await;
    let committed = std::time::Instant::now();
    let (answered, (status, page)) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["subject"], created["code"]);
    assert!(
        answered.saturating_duration_since(committed) < Duration::from_secs(20),
        "answered by the event, not by the end of the wait"
    );
}
