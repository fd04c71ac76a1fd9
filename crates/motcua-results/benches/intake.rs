//! Intake benchmark: dossiers created over HTTP with keep-alive by 16 concurrent clients, on
//! SQLite and on PostgreSQL, with p50/p99 latency; alongside, the single-row INSERT rate of
//! PostgreSQL alone (pgbench, 16 clients, a custom script) as the limit.
//!
//! ```sh
//! cargo bench -p motcua-results --bench intake          # MOTCUA_BENCH_SECONDS=10 by default
//! ```

mod common;

use std::time::{Duration, Instant};

use motcua_db::{DbPool, PoolOptions};
use motcua_results::config::ResultsConfig;
use serde_json::json;

/// The allocator of the service binaries, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CLIENTS: usize = 16;

fn main() {
    let seconds: u64 = std::env::var("MOTCUA_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sqlite = format!("sqlite://{}/intake.sqlite3", dir.path().display());
    let postgres = common::postgres_database("motcua_bench_intake", true);
    let mut postgres_rate = None;
    for (name, url) in [("SQLite", sqlite), ("PostgreSQL", postgres.clone())] {
        let result = run_intake(&url, Duration::from_secs(seconds));
        let rate = result.count as f64 / result.elapsed.as_secs_f64();
        println!(
            "{name}: {} dossiers in {:.1} s = {rate:.0} dossiers/s; latency p50 {:.1} ms, p99 {:.1} ms ({CLIENTS} clients, keep-alive)",
            result.count,
            result.elapsed.as_secs_f64(),
            common::ms(result.p50),
            common::ms(result.p99)
        );
        if name == "PostgreSQL" {
            postgres_rate = Some(rate);
        }
    }
    let limits = [
        (
            "one dossier row into `dossiers`",
            pgbench_dossier_rate(&postgres, seconds),
        ),
        (
            "one row into a table of four columns",
            pgbench_insert_rate(seconds),
        ),
    ];
    for (what, limit) in limits {
        match (limit, postgres_rate) {
            (Ok(tps), Some(rate)) => println!(
                "PostgreSQL alone (pgbench, {CLIENTS} clients, single-row INSERT per transaction, {what}): {tps:.0} inserts/s; intake at {:.0} % of it",
                100.0 * rate / tps
            ),
            (Ok(tps), None) => println!("PostgreSQL alone ({what}): {tps:.0} inserts/s"),
            (Err(error), _) => println!("pgbench not run ({what}): {error}"),
        }
    }
}

struct Outcome {
    count: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

fn run_intake(url: &str, duration: Duration) -> Outcome {
    let pool = DbPool::open(
        url,
        PoolOptions {
            max_connections: 20,
            ..PoolOptions::default()
        },
    )
    .expect("open the database");
    let key = common::admin_key(&pool);
    // A unit numbers at most 9999 dossiers a day, so the load is spread over the district's 18
    // units and over the past year.
    let (units, procedure) = {
        let mut conn = pool.get().expect("a connection");
        let seeded = motcua_results::seed::seed_viet_yen(&mut conn).expect("seed");
        let (district_procedures, _) =
            motcua_testdata::generate::catalogue(&mut conn).expect("catalogue");
        let mut units = vec![seeded.district_desk.id];
        units.extend(seeded.communes.iter().map(|c| c.id));
        (units, district_procedures[0].id)
    };
    let mut config = ResultsConfig::for_database(url);
    config.workers = 2;
    config.db_pool_size = 20;
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
    // Named apart from the service's threads, so that profiles tell the client's share.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .expect("a runtime");
    let outcome = runtime.block_on(async move {
        let started = Instant::now();
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|client_index| {
                let (units, key) = (units.clone(), key.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let mut latencies = Vec::new();
                    let mut n = client_index;
                    while started.elapsed() < duration {
                        n += CLIENTS;
                        let submitted = chrono::Utc::now() - chrono::Duration::days(i64::try_from(n / units.len() % 365).unwrap_or(0));
                        let body = json!({
                            "unit_id": units[n % units.len()], "procedure_id": procedure, "channel": "online",
                            "applicant": {"kind": "citizen", "name": "Nguyễn Văn An", "id_number": "024090001234"},
                            "components": [{"name": "Tờ khai", "digitisation": "digitised"}],
                            "submitted_at": submitted
                        });
                        let sent = Instant::now();
                        let response = client.post(format!("http://{addr}/dossiers")).bearer_auth(&key).json(&body).send().await.expect("a response");
                        let status = response.status();
                        let text = response.text().await.unwrap_or_default();
                        assert_eq!(status, reqwest::StatusCode::CREATED, "{text}");
                        latencies.push(sent.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.expect("a client"));
        }
        let elapsed = started.elapsed();
        latencies.sort();
        Outcome { count: latencies.len(), elapsed, p50: common::percentile(&latencies, 50), p99: common::percentile(&latencies, 99) }
    });
    stop_server(&handle);
    outcome
}

/// Transactions per second of one single-row INSERT each into a table of four columns, 16
/// clients.
fn pgbench_insert_rate(seconds: u64) -> Result<f64, String> {
    let url = common::postgres_database("motcua_bench_pgbench", true);
    psql(&url, "CREATE TABLE IF NOT EXISTS inserts (id BIGSERIAL PRIMARY KEY, unit_id BIGINT NOT NULL, code TEXT NOT NULL, received_at TIMESTAMP NOT NULL)")?;
    pgbench(
        &url,
        "INSERT INTO inserts (unit_id, code, received_at) VALUES (1, md5(random()::text), now());\n",
        seconds,
    )
}

/// Transactions per second of one single-row INSERT each of a dossier row into the intake
/// bench's own `dossiers` table (its indexes, unique code and foreign keys), 16 clients.
fn pgbench_dossier_rate(url: &str, seconds: u64) -> Result<f64, String> {
    let unit = psql(url, "SELECT min(id) FROM units")?;
    let procedure = psql(url, "SELECT min(id) FROM procedures")?;
    let script = format!(
        "INSERT INTO dossiers (code, unit_id, procedure_id, field, channel, status, applicant_kind, \
         applicant_name, applicant_id_number, submitted_at, received_at, received_on, due_at, due_on, \
         digitised, reused, electronic_result, created_at, updated_at) VALUES ('P-' || md5(random()::text), \
         {unit}, {procedure}, 'Đất đai', 'online', 'new', 'citizen', 'Nguyễn Văn An', '024090001234', \
         now(), now(), current_date, now() + interval '10 days', current_date + 10, true, false, false, \
         now(), now());\n"
    );
    pgbench(url, &script, seconds)
}

/// Runs `sql` with psql and returns what it printed, trimmed.
fn psql(url: &str, sql: &str) -> Result<String, String> {
    let output = std::process::Command::new("psql")
        .args([url, "-qtAc", sql])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// pgbench's transactions per second running `script` with 16 clients.
fn pgbench(url: &str, script: &str, seconds: u64) -> Result<f64, String> {
    let file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::fs::write(file.path(), script).map_err(|e| e.to_string())?;
    let output = std::process::Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &CLIENTS.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(file.path())
        .arg(url)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .ok_or_else(|| {
            format!(
                "unexpected pgbench output: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

/// Stops the server from this thread; the server runs on its own thread and actix system.
fn stop_server(handle: &actix_web::dev::ServerHandle) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(handle.stop(false));
}
