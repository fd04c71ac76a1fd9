//! `Idempotency-Key`: retries replay the answer kept in the change's own transaction, and only
//! an authenticated caller's request is looked at, before any byte of its body is read.

use std::time::{Duration, Instant};

use motcua_tests::{on_both_backends, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

on_both_backends!(
    retried_post_creates_once,
    key_reuse_with_another_body_is_refused,
    concurrent_retries_create_once,
    a_refused_request_is_not_remembered,
    api_key_creation_is_replayed_without_its_secret,
    a_bad_key_is_refused_before_a_huge_body_is_read,
    a_request_without_key_is_refused_before_its_body_is_read,
    an_unknown_key_writes_nothing_whatever_its_body,
    a_trickled_body_with_a_bad_key_is_refused_at_once,
    locations_are_absolute,
);

mod a_failure_storing_the_answer_rolls_the_change_back {
    // PostgreSQL only: the failure is a trigger, which SQLite cannot make raise an error with a
    // message of the test's choosing as simply.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let app = motcua_tests::TestApp::start(motcua_tests::Backend::Postgres).await;
        super::a_failure_storing_the_answer_rolls_the_change_back(app).await
    }
}

async fn post_with_key(
    app: &TestApp,
    key: &str,
    body: &serde_json::Value,
) -> (StatusCode, serde_json::Value, bool) {
    let response = app
        .client
        .post(app.url("/units"))
        .bearer_auth(&app.admin_key)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let (status, value) = motcua_tests::read(response).await;
    (status, value, replayed)
}

fn unit() -> serde_json::Value {
    json!({"code": "000.00.24.H05", "name": "UBND thị xã Việt Yên", "kind": "district", "valid_from": "2024-01-01"})
}

/// `Location` of a creation: from the request's host (fetchable, and the same on a replay), or
/// under the configured public base URL.
async fn locations_are_absolute(mut app: TestApp) {
    let created = app
        .client
        .post(app.url("/units"))
        .bearer_auth(&app.admin_key)
        .header("Idempotency-Key", "located")
        .json(&unit())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let (_, unit_view) = motcua_tests::read(created).await;
    assert_eq!(location, app.url(&format!("/units/{}", unit_view["id"])));
    let fetched = app
        .client
        .get(&location)
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    let (_, fetched) = motcua_tests::read(fetched).await;
    assert_eq!(fetched["code"], unit()["code"]);

    app.restart_with(|config| {
        config.public_url = Some("https://motcua.vietyen.gov.vn/api".into());
    })
    .await;
    let mut other = unit();
    other["code"] = json!("000.00.25.H05");
    let response = app
        .client
        .post(app.url("/units"))
        .bearer_auth(&app.admin_key)
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let (_, other_view) = motcua_tests::read(response).await;
    assert_eq!(
        location,
        format!(
            "https://motcua.vietyen.gov.vn/api/units/{}",
            other_view["id"]
        )
    );
}

async fn retried_post_creates_once(app: TestApp) {
    let (first_status, first, replayed) = post_with_key(&app, "retry-1", &unit()).await;
    assert_eq!(first_status, StatusCode::CREATED);
    assert!(!replayed);
    let (second_status, second, replayed) = post_with_key(&app, "retry-1", &unit()).await;
    assert_eq!(
        second_status,
        StatusCode::CREATED,
        "the first response again, not a 409: {second}"
    );
    assert!(replayed);
    assert_eq!(first, second);
    assert_eq!(app.count_rows("units"), 1);

    let (status, _, _) = post_with_key(&app, "retry-2", &unit()).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a new key is a new request, and the code is taken"
    );
}

async fn key_reuse_with_another_body_is_refused(app: TestApp) {
    post_with_key(&app, "k", &unit()).await;
    let mut other = unit();
    other["code"] = json!("000.00.25.H05");
    let (status, problem, _) = post_with_key(&app, "k", &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["invalid_params"][0]["name"], "Idempotency-Key");
    assert_eq!(app.count_rows("units"), 1);
}

async fn concurrent_retries_create_once(app: TestApp) {
    let body = unit();
    let attempts = (0..8).map(|_| post_with_key(&app, "burst", &body));
    let results = futures_util::future::join_all(attempts).await;
    let created = results
        .iter()
        .filter(|(s, _, replayed)| *s == StatusCode::CREATED && !replayed)
        .count();
    assert_eq!(created, 1, "{results:?}");
    for (status, _, _) in &results {
        assert!(
            matches!(*status, StatusCode::CREATED | StatusCode::CONFLICT),
            "replayed or still in progress: {status}"
        );
    }
    assert_eq!(app.count_rows("units"), 1);
}

async fn a_refused_request_is_not_remembered(app: TestApp) {
    // Refused inside the transaction: the parent does not exist.
    let mut bad = unit();
    bad["parent_id"] = json!(999);
    let (status, _, _) = post_with_key(&app, "fix-and-retry", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count_rows("idempotency_keys"),
        0,
        "a refusal changed nothing"
    );
    // The caller fixes the body under a new key; the old key is free for a new request too.
    let (status, _, replayed) = post_with_key(&app, "fix-and-retry", &unit()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!replayed);
    assert_eq!(app.count_rows("units"), 1);
}

async fn api_key_creation_is_replayed_without_its_secret(app: TestApp) {
    let send = || {
        app.client
            .post(app.url("/api-keys"))
            .bearer_auth(&app.admin_key)
            .header("Idempotency-Key", "new-auditor")
            .json(&json!({"name": "Thanh tra tỉnh", "role": "auditor"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "no-store");
    let (status, created) = motcua_tests::read(first).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["key"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("mc_"));

    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let location = again.headers()["location"].to_str().unwrap().to_owned();
    let (status, replayed) = motcua_tests::read(again).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        replayed["key"],
        json!(null),
        "the secret is shown once: {replayed}"
    );
    assert_eq!(replayed["api_key"], created["api_key"]);
    // Absolute, from the request's host, and it can be fetched.
    assert_eq!(
        location,
        app.url(&format!("/api-keys/{}", created["api_key"]["id"]))
    );
    let fetched = app
        .client
        .get(&location)
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    assert_eq!(
        app.count_rows("api_keys"),
        2,
        "the admin key and the new one"
    );
    assert!(
        !stored_answers(&app).contains(&secret),
        "the idempotency store holds the secret"
    );
    // The key works: it was created once, and shown once.
    let (status, _) = app
        .call(reqwest::Method::GET, "/units", Some(&secret), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

/// Every kept answer body, as text.
fn stored_answers(app: &TestApp) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Body {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Binary>)]
        body: Option<Vec<u8>>,
    }
    let mut conn = app.pool.get().unwrap();
    let bodies: Vec<Body> = diesel::sql_query("SELECT body FROM idempotency_keys")
        .load(&mut *conn)
        .unwrap();
    bodies
        .into_iter()
        .map(|b| String::from_utf8_lossy(&b.body.unwrap_or_default()).into_owned())
        .collect()
}

/// Sends the head of a `POST /units` announcing `content_length` bytes and only the first few
/// bytes of the body (more, one a second, when `trickle`), and returns the status line of the
/// answer and how long it took to come.
async fn answer_to_an_unfinished_body(
    app: &TestApp,
    key: Option<&str>,
    content_length: usize,
    trickle: bool,
) -> (String, Duration) {
    let address = app.base_url.trim_start_matches("http://");
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let authorization = key
        .map(|key| format!("Authorization: Bearer {key}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /units HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\nIdempotency-Key: unfinished\r\n{authorization}\r\n{{\"code\":"
    );
    let started = Instant::now();
    writer.write_all(head.as_bytes()).await.unwrap();
    let trickling = tokio::spawn(async move {
        if trickle {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if writer.write_all(b" ").await.is_err() {
                    break;
                }
            }
        }
        writer
    });
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let read_head = async {
        while !received.windows(4).any(|w| w == b"\r\n\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), read_head).await;
    let elapsed = started.elapsed();
    trickling.abort();
    let text = String::from_utf8_lossy(&received).into_owned();
    (text.lines().next().unwrap_or_default().to_owned(), elapsed)
}

async fn a_bad_key_is_refused_before_a_huge_body_is_read(app: TestApp) {
    let unknown = "mc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (status, elapsed) =
        answer_to_an_unfinished_body(&app, Some(unknown), 60_000_000, false).await;
    assert!(status.contains(" 401 "), "{status:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "the body was awaited: {elapsed:?}"
    );
    assert_eq!(app.count_rows("idempotency_keys"), 0);
    assert_eq!(app.count_rows("units"), 0);
}

async fn a_request_without_key_is_refused_before_its_body_is_read(app: TestApp) {
    let (status, elapsed) = answer_to_an_unfinished_body(&app, None, 60_000_000, false).await;
    assert!(status.contains(" 401 "), "{status:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "the body was awaited: {elapsed:?}"
    );
    assert_eq!(app.count_rows("idempotency_keys"), 0);
}

async fn a_trickled_body_with_a_bad_key_is_refused_at_once(app: TestApp) {
    let revoked = app.key("auditor", None, &[]).await;
    let id = {
        let (_, keys) = app.get("/api-keys").await;
        keys["items"][1]["id"].as_i64().unwrap()
    };
    let (status, revoking) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api-keys/{id}"),
            Some(&app.admin_key),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{revoking}");
    let keys_before = app.count_rows("idempotency_keys");
    let (status, elapsed) = answer_to_an_unfinished_body(&app, Some(&revoked), 100, true).await;
    assert!(status.contains(" 401 "), "{status:?}");
    assert!(
        elapsed < Duration::from_secs(1),
        "the trickle was awaited: {elapsed:?}"
    );
    assert_eq!(app.count_rows("idempotency_keys"), keys_before);
}

async fn an_unknown_key_writes_nothing_whatever_its_body(app: TestApp) {
    for body in ["{\"code\": 12", "not json at all", "{}"] {
        let response = app
            .client
            .post(app.url("/units"))
            .bearer_auth("mc_unknown")
            .header("Idempotency-Key", "from-nobody")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    assert_eq!(app.count_rows("idempotency_keys"), 0);
    assert_eq!(app.count_rows("units"), 0);
}

/// The kept answer is written in the change's transaction: when keeping it fails, the change is
/// rolled back with it, and a retry with the same key then makes the change once.
async fn a_failure_storing_the_answer_rolls_the_change_back(app: TestApp) {
    use diesel::connection::SimpleConnection;
    let sql = |statements: &str| {
        let mut conn = app.pool.get().unwrap();
        conn.batch_execute(statements).unwrap();
    };
    sql("CREATE FUNCTION refuse_answers() RETURNS trigger AS $$ \
         BEGIN RAISE EXCEPTION 'the answer cannot be kept (test)'; END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER refuse_answers BEFORE UPDATE ON idempotency_keys \
         FOR EACH ROW WHEN (NEW.status IS NOT NULL) EXECUTE FUNCTION refuse_answers();");
    let response = app
        .client
        .post(app.url("/units"))
        .bearer_auth(&app.admin_key)
        .header("Idempotency-Key", "kept-or-not")
        .json(&unit())
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(status.is_server_error(), "{status}");
    assert_eq!(
        app.count_rows("units"),
        0,
        "the change went with its answer"
    );
    assert_eq!(app.count_rows("idempotency_keys"), 0);
    assert_eq!(
        app.count_rows("audit_events WHERE action = 'unit.create'"),
        0
    );

    sql("DROP TRIGGER refuse_answers ON idempotency_keys; DROP FUNCTION refuse_answers();");
    let (status, created, replayed) = post_with_key(&app, "kept-or-not", &unit()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(!replayed, "nothing was kept for the failed attempt");
    let (status, again, replayed) = post_with_key(&app, "kept-or-not", &unit()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(replayed);
    assert_eq!(again, created);
    assert_eq!(app.count_rows("units"), 1);
    assert_eq!(app.count_rows("idempotency_keys"), 1);
}
