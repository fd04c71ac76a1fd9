//! API fuzzing: schemathesis generates requests from a committed OpenAPI document, sends them to
//! a running service and checks every answer against the document.
//!
//! `.ci/run` installs the schemathesis release whose command line and configuration file this
//! module speaks. `MOTCUA_FUZZ_HAR_DIR=dir` keeps a HAR file of the run there.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;

/// What every answer must satisfy: no 5xx, only the statuses the operation documents, and the
/// documented media type and schema for that status. Checks that judge whether the service
/// *should* have accepted a request (`negative_data_rejection`, `positive_data_acceptance`, …)
/// are left out: the service refuses values the document cannot express (a CCCD's province
/// prefix, a tax code's check digit, a reference to a missing record), which they would report.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance";

/// The same requests on every run, so a failure in CI reproduces on a developer's machine.
const SEED: &str = "20240115";

/// Requests per operation in the fuzzing phase: enough to get past validation to the handlers'
/// own answers, few enough that the four runs (two services, two databases) take about six
/// minutes together on two cores.
const MAX_EXAMPLES: &str = "100";

/// How often a parameter with known values takes one of them instead of a generated value.
const KNOWN_VALUE_PROBABILITY: f64 = 0.5;

/// A service under test and the committed document it must conform to.
pub struct FuzzTarget<'a> {
    /// The file in `api-spec/`, e.g. `results.openapi.json`.
    pub document: &'a str,
    pub base_url: &'a str,
    /// An admin key, to create the run's own admin key with.
    pub admin_key: &'a str,
    /// Keys of records in the service's database, so that requests reach them.
    pub known: &'a [Known],
}

/// Values that name records in the service's database, offered for one parameter: generated
/// values alone almost never hit an existing dossier code or unit id, and the handlers behind
/// the 404 would go untested.
pub struct Known {
    /// The parameter as schemathesis names it: `path.code`, `query.unit`, `body.unit_id`.
    pub parameter: &'static str,
    /// A regular expression on the paths of the operations it applies to; `None` for all.
    /// Patterns must not overlap: schemathesis takes the parameters of the first that matches.
    pub paths: Option<&'static str>,
    pub values: Vec<Value>,
}

impl Known {
    /// Values for the parameter wherever it appears.
    pub fn everywhere(parameter: &'static str, values: Vec<Value>) -> Self {
        Self {
            parameter,
            paths: None,
            values,
        }
    }

    /// Values for the parameter of the operations whose path matches `paths`, for names like
    /// `path.id` that mean a different record on each resource.
    pub fn on(paths: &'static str, parameter: &'static str, values: Vec<Value>) -> Self {
        Self {
            parameter,
            paths: Some(paths),
            values,
        }
    }
}

/// Runs schemathesis against `target`; panics with its report when it finds a failure. Without
/// schemathesis it is skipped on a developer's machine, and fails in CI (`CI` set).
pub async fn fuzz(target: FuzzTarget<'_>) {
    let client = reqwest::Client::new();
    let key = RunKey::create(&client, &target).await;
    // Its working directory is a scratch one: schemathesis may leave files where it runs.
    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("schemathesis.toml");
    std::fs::write(&config, configuration(target.known)).unwrap();
    let mut command = schemathesis_command(&target, &key, &config);
    command.current_dir(scratch.path());
    let started = Instant::now();
    let Some(output) = tokio::task::spawn_blocking(move || run(command))
        .await
        .unwrap()
    else {
        return;
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis found failures against api-spec/{}:\n{report}",
        target.document
    );
    assert!(
        key.still_works(&client, target.base_url).await,
        "the run lost its key, so the requests after that only met 401"
    );
    // Shown with `--nocapture`: its warnings tell which operations the run hardly reached.
    eprintln!(
        "{report}\nschemathesis passed against api-spec/{} in {:.0?}",
        target.document,
        started.elapsed()
    );
}

/// The admin key the run authenticates with, its own so that the hooks can keep the run from
/// revoking it: every request after that would only meet 401.
struct RunKey {
    id: i64,
    secret: String,
}

impl RunKey {
    async fn create(client: &reqwest::Client, target: &FuzzTarget<'_>) -> Self {
        let response = client
            .post(format!("{}/api-keys", target.base_url))
            .bearer_auth(target.admin_key)
            .json(&serde_json::json!({"name": "API fuzzing", "role": "admin"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let created: Value = response.json().await.unwrap();
        Self {
            id: created["api_key"]["id"].as_i64().unwrap(),
            secret: created["key"].as_str().unwrap().to_owned(),
        }
    }

    async fn still_works(&self, client: &reqwest::Client, base_url: &str) -> bool {
        let response = client
            .get(format!("{base_url}/api-keys/{}", self.id))
            .bearer_auth(&self.secret)
            .send()
            .await
            .unwrap();
        response.status().is_success()
    }
}

fn schemathesis_command(target: &FuzzTarget<'_>, key: &RunKey, config: &Path) -> Command {
    let mut command = Command::new("schemathesis");
    command
        .env("MOTCUA_FUZZ_KEY_ID", key.id.to_string())
        .arg("--no-color")
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(document_path(target.document))
        .args(["--url", target.base_url])
        .args(["--header", &format!("Authorization: Bearer {}", key.secret)])
        .args(["--checks", CHECKS])
        .args(["--seed", SEED])
        .args(["--max-examples", MAX_EXAMPLES])
        // One request at a time, as the service runs one worker in the tests.
        .args(["--workers", "1"])
        // No example database: each run is exactly the seeded one, not a replay of past failures.
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "30"]);
    // Every request and answer, to see which statuses each operation reached.
    if let Some(dir) = std::env::var_os("MOTCUA_FUZZ_HAR_DIR") {
        command.args(["--report", "har", "--report-dir"]).arg(dir);
    }
    command
}

/// The configuration file: the hooks for PDF bodies, and the known values as dictionaries bound
/// to their parameters. JSON strings and numbers are also TOML strings and numbers.
fn configuration(known: &[Known]) -> String {
    let mut toml = format!("hooks = {}\n", toml_string(hooks_path()));
    for (index, entry) in known.iter().enumerate() {
        let values = serde_json::to_string(&entry.values).unwrap();
        writeln!(toml, "\n[dictionaries.known-{index}]\nvalues = {values}").unwrap();
    }
    let mut everywhere = Vec::new();
    let mut by_paths: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (index, entry) in known.iter().enumerate() {
        let binding = format!(
            "{} = {{ dictionary = \"known-{index}\", probability = {KNOWN_VALUE_PROBABILITY:?} }}",
            toml_string(entry.parameter)
        );
        match entry.paths {
            None => everywhere.push(binding),
            Some(paths) => by_paths.entry(paths).or_default().push(binding),
        }
    }
    writeln!(toml, "\n[parameters]\n{}", everywhere.join("\n")).unwrap();
    for (paths, bindings) in by_paths {
        writeln!(
            toml,
            "\n[[operations]]\ninclude-path-regex = {}\nparameters = {{ {} }}",
            toml_string(paths),
            bindings.join(", ")
        )
        .unwrap();
    }
    toml
}

fn toml_string(text: impl AsRef<str>) -> String {
    serde_json::to_string(text.as_ref()).unwrap()
}

fn document_path(document: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "..", "api-spec", document]
        .iter()
        .collect()
}

/// How PDF bodies are sent and read, which schemathesis does not know by itself, and which
/// requests the run must not send.
fn hooks_path() -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fuzzing", "hooks.py"]
        .iter()
        .collect();
    path.to_string_lossy().into_owned()
}

/// The finished run, or `None` when schemathesis is not installed on a developer's machine.
fn run(mut command: Command) -> Option<Output> {
    match command.output() {
        Ok(output) => Some(output),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("schemathesis is not installed (see .ci/run for the version); skipped");
            None
        }
        Err(error) => panic!("schemathesis cannot run: {error}"),
    }
}
