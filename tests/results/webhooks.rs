//! Push delivery of the results service's events to a subscriber over real HTTP: every event in
//! order, signed, once; nothing lost while the subscriber is down; the dead letter and
//! redelivery; callback URLs the allow-list refuses.

use std::time::Duration;

use motcua_tests::webhook_receiver::{first_receipts, WebhookReceiver};
use motcua_tests::{on_both_backends_with, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::dossiers::{create, dossier, procedure, step};

/// A secret of the test's own (Standard Webhooks form, 32 bytes).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr";

on_both_backends_with!(
    retrying_quickly,
    events_arrive_in_order_signed_once,
    nothing_is_lost_while_the_subscriber_is_down,
    disallowed_callbacks_are_refused
);
on_both_backends_with!(giving_up_after_three, dead_letter_and_redelivery);

/// Loopback allowed (the subscriber runs there), retries from 20 ms.
async fn retrying_quickly(backend: Backend) -> TestApp {
    TestApp::start_with(backend, |config| {
        config.webhooks.allowed_hosts = "127.0.0.1".parse().unwrap();
        config.webhooks.first_retry = Duration::from_millis(20);
        config.webhooks.max_attempts = 50;
    })
    .await
}

async fn giving_up_after_three(backend: Backend) -> TestApp {
    TestApp::start_with(backend, |config| {
        config.webhooks.allowed_hosts = "127.0.0.1".parse().unwrap();
        config.webhooks.first_retry = Duration::from_millis(20);
        config.webhooks.max_attempts = 3;
    })
    .await
}

async fn subscribe(app: &TestApp, body: Value) -> Value {
    let (status, created) = app.post("/subscriptions", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// Dossiers received at the seed district's desk, one moved on: the events published.
async fn some_changes(app: &TestApp, (desk, procedure_id): (i64, i64), count: usize) {
    for _ in 0..count {
        let created = create(
            app,
            &dossier(desk, procedure_id, "direct", "2024-03-04T02:00:00Z"),
        )
        .await;
        let code = created["code"].as_str().unwrap();
        step(app, code, "processing", "2024-03-04T03:00:00Z", None).await;
    }
}

/// The events `GET /events` lists after `after`: what the subscriber must receive.
async fn published_after(app: &TestApp, after: i64) -> Vec<(i64, String)> {
    let (status, page) = app.get(&format!("/events?after={after}&limit=1000")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["sequence"].as_str().unwrap().parse().unwrap(),
                e["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn events_arrive_in_order_signed_once(app: TestApp) {
    let desk = app.seed_viet_yen().district_desk.id.0;
    let procedure_id = (desk, procedure(&app, "1.000100", "Hộ tịch", 5).await);
    some_changes(&app, procedure_id, 1).await;
    let receiver = WebhookReceiver::start(SECRET);
    let created = subscribe(
        &app,
        json!({"callback_url": receiver.url, "secret": SECRET,
               "event_types": ["vn.motcua.dossier.created", "vn.motcua.dossier.transitioned"]}),
    )
    .await;
    assert_eq!(created["secret"], SECRET, "shown once, at creation");
    let subscription = &created["subscription"];
    let id = subscription["id"].as_i64().unwrap();
    let start = subscription["delivered_through"].as_i64().unwrap();
    assert!(start > 0, "starts after the events already published");

    some_changes(&app, procedure_id, 3).await;
    let expected = published_after(&app, start).await;
    assert_eq!(expected.len(), 6, "three created, three moved");
    let received = receiver
        .wait_for("six events", |got| got.len() >= expected.len())
        .await;
    let got: Vec<(i64, String)> = received
        .iter()
        .map(|r| (r.sequence, r.id.clone()))
        .collect();
    assert_eq!(got, expected, "each event once, in sequence order");
    assert!(receiver.bad().is_empty(), "{:?}", receiver.bad());
    assert_eq!(received[0].event["type"], "vn.motcua.dossier.created");
    assert_eq!(received[0].event["specversion"], "1.0");

    let (status, shown) = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert!(
        shown.get("secret").is_none(),
        "the secret is never shown again"
    );
    assert_eq!(shown["state"], "active");
    assert_eq!(shown["attempts"], 0);
    // The cursor moves past each event before the next is sent.
    let last = expected.last().unwrap().0;
    let cursor = shown["delivered_through"].as_i64().unwrap();
    assert!(cursor >= last, "{shown}");
    assert!(shown["last_delivered_at"].is_string(), "{shown}");
    let (_, page) = app.get("/subscriptions").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/subscriptions/{id}"),
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count_rows("subscriptions"), 0);
}

async fn nothing_is_lost_while_the_subscriber_is_down(app: TestApp) {
    let desk = app.seed_viet_yen().district_desk.id.0;
    let procedure_id = (desk, procedure(&app, "1.000100", "Hộ tịch", 5).await);
    let receiver = WebhookReceiver::start(SECRET);
    // A generated secret: the subscriber learns it from the answer.
    let created = subscribe(&app, json!({"callback_url": receiver.url})).await;
    receiver.set_secret(created["secret"].as_str().unwrap());
    let start = created["subscription"]["delivered_through"]
        .as_i64()
        .unwrap();
    let id = created["subscription"]["id"].as_i64().unwrap();

    receiver.set_down(true);
    some_changes(&app, procedure_id, 2).await;
    receiver.wait_for_refusals(2).await;
    some_changes(&app, procedure_id, 2).await;
    let (_, shown) = app.get(&format!("/subscriptions/{id}")).await;
    assert!(shown["last_error"].as_str().is_some(), "{shown}");
    assert_eq!(receiver.received().len(), 0, "nothing accepted while down");

    receiver.set_down(false);
    let expected = published_after(&app, start).await;
    assert_eq!(expected.len(), 8);
    let received = receiver
        .wait_for("every event", |got| {
            first_receipts(got).len() >= expected.len()
        })
        .await;
    assert_eq!(
        first_receipts(&received),
        expected,
        "none lost, none out of order"
    );
    assert!(receiver.bad().is_empty(), "{:?}", receiver.bad());
}

async fn dead_letter_and_redelivery(app: TestApp) {
    let desk = app.seed_viet_yen().district_desk.id.0;
    let procedure_id = (desk, procedure(&app, "1.000100", "Hộ tịch", 5).await);
    let receiver = WebhookReceiver::start(SECRET);
    let created = subscribe(
        &app,
        json!({"callback_url": receiver.url, "secret": SECRET}),
    )
    .await;
    let id = created["subscription"]["id"].as_i64().unwrap();
    let start = created["subscription"]["delivered_through"]
        .as_i64()
        .unwrap();
    receiver.set_down(true);
    some_changes(&app, procedure_id, 1).await;
    receiver.wait_for_refusals(3).await;
    let shown = wait_for_state(&app, id, "dead_letter").await;
    assert_eq!(shown["attempts"], 3, "{shown}");
    assert!(
        shown["last_error"].as_str().unwrap().contains("503"),
        "{shown}"
    );
    assert_eq!(shown["delivered_through"], start, "nothing acknowledged");
    assert_eq!(receiver.refused(), 3, "no attempt after the dead letter");

    receiver.set_down(false);
    let (status, resumed) = app
        .post(&format!("/subscriptions/{id}/redelivery"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed["state"], "active");
    assert_eq!(resumed["attempts"], 0);
    let expected = published_after(&app, start).await;
    let received = receiver
        .wait_for("after the redelivery", |got| got.len() >= expected.len())
        .await;
    assert_eq!(first_receipts(&received), expected);

    // A rewind delivers the same events again, with the same ids.
    let (status, _) = app
        .post(
            &format!("/subscriptions/{id}/redelivery"),
            &json!({"from_sequence": expected[0].0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let again = receiver
        .wait_for("the rewind", |got| got.len() >= 2 * expected.len())
        .await;
    assert_eq!(first_receipts(&again[expected.len()..]), expected);
    let (status, problem) = app
        .post(
            &format!("/subscriptions/{id}/redelivery"),
            &json!({"from_sequence": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "from_sequence");
}

async fn wait_for_state(app: &TestApp, id: i64, state: &str) -> Value {
    for _ in 0..600 {
        let (_, shown) = app.get(&format!("/subscriptions/{id}")).await;
        if shown["state"] == state {
            return shown;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("subscription {id} never became {state}");
}

async fn disallowed_callbacks_are_refused(app: TestApp) {
    let seeded = app.seed_viet_yen();
    let receiver = WebhookReceiver::start(SECRET);
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let refused = [
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://10.0.0.1/hook".to_owned(),
        format!("http://localhost:{port}/hook"),
        format!("https://localhost:{port}/hook"),
        "file:///etc/passwd".to_owned(),
        format!("http://user:password@127.0.0.1:{port}/hook"),
        "https://[::1]/hook".to_owned(),
        "not a url".to_owned(),
    ];
    for url in refused {
        let (status, problem) = app
            .post("/subscriptions", &json!({"callback_url": url}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {problem}");
        assert_eq!(
            problem["invalid_params"][0]["name"], "callback_url",
            "{url}"
        );
    }
    for (body, field) in [
        (
            json!({"callback_url": receiver.url, "secret": "secret"}),
            "secret",
        ),
        (
            json!({"callback_url": receiver.url, "event_types": ["vn.motcua.dossier.deleted"]}),
            "event_types[0]",
        ),
        (
            json!({"callback_url": receiver.url, "from_sequence": 0}),
            "from_sequence",
        ),
        (
            json!({"callback_url": receiver.url, "unit_id": 999_999}),
            "unit_id",
        ),
    ] {
        let (status, problem) = app.post("/subscriptions", &body).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(problem["invalid_params"][0]["name"], field, "{body}");
    }
    assert_eq!(app.count_rows("subscriptions"), 0, "nothing stored");

    // An integration key with the scope, limited to a commune: its own unit by default, no
    // unit outside its subtree; an officer's key may not subscribe.
    let commune = seeded.communes[0].id.0;
    let integration = app
        .key("integration", Some(commune), &["subscriptions:write"])
        .await;
    let body = json!({"callback_url": receiver.url});
    let (status, created) = app
        .call(
            Method::POST,
            "/subscriptions",
            Some(&integration),
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["subscription"]["unit_id"], commune);
    let outside = json!({"callback_url": receiver.url, "unit_id": seeded.district.id.0});
    let (status, _) = app
        .call(
            Method::POST,
            "/subscriptions",
            Some(&integration),
            Some(&outside),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let officer = app.key("officer", Some(commune), &[]).await;
    let (status, _) = app
        .call(Method::POST, "/subscriptions", Some(&officer), Some(&body))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.count_rows("subscriptions"), 1);
}
