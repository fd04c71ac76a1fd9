//! PostgreSQL becomes unreachable in the middle of dossier intake: the service answers 503
//! problem+json and reports itself not ready, stays alive, and recovers on its own when the
//! database returns, with every acknowledged dossier present and nothing half-written. Once a
//! connection has failed, the circuit breaker answers every request at once instead of after
//! the pool's connect timeout. A connection lost in the middle of a change, wherever it is, is
//! the same outage.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use motcua_tests::proxy::{assert_unavailable, TcpProxy};
use motcua_tests::{read, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

use crate::dossiers::{dossier, procedure};
use crate::statistics::assert_consistent;

const CLIENTS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_survives_a_database_outage() {
    let mut proxy = None;
    let app = TestApp::start_with(Backend::Postgres, |config| {
        let through = TcpProxy::in_front_of(&config.database_url);
        config.database_url = through.url_through(&config.database_url);
        proxy = Some(through);
    })
    .await;
    let proxy = proxy.unwrap();
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[0].id.0;
    let procedure_id = procedure(&app, "1.000200", "Hộ tịch", 3).await;
    let body = dossier(unit, procedure_id, "direct", "2024-03-04T02:00:00Z");

    let app = Arc::new(app);
    let running = Arc::new(AtomicBool::new(true));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(keep_filing(app.clone(), body.clone(), running.clone())))
        .collect();
    wait_until(|| async { app.count_rows("dossiers") >= 20 }).await;

    proxy.cut();
    let (status, problem) = app.get("/health/ready").await;
    assert_unavailable(status, &problem, "readiness while the database is down");
    let (status, _) = app.get("/health/live").await;
    assert_eq!(status, StatusCode::OK, "the process itself is alive");
    for _ in 0..5 {
        let started = Instant::now();
        let (status, problem) = app.post("/dossiers", &body).await;
        assert_unavailable(status, &problem, "intake while the database is down");
        let (status, problem) = app.get(&format!("/dossiers?unit={unit}")).await;
        assert_unavailable(status, &problem, "a read while the database is down");
        let (status, problem) = app.get("/health/ready").await;
        assert_unavailable(status, &problem, "readiness while the database is down");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("circuit breaker open"),
            "{problem}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "three answers during the outage took {:?}: the breaker answers at once",
            started.elapsed()
        );
    }
    assert_circuit_metric(&app, 1).await;

    proxy.restore();
    wait_until(|| async { app.get("/health/ready").await.0 == StatusCode::OK }).await;
    assert_circuit_metric(&app, 0).await;
    // Intake goes on with the same pool and process: recovery needs no restart.
    let before = app.count_rows("dossiers");
    wait_until(|| async { app.count_rows("dossiers") >= before + 20 }).await;
    running.store(false, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for client in clients {
        acknowledged.extend(client.await.unwrap());
    }

    for code in &acknowledged {
        let (status, view) = app.get(&format!("/dossiers/{code}")).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "acknowledged {code} is kept: {view}"
        );
        assert!(
            !view["history"].as_array().unwrap().is_empty(),
            "{code} has its history"
        );
    }
    assert_codes_consecutive(&app);
    assert_consistent(
        &app,
        seeded.district.id.0,
        &["2024-03", "2024"],
        "after the outage",
    )
    .await;
}

/// The server ends the session exactly while a new dossier's event is appended (a trigger on
/// the event log terminates its own backend): the caller gets the outage's 503, not a 500, and
/// nothing of the dossier is written. Intake goes on once the trigger is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_while_an_event_is_appended_is_an_outage() {
    let app = TestApp::start(Backend::Postgres).await;
    let seeded = app.seed_viet_yen();
    let unit = seeded.communes[0].id.0;
    let procedure_id = procedure(&app, "1.000200", "Hộ tịch", 3).await;
    let body = dossier(unit, procedure_id, "direct", "2024-03-04T02:00:00Z");
    app.execute(&[
        "CREATE FUNCTION end_own_session() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$",
        "CREATE TRIGGER end_own_session BEFORE INSERT ON events \
         FOR EACH STATEMENT EXECUTE FUNCTION end_own_session()",
    ]);
    let (dossiers, events) = (app.count_rows("dossiers"), app.count_rows("events"));

    let (status, problem) = app.post("/dossiers", &body).await;
    assert_unavailable(
        status,
        &problem,
        "the session ended during the event's append",
    );
    assert_eq!(app.count_rows("dossiers"), dossiers, "no dossier written");
    assert_eq!(app.count_rows("events"), events, "no event written");

    app.execute(&["DROP TRIGGER end_own_session ON events"]);
    let (status, created) = app.post("/dossiers", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(app.count_rows("events"), events + 1);
}

/// Files dossiers until told to stop; returns the codes acknowledged with 201. Every other
/// answer must be a 503 problem.
async fn keep_filing(app: Arc<TestApp>, body: Value, running: Arc<AtomicBool>) -> Vec<String> {
    let mut acknowledged = Vec::new();
    while running.load(Ordering::SeqCst) {
        let response = app
            .client
            .post(app.url("/dossiers"))
            .bearer_auth(&app.admin_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, answer) = read(response).await;
        if status == StatusCode::CREATED {
            acknowledged.push(answer["code"].as_str().unwrap().to_owned());
        } else {
            assert_unavailable(status, &answer, "intake during the outage");
            // The refusal is immediate now: back off a little, as a client honouring
            // Retry-After would, rather than spin.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    acknowledged
}

/// `motcua_db_circuit_open` on `/metrics` is `value`.
async fn assert_circuit_metric(app: &TestApp, value: u8) {
    let text = app.metrics().await;
    let line = text
        .lines()
        .find(|line| line.starts_with("motcua_db_circuit_open"))
        .unwrap_or_else(|| panic!("no circuit metric in {text}"));
    assert!(line.ends_with(&format!(" {value}")), "{line}");
}

/// The daily sequence has no gaps: a transaction cut off by the outage took no number with it.
fn assert_codes_consecutive(app: &TestApp) {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let mut conn = app.pool.get().unwrap();
    let codes: Vec<Code> = diesel::sql_query("SELECT code FROM dossiers")
        .load(&mut *conn)
        .unwrap();
    let mut numbers: Vec<u32> = codes
        .iter()
        .map(|c| c.code.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort_unstable();
    let expected: Vec<u32> = (1..=u32::try_from(numbers.len()).unwrap()).collect();
    assert_eq!(numbers, expected, "codes of one unit and day are gap-free");
}

/// Polls `condition` for up to a minute.
async fn wait_until<F, Fut>(condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !condition().await {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "condition not reached in a minute"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
