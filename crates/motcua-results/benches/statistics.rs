//! Statistics benchmark: Biểu 06 for one district and one year from the counters, against the
//! raw GROUP BY over the dossier table measured in the same run; then the peak memory (VmHWM) of
//! the service process while it answers statistics and list requests over that data.
//!
//! ```sh
//! # PostgreSQL, 10 million dossiers (generated once into the database `motcua_bench_10m`):
//! MOTCUA_BENCH_DOSSIERS=10000000 cargo bench -p motcua-results --bench statistics
//! # SQLite, 1 million:
//! MOTCUA_BENCH_DATABASE_URL=sqlite:///tmp/motcua-bench-1m.sqlite3 MOTCUA_BENCH_DOSSIERS=1000000 cargo bench -p motcua-results --bench statistics
//! ```

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use motcua_core::form06::Method;
use motcua_core::period::Period;
use motcua_core::record_ids::UnitId;
use motcua_db::{DbPool, PoolOptions};
use motcua_results::statistics::form06;

fn main() {
    let dossiers: u64 = std::env::var("MOTCUA_BENCH_DOSSIERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let districts: u32 = std::env::var("MOTCUA_BENCH_DISTRICTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let url = std::env::var("MOTCUA_BENCH_DATABASE_URL").unwrap_or_else(|_| {
        common::postgres_database(&format!("motcua_bench_{}", label(dossiers)), false)
    });
    let pool = DbPool::open(
        &url,
        PoolOptions {
            max_connections: 4,
            ..PoolOptions::default()
        },
    )
    .expect("open the benchmark database");
    let district = prepare(&pool, dossiers, districts);
    let period: Period = "2023".parse().expect("a period");
    let mut conn = pool.get().expect("a connection");
    let counted =
        form06(&mut conn, district, period, Method::Counters).expect("Biểu 06 from counters");
    let raw = form06(&mut conn, district, period, Method::Raw).expect("Biểu 06 from dossiers");
    assert_eq!(counted.total, raw.total, "counters and GROUP BY must agree");
    let fast = time(30, || {
        form06(&mut conn, district, period, Method::Counters).map(|_| ())
    });
    let slow = time(5, || {
        form06(&mut conn, district, period, Method::Raw).map(|_| ())
    });
    drop(conn);
    println!("backend: {:?}, dossiers: {dossiers}, district {district}, period 2023 ({} dossiers handled)", pool.backend(), counted.total.total);
    println!(
        "Biểu 06 from counters: p50 {:.1} ms, p95 {:.1} ms (30 runs)",
        common::ms(fast.0),
        common::ms(fast.1)
    );
    println!(
        "raw GROUP BY:          p50 {:.1} ms (5 runs)",
        common::ms(slow.0)
    );
    println!(
        "speed-up: {:.0}×",
        slow.0.as_secs_f64() / fast.0.as_secs_f64().max(1e-9)
    );
    match peak_memory_of_service(&url, district) {
        Ok(kib) => println!(
            "service peak RSS (VmHWM) after statistics and list requests: {:.1} MiB",
            kib as f64 / 1024.0
        ),
        Err(error) => println!("service memory not measured: {error}"),
    }
}

fn label(n: u64) -> String {
    if n % 1_000_000 == 0 {
        format!("{}m", n / 1_000_000)
    } else {
        n.to_string()
    }
}

/// Generates the data once; a database that already has it is reused.
fn prepare(pool: &DbPool, dossiers: u64, districts: u32) -> UnitId {
    let mut conn = pool.get().expect("a connection");
    if let Ok(district) = motcua_db::units::find_by_code(&mut conn, "000.00.01.H98") {
        return district.id;
    }
    let calendar = motcua_results::state::load_calendar(&mut conn).expect("the calendar");
    let started = Instant::now();
    let mut report = |written: u64| {
        eprint!("\rgenerating: {written} dossiers");
        let _ = std::io::stderr().flush();
    };
    let made =
        motcua_testdata::generate::scale(&mut conn, &calendar, districts, dossiers, &mut report)
            .expect("generate");
    eprintln!(
        "\rgenerated {dossiers} dossiers in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if let motcua_db::DbConnection::Postgresql(_) = &mut *conn {
        use diesel::RunQueryDsl;
        let _ = diesel::sql_query("VACUUM ANALYZE").execute(&mut *conn);
    }
    made.first().map(|d| d.id).expect("a district")
}

fn time(
    runs: usize,
    mut work: impl FnMut() -> Result<(), motcua_web::error::ApiError>,
) -> (Duration, Duration) {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work().expect("the query runs");
            start.elapsed()
        })
        .collect();
    samples.sort();
    (
        common::percentile(&samples, 50),
        common::percentile(&samples, 95),
    )
}

/// Starts the service binary on the data, asks for statistics and pages of dossiers, and reads
/// its peak resident memory.
fn peak_memory_of_service(url: &str, district: UnitId) -> Result<u64, String> {
    let pool = DbPool::open(url, PoolOptions::default())?;
    let key = common::admin_key(&pool);
    drop(pool);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_motcua-results"))
        .env("DATABASE_URL", url)
        .env("MOTCUA_RESULTS_BIND", format!("127.0.0.1:{port}"))
        .env("MOTCUA_WORKERS", "2")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let result = exercise(port, &key, district).and_then(|()| vm_hwm(child.id()));
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn exercise(port: u16, key: &str, district: UnitId) -> Result<(), String> {
    let client = reqwest::blocking::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if client
            .get(format!("{base}/health/ready"))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let paths = [
        format!("/statistics/form-06?unit={district}&period=2023"),
        format!("/statistics/form-06?unit={district}&period=2024-Q1&method=raw"),
        format!("/statistics/indicators?unit={district}&period=2024"),
        "/statistics/form-06?unit=1&period=2023".to_owned(),
        format!("/dossiers?under={district}&limit=500"),
        "/dossiers?overdue=true&limit=500".to_owned(),
    ];
    for path in paths.iter().cycle().take(60) {
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(key)
            .send()
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{path}: {}", response.status()));
        }
    }
    Ok(())
}

fn vm_hwm(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmHWM".to_owned())
}
