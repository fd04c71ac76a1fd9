//! The results service is killed with SIGKILL in the middle of dossier intake from 16 clients,
//! then started again: every dossier whose creation was acknowledged (201) is there with its
//! history, the daily codes have no gaps, and the statistics counters equal the raw GROUP BY.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use motcua_db::{DbPool, PoolOptions};
use motcua_tests::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::ServeProcess;

const CLIENTS: usize = 16;
/// Acknowledged dossiers before the kill: enough that the kill lands in the middle of the load.
const ACKNOWLEDGED_BEFORE_KILL: usize = 150;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    acknowledged_dossiers_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    acknowledged_dossiers_survive_sigkill(Backend::Postgres).await;
}

async fn acknowledged_dossiers_survive_sigkill(backend: Backend) {
    let mut process = ServeProcess::start(backend).await;
    let client = reqwest::Client::new();
    let api = Api {
        client: &client,
        base: &process.base_url,
        key: &process.admin_key,
    };
    let commune = first_unit(&api, "commune").await;
    let procedure = new_procedure(&api).await;
    let body = Arc::new(dossier(commune, procedure));

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(file_until_refused(
                client.clone(),
                process.base_url.clone(),
                process.admin_key.clone(),
                Arc::clone(&body),
                Arc::clone(&acknowledged),
            ))
        })
        .collect();
    let started = Instant::now();
    while acknowledged.load(Ordering::SeqCst) < ACKNOWLEDGED_BEFORE_KILL {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "intake too slow: {}",
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    process.kill();
    let mut codes = Vec::new();
    for client in clients {
        codes.extend(client.await.unwrap());
    }
    assert!(codes.len() >= ACKNOWLEDGED_BEFORE_KILL);

    process.spawn().await;
    let api = Api {
        client: &client,
        base: &process.base_url,
        key: &process.admin_key,
    };
    for code in &codes {
        let (status, view) = api.get(&format!("/dossiers/{code}")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "acknowledged {code} was lost: {view}"
        );
        assert_eq!(
            view["history"].as_array().unwrap().len(),
            1,
            "{code}: {view}"
        );
    }
    let stored = stored_codes(&process.db.url);
    assert_gap_free(&stored);
    assert!(stored.len() >= codes.len());
    assert_counters_equal_raw(&api).await;
    // The restarted service takes dossiers again, continuing the sequence.
    let (status, created) = api.post("/dossiers", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let next: usize = sequence_number(created["code"].as_str().unwrap());
    assert_eq!(next, stored.len() + 1);
}

struct Api<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
    key: &'a str,
}

impl Api<'_> {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.key)
            .send()
            .await
            .unwrap();
        motcua_tests::read(response).await
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.key)
            .json(body)
            .send()
            .await
            .unwrap();
        motcua_tests::read(response).await
    }
}

/// The id of the seed's first unit of `kind`.
async fn first_unit(api: &Api<'_>, kind: &str) -> i64 {
    let (status, units) = api.get("/units?limit=100").await;
    assert_eq!(status, StatusCode::OK, "{units}");
    units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|unit| unit["kind"] == kind)
        .and_then(|unit| unit["id"].as_i64())
        .unwrap_or_else(|| panic!("the seed has a {kind}"))
}

async fn new_procedure(api: &Api<'_>) -> i64 {
    let body = json!({
        "code": "1.000200", "name": "Đăng ký khai sinh", "field": "Hộ tịch",
        "levels": ["commune"], "processing_days": 3, "online_level": "full",
        "decision": {"number": "1.000200/QĐ-UBND", "date": "2023-01-01"}
    });
    let (status, created) = api.post("/procedures", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

fn dossier(unit: i64, procedure: i64) -> Value {
    json!({
        "unit_id": unit, "procedure_id": procedure, "channel": "direct",
        "applicant": {"kind": "citizen", "name": "Nguyễn Thị Hoa", "id_number": "024190001234"},
        "components": [{"name": "Tờ khai", "digitisation": "digitised"}],
        "submitted_at": "2024-03-04T02:00:00Z"
    })
}

/// Files dossiers until the service stops answering; the codes acknowledged with 201.
async fn file_until_refused(
    client: reqwest::Client,
    base: String,
    key: String,
    body: Arc<Value>,
    acknowledged: Arc<AtomicUsize>,
) -> Vec<String> {
    let mut codes = Vec::new();
    loop {
        let sent = client
            .post(format!("{base}/dossiers"))
            .bearer_auth(&key)
            .json(&*body)
            .send()
            .await;
        let Ok(response) = sent else { return codes };
        let status = response.status();
        let Ok(text) = response.text().await else {
            return codes;
        };
        assert_eq!(status, StatusCode::CREATED, "{text}");
        let created: Value = serde_json::from_str(&text).unwrap();
        codes.push(created["code"].as_str().unwrap().to_owned());
        acknowledged.fetch_add(1, Ordering::SeqCst);
    }
}

fn sequence_number(code: &str) -> usize {
    code.rsplit('-').next().unwrap().parse().unwrap()
}

fn stored_codes(url: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let pool = DbPool::open(url, PoolOptions::default()).unwrap();
    let mut conn = pool.get().unwrap();
    diesel::sql_query("SELECT code FROM dossiers")
        .load::<Code>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect()
}

/// One unit, one day: the numbers are exactly 1..=n.
fn assert_gap_free(codes: &[String]) {
    let mut numbers: Vec<usize> = codes.iter().map(|c| sequence_number(c)).collect();
    numbers.sort_unstable();
    let expected: Vec<usize> = (1..=numbers.len()).collect();
    assert_eq!(numbers, expected, "the daily sequence has gaps or repeats");
}

/// The counters maintained with each dossier equal the GROUP BY over the dossiers.
async fn assert_counters_equal_raw(api: &Api<'_>) {
    let district = first_unit(api, "district").await;
    for period in ["2024-03", "2024"] {
        let path = format!("/statistics/form-06?unit={district}&period={period}");
        let (status, counted) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{counted}");
        let (_, raw) = api.get(&format!("{path}&method=raw")).await;
        assert_eq!(
            counted["rows"], raw["rows"],
            "{period}: counters and GROUP BY differ"
        );
        assert_eq!(counted["total"], raw["total"], "{period}");
    }
}
