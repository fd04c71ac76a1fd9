//! `motcua serve` is killed with SIGKILL while a subscriber holds a delivery unanswered, then
//! started again: every event is delivered, in order, and only the one in flight is delivered
//! a second time, with the same `webhook-id`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use motcua_tests::webhook_receiver::{first_receipts, WebhookReceiver};
use motcua_tests::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::ServeProcess;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    delivered_at_most_once_more_after_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    delivered_at_most_once_more_after_sigkill(Backend::Postgres).await;
}

async fn delivered_at_most_once_more_after_sigkill(backend: Backend) {
    let mut process = ServeProcess::start(backend).await;
    let client = reqwest::Client::new();
    // The restarted process listens at the same address.
    let (base, key) = (process.base_url.clone(), process.admin_key.clone());
    let call = |path: &str, body: Option<Value>| {
        let mut request = match &body {
            Some(body) => client.post(format!("{base}{path}")).json(body),
            None => client.get(format!("{base}{path}")),
        };
        request = request.bearer_auth(&key);
        async move { motcua_tests::read(request.send().await.unwrap()).await }
    };
    let (status, units) = call("/units?limit=100", None).await;
    assert_eq!(status, StatusCode::OK, "{units}");
    let commune = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|unit| unit["kind"] == "commune")
        .and_then(|unit| unit["id"].as_i64())
        .unwrap();
    let (status, procedure) = call(
        "/procedures",
        Some(
            json!({"code": "1.000200", "name": "Đăng ký khai sinh", "field": "Hộ tịch",
            "levels": ["commune"], "processing_days": 3, "online_level": "full",
            "decision": {"number": "1.000200/QĐ-UBND", "date": "2023-01-01"}}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{procedure}");
    let dossier = json!({
        "unit_id": commune, "procedure_id": procedure["id"], "channel": "direct",
        "applicant": {"kind": "citizen", "name": "Nguyễn Thị Hoa", "id_number": "024190001234"},
        "components": [{"name": "Tờ khai", "digitisation": "digitised"}],
        "submitted_at": "2024-03-04T02:00:00Z"
    });
    let receiver = WebhookReceiver::start(SECRET);
    let (status, created) = call(
        "/subscriptions",
        Some(json!({"callback_url": receiver.url, "secret": SECRET})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let start = created["subscription"]["delivered_through"]
        .as_i64()
        .unwrap();

    for _ in 0..3 {
        let (status, _) = call("/dossiers", Some(dossier.clone())).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    receiver
        .wait_for("the first three", |got| got.len() >= 3)
        .await;
    receiver.hold_next();
    for _ in 0..3 {
        let (status, _) = call("/dossiers", Some(dossier.clone())).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let in_flight = receiver
        .wait_for("the held one", |got| got.len() >= 4)
        .await[3]
        .clone();
    process.kill();
    receiver.release();

    process.spawn().await;
    let (status, page) = call(&format!("/events?after={start}"), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let expected: Vec<(i64, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let sequence = e["sequence"].as_str().unwrap().parse().unwrap();
            (sequence, e["id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(expected.len(), 6);
    let received = receiver
        .wait_for("every event after the restart", |got| {
            first_receipts(got).len() >= expected.len()
        })
        .await;
    assert_eq!(first_receipts(&received), expected, "none lost, in order");
    let again: Vec<&str> = received[4..]
        .iter()
        .filter(|r| received[..4].iter().any(|before| before.id == r.id))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        again.len() <= 1 && again.iter().all(|id| *id == in_flight.id),
        "only the delivery in flight is repeated: {again:?} (in flight: {})",
        in_flight.id
    );
    assert!(receiver.bad().is_empty(), "{:?}", receiver.bad());
}
