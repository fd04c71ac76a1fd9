//! Clients that send slowly or ask for too much signature work at once are bounded: they get 408
//! or 503 with `Retry-After`, and everybody else is still served.

use std::time::{Duration, Instant};

use motcua_tests::{Backend, TestApp};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEAD_TIMEOUT: Duration = Duration::from_secs(2);
const BODY_TIMEOUT: Duration = Duration::from_secs(2);
const SLOW_CLIENTS: usize = 64;

async fn with_short_timeouts(backend: Backend) -> TestApp {
    TestApp::start_with(backend, |config| {
        config.server.request_head_timeout = HEAD_TIMEOUT;
        config.server.body_timeout = BODY_TIMEOUT;
        config.server.max_signature_jobs = 1;
        config.server.signature_queue_timeout = Duration::from_millis(200);
    })
    .await
}

/// Opens a connection and sends the start of a request head, then nothing more.
async fn slow_loris(address: &str) -> TcpStream {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: motcua\r\nX-Slow: ")
        .await
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection (or 10 s pass).
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received)).await;
    String::from_utf8_lossy(&received).into_owned()
}

async fn slow_request_heads_are_cut_off_and_do_not_starve_others(app: TestApp) {
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..SLOW_CLIENTS {
        slow.push(slow_loris(&address).await);
    }
    // While every slow client holds its connection, ordinary requests are answered.
    for _ in 0..20 {
        let (status, body) = app.get("/units?limit=1").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let started = Instant::now();
    for stream in &mut slow {
        let answer = read_until_closed(stream).await;
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "a slow request head is answered 408 and closed, got {answer:?}"
        );
    }
    assert!(
        started.elapsed() < HEAD_TIMEOUT * 4,
        "the slow connections were closed after the head timeout, not left open"
    );
}

async fn a_body_that_trickles_in_is_refused_with_408(app: TestApp) {
    let address = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /units HTTP/1.1\r\nHost: motcua\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"name\": ",
        app.admin_key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let units_before = app.count_rows("units");
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("/problems/request-timeout"), "{answer}");
    assert_eq!(app.count_rows("units"), units_before, "nothing was written");
    // The service still answers.
    let (status, _) = app.get("/units?limit=1").await;
    assert_eq!(status, StatusCode::OK);
}

async fn signature_work_past_the_cap_is_told_to_retry(app: TestApp) {
    let held = app
        .state
        .web
        .signature_jobs
        .try_slot()
        .expect("the only slot is free");
    let verify = || {
        app.client
            .post(app.url("/verify"))
            .header("content-type", "application/pdf")
            .body(b"%PDF-1.7\nnot really a PDF\n%%EOF\n".to_vec())
            .send()
    };
    let busy = verify().await.unwrap();
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = busy.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let (_, problem) = motcua_tests::read(busy).await;
    assert_eq!(problem["type"], "/problems/busy", "{problem}");

    drop(held);
    let (status, problem) = motcua_tests::read(verify().await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "with the slot free the document itself is judged: {problem}"
    );
    assert_eq!(app.state.web.signature_jobs.in_progress(), 0);
}

motcua_tests::on_both_backends_with!(
    with_short_timeouts,
    slow_request_heads_are_cut_off_and_do_not_starve_others,
    a_body_that_trickles_in_is_refused_with_408,
    signature_work_past_the_cap_is_told_to_retry,
);
