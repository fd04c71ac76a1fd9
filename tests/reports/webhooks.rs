//! Push delivery of the report service's events: the same subscriptions and worker as the
//! results service, over the report service's own database. The events are published with the
//! services' own `publish`, in a transaction as a report's change would.

use std::time::Duration;

use motcua_core::access::Role;
use motcua_core::event::EventType;
use motcua_core::record_ids::UnitId;
use motcua_events::{publish, Publication};
use motcua_tests::webhook_receiver::WebhookReceiver;
use motcua_tests::{with_each_backend, Backend, ReportsApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr";

with_each_backend!(report_events_are_pushed_to_subscribers);

fn publish_report_events(app: &ReportsApp, unit: i64, count: usize) {
    let mut conn = app.pool.get().unwrap();
    motcua_db::write_transaction(&mut conn, |conn| {
        let publications: Vec<Publication> = (0..count)
            .map(|n| {
                Publication::new(
                    EventType::ReportIssued,
                    format!("{n}"),
                    vec![UnitId(unit), UnitId(1)],
                    &json!({"report_id": n}),
                )
                .unwrap()
            })
            .collect();
        publish(conn, &publications)
    })
    .unwrap();
}

async fn report_events_are_pushed_to_subscribers(backend: Backend) {
    let app = ReportsApp::start(backend, |config| {
        config.webhooks.allowed_hosts = "127.0.0.1".parse().unwrap();
        config.webhooks.first_retry = Duration::from_millis(20);
    })
    .await;
    let receiver = WebhookReceiver::start(SECRET);
    // A key limited to unit 7 subscribes to unit 7's events, and may name no other unit.
    let key = app.key(
        "Cổng tỉnh",
        Role::Integration,
        Some(UnitId(7)),
        &["subscriptions:write"],
    );
    let body = json!({"callback_url": receiver.url, "secret": SECRET});
    let (status, created) = app
        .call(Method::POST, "/subscriptions", &key, Some(&body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["subscription"]["unit_id"], 7);
    let id = created["subscription"]["id"].as_i64().unwrap();
    let other = json!({"callback_url": receiver.url, "unit_id": 8});
    let (status, _) = app
        .call(Method::POST, "/subscriptions", &key, Some(&other))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .call(
            Method::POST,
            "/subscriptions",
            &key,
            Some(&json!({"callback_url": "https://10.0.0.1/"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "callback_url");

    publish_report_events(&app, 8, 2);
    publish_report_events(&app, 7, 3);
    let received = receiver
        .wait_for("unit 7's events", |got| got.len() >= 3)
        .await;
    let subjects: Vec<&str> = received
        .iter()
        .map(|r| r.event["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["0", "1", "2"], "only unit 7's, in order");
    assert!(received.windows(2).all(|w| w[0].sequence < w[1].sequence));
    assert!(receiver.bad().is_empty(), "{:?}", receiver.bad());
    assert!(received
        .iter()
        .all(|r| r.event["source"] == "urn:motcua:reports"));

    let (status, shown) = app
        .call(Method::GET, &format!("/subscriptions/{id}"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["delivered_through"], received[2].sequence);
    assert!(shown.get("secret").is_none());
    assert_eq!(app.count_rows("subscriptions"), 1);
}
