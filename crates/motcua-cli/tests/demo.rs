//! The newcomer's path: `motcua serve --seed viet-yen` on an empty SQLite data folder loads the
//! seed scenario and the demo PKI once (a second start says it is there), the seed's certificate
//! coverage is 100 % of officials and desks, and `examples/first-report.sh` gets a report
//! signed, issued and verified. The demo PKI is refused on PostgreSQL unless forced, and forced
//! it covers the seed there too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use motcua_tests::{Backend, TestDb};
use serde_json::Value;

fn motcua(data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
    command
        .env("MOTCUA_DATA_DIR", data_dir)
        .env("MOTCUA_WORKERS", "2")
        .env_remove("MOTCUA_KEYSTORE_PASSWORD")
        .env_remove("MOTCUA_TRUST_ROOTS_DIR")
        .env_remove("MOTCUA_RESULTS_URL");
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command
}

struct Serve {
    child: Child,
    log: std::path::PathBuf,
    results: String,
    reports: String,
}

impl Serve {
    /// `motcua serve --seed viet-yen`, until both services answer.
    fn start(data_dir: &Path, log_name: &str) -> Self {
        let (results_port, reports_port) = (support::free_port(), support::free_port());
        let log = data_dir.with_file_name(log_name);
        let child = motcua(data_dir, None)
            .env("MOTCUA_RESULTS_BIND", format!("127.0.0.1:{results_port}"))
            .env("MOTCUA_REPORTS_BIND", format!("127.0.0.1:{reports_port}"))
            .args(["serve", "--seed", "viet-yen"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        let serve = Self {
            child,
            log,
            results: format!("http://127.0.0.1:{results_port}"),
            reports: format!("http://127.0.0.1:{reports_port}"),
        };
        let started = Instant::now();
        let live = |url: &str| {
            Command::new("curl")
                .args(["-sf", &format!("{url}/health/live")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        // The seed signs 7 339 results before the services listen: about 3 minutes on two idle
        // cores, more than 9 with builds beside it. The limit only catches a start that hangs.
        while !(live(&serve.results) && live(&serve.reports)) {
            assert!(
                started.elapsed() < Duration::from_secs(1500),
                "serve did not start: {}",
                serve.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        serve
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.log()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn create_key(data_dir: &Path, database_url: Option<&str>) -> String {
    let output = motcua(data_dir, database_url)
        .args(["create-key", "--name", "demo test", "--role", "auditor"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

async fn get(base: &str, key: &str, path: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

/// Officials and desks of the seed district all hold a usable certificate of the demo PKI.
async fn coverage_is_complete(results: &str, key: &str) {
    let units = get(results, key, "/units?limit=500").await;
    let district = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["kind"] == "district")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let coverage = get(
        results,
        key,
        &format!("/units/{district}/certificate-coverage"),
    )
    .await;
    assert_eq!(coverage["officials"]["percent"], 100.0, "{coverage}");
    assert_eq!(coverage["officials"]["total"], 70, "{coverage}");
    assert_eq!(coverage["desks"]["percent"], 100.0, "{coverage}");
    assert_eq!(coverage["desks"]["total"], 18, "{coverage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_the_seed_loads_the_demo_once_and_the_first_report_script_verifies() {
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("data");
    let serve = Serve::start(&data_dir, "first.log");
    let key = create_key(&data_dir, None);
    coverage_is_complete(&serve.results, &key).await;
    let demo = data_dir.join("demo-pki");
    let readme = std::fs::read_to_string(demo.join("README.txt")).unwrap();
    assert!(readme.contains("KHÔNG SỬ DỤNG THẬT"), "{readme}");
    assert!(demo.join("officials/TEST-024072001234.p12").is_file());

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/first-report.sh");
    let output = Command::new("bash")
        .arg(&script)
        .env("MOTCUA", env!("CARGO_BIN_EXE_motcua"))
        .env("MOTCUA_DATA_DIR", &data_dir)
        .env("RESULTS_URL", &serve.results)
        .env("REPORTS_URL", &serve.reports)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        serve.log()
    );
    assert_eq!(stdout.matches(": TOTAL_PASSED").count(), 2, "{stdout}");
    let pdf = stdout
        .lines()
        .find_map(|line| line.strip_prefix("The signed report: "))
        .unwrap();
    assert!(std::fs::read(pdf).unwrap().starts_with(b"%PDF"));

    let first = serve.stop();
    assert_eq!(
        first.matches("Loaded the Việt Yên seed").count(),
        1,
        "{first}"
    );
    assert_eq!(first.matches("Loaded the demo PKI").count(), 1, "{first}");
    assert!(
        first.contains("using the demo's key-store password"),
        "{first}"
    );

    let again = Serve::start(&data_dir, "second.log").stop();
    assert!(!again.contains("Loaded the"), "{again}");
    assert!(
        again.contains("The Việt Yên seed is already loaded"),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_pki_is_refused_on_postgresql_unless_forced() {
    let db = tokio::task::spawn_blocking(|| TestDb::create(Backend::Postgres))
        .await
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let data_dir = root.path().join("data");
    let refused = motcua(&data_dir, Some(&db.url))
        .arg("demo-pki")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!data_dir.join("demo-pki").exists());

    let forced = motcua(&data_dir, Some(&db.url))
        .args(["demo-pki", "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&forced.stderr);
    assert!(forced.status.success(), "{stderr}");
    assert!(stderr.contains("Loaded the demo PKI"), "{stderr}");

    // The certificates are in the database: a results service on it finds full coverage.
    let (results_port, reports_port) = (support::free_port(), support::free_port());
    let mut child = motcua(&data_dir, Some(&db.url))
        .env("MOTCUA_RESULTS_BIND", format!("127.0.0.1:{results_port}"))
        .env("MOTCUA_REPORTS_BIND", format!("127.0.0.1:{reports_port}"))
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let results = format!("http://127.0.0.1:{results_port}");
    let started = Instant::now();
    while reqwest::get(format!("{results}/health/live"))
        .await
        .is_err()
    {
        assert!(started.elapsed() < Duration::from_secs(120));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let key = create_key(&data_dir, Some(&db.url));
    coverage_is_complete(&results, &key).await;
    let _ = child.kill();
    let _ = child.wait();
}
