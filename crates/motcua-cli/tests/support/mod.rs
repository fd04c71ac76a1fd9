//! `motcua serve` as a child process on its own databases and loopback ports, for the tests that
//! kill or stop the process itself.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use motcua_tests::{Backend, TestDb};

pub struct ServeProcess {
    pub base_url: String,
    pub admin_key: String,
    /// The results database, shared by every start of the process.
    pub db: TestDb,
    child: Option<Child>,
    env: Vec<(&'static str, String)>,
    data_dir: tempfile::TempDir,
}

impl ServeProcess {
    /// Seeds the district with the `motcua` command, makes an admin key, and starts serving.
    pub async fn start(backend: Backend) -> Self {
        let db = tokio::task::spawn_blocking(move || TestDb::create(backend))
            .await
            .unwrap();
        let data_dir = tempfile::tempdir().unwrap();
        let env = vec![
            ("DATABASE_URL", db.url.clone()),
            ("MOTCUA_DATA_DIR", data_dir.path().display().to_string()),
            ("MOTCUA_RESULTS_BIND", format!("127.0.0.1:{}", free_port())),
            ("MOTCUA_REPORTS_BIND", format!("127.0.0.1:{}", free_port())),
            ("MOTCUA_WORKERS", "2".to_owned()),
            (
                "MOTCUA_KEYSTORE_PASSWORD",
                "test key-store password".to_owned(),
            ),
            ("MOTCUA_SHUTDOWN_TIMEOUT_SECS", "20".to_owned()),
            ("MOTCUA_LOG_FORMAT", "json".to_owned()),
            // Subscribers in the tests listen on loopback.
            ("MOTCUA_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1".to_owned()),
            ("MOTCUA_WEBHOOK_FIRST_RETRY_MS", "50".to_owned()),
        ];
        let base_url = format!("http://{}", env[2].1);
        let mut process = Self {
            base_url,
            admin_key: String::new(),
            db,
            child: None,
            env,
            data_dir,
        };
        process.run_to_end(&["seed", "viet-yen"]);
        process.admin_key = process
            .run_to_end(&["create-key", "--name", "test admin"])
            .trim()
            .to_owned();
        process.spawn().await;
        process
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_motcua"));
        command.envs(self.env.iter().map(|(k, v)| (*k, v.as_str())));
        command
    }

    /// Runs a `motcua` subcommand to the end; its standard output.
    fn run_to_end(&self, args: &[&str]) -> String {
        let output = self.command().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "motcua {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Starts `motcua serve` and waits until the results service is ready.
    pub async fn spawn(&mut self) {
        let child = self
            .command()
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(self.log_path()).unwrap()))
            .spawn()
            .unwrap();
        self.child = Some(child);
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client
                .get(format!("{}/health/ready", self.base_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "motcua serve did not become ready: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the process logged an event with `message` and the field `field` = `value`.
    pub fn logged(&self, message: &str, field: &str, value: &str) -> bool {
        self.log().lines().any(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .is_ok_and(|event| event["message"] == message && event[field] == value)
        })
    }

    /// The process's log (standard error, JSON lines) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.path().join("serve.log")
    }

    /// SIGKILL: the process ends at once, without any chance to clean up.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("a running process");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM, as a service manager stops a service.
    pub fn terminate(&self) {
        let pid = self.child.as_ref().expect("a running process").id();
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit; its status and standard output.
    pub fn wait_for_exit(&mut self, limit: Duration) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("a running process");
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut stdout = String::new();
                if let Some(mut out) = child.stdout.take() {
                    std::io::Read::read_to_string(&mut out, &mut stdout).unwrap();
                }
                return (status, stdout);
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                panic!("motcua serve did not exit within {limit:?}: {}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
