//! Events benchmark: how soon a long-polling reader of `GET /events` gets the event of a change,
//! on SQLite and on PostgreSQL. Each round, a reader waits (`wait=30s`) after the last event; a
//! dossier is then created; the latency is from the moment the creation's answer arrives (its
//! transaction committed before it was sent) to the moment the reader's answer arrives.
//!
//! ```sh
//! cargo bench -p motcua-results --bench events      # MOTCUA_BENCH_ROUNDS=200 by default
//! ```

mod common;

use std::time::{Duration, Instant};

use motcua_db::{DbPool, PoolOptions};
use motcua_results::config::ResultsConfig;
use serde_json::{json, Value};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let rounds: usize = std::env::var("MOTCUA_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sqlite = format!("sqlite://{}/events.sqlite3", dir.path().display());
    let postgres = common::postgres_database("motcua_bench_events", true);
    for (name, url) in [("SQLite", sqlite), ("PostgreSQL", postgres)] {
        let mut latencies = long_poll_latencies(&url, rounds);
        latencies.sort();
        println!(
            "{name}: event to a long-polling reader after its commit, {rounds} rounds: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            common::ms(common::percentile(&latencies, 50)),
            common::ms(common::percentile(&latencies, 99)),
            common::ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        );
    }
}

fn long_poll_latencies(url: &str, rounds: usize) -> Vec<Duration> {
    let pool = DbPool::open(url, PoolOptions::default()).expect("open the database");
    let key = common::admin_key(&pool);
    let (unit, procedure) = {
        let mut conn = pool.get().expect("a connection");
        let seeded = motcua_results::seed::seed_viet_yen(&mut conn).expect("seed");
        let (district_procedures, _) =
            motcua_testdata::generate::catalogue(&mut conn).expect("catalogue");
        (seeded.district_desk.id, district_procedures[0].id)
    };
    let mut config = ResultsConfig::for_database(url);
    config.workers = 2;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let (server, addr) = motcua_results::start_with_pool(config, pool).expect("start");
            sender
                .send((server.handle(), addr))
                .expect("report the address");
            let _ = server.run().await;
        });
    });
    let (handle, addr) = receiver.recv().expect("the server started");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let latencies = runtime.block_on(async move {
        let client = reqwest::Client::new();
        let mut after = 0;
        let mut latencies = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let reader = {
                let (client, key) = (client.clone(), key.clone());
                let url = format!("http://{addr}/events?after={after}&wait=30s");
                tokio::spawn(async move {
                    let page: Value = client.get(url).bearer_auth(key).send().await.expect("an answer").json().await.expect("a page");
                    (Instant::now(), page)
                })
            };
            // Long enough for the reader's first look to find nothing and start waiting.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let body = json!({
                "unit_id": unit, "procedure_id": procedure, "channel": "online",
                "applicant": {"kind": "citizen", "name": "Nguyễn Văn An", "id_number": "024090001234"},
                "components": [{"name": "Tờ khai", "digitisation": "digitised"}],
                "submitted_at": chrono::Utc::now()
            });
            let response = client.post(format!("http://{addr}/dossiers")).bearer_auth(&key).json(&body).send().await.expect("a response");
            assert_eq!(response.status(), reqwest::StatusCode::CREATED);
            let committed = Instant::now();
            let (answered, page) = reader.await.expect("the reader");
            assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
            after = page["next_after"].as_i64().expect("a sequence");
            // Zero when the reader's answer came first: the transaction commits before the
            // creation's answer is sent.
            latencies.push(answered.saturating_duration_since(committed));
        }
        latencies
    });
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(handle.stop(false));
    latencies
}
