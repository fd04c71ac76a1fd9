//! SIGTERM stops `motcua serve` gracefully: a request whose body is still arriving is served to
//! the end, the background tasks (outbox, checkpoints, revalidation) finish their round and stop,
//! and the process exits 0.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use motcua_tests::Backend;
use support::ServeProcess;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_in_flight_is_finished_and_the_process_exits_cleanly() {
    let mut process = ServeProcess::start(Backend::Sqlite).await;
    let body = serde_json::json!({
        "code": "000.00.99.Z01", "name": "Bộ phận Một cửa thử nghiệm", "kind": "other",
        "valid_from": "2024-01-01"
    })
    .to_string();
    let (first_half, second_half) = body.as_bytes().split_at(body.len() / 2);
    let address = process.base_url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /units HTTP/1.1\r\nHost: motcua\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        process.admin_key,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first_half).await.unwrap();
    // Let the server take the request in hand before it is told to stop.
    tokio::time::sleep(Duration::from_millis(300)).await;

    process.terminate();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        TcpStream::connect(&address).await.is_err(),
        "a stopping service takes no new connections"
    );
    stream.write_all(second_half).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the answer came before the shutdown timeout")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "the request in flight was served: {answer}\n{}",
        process.log()
    );
    assert!(answer.contains("000.00.99.Z01"), "{answer}");

    let (status, stdout) = process.wait_for_exit(Duration::from_secs(30));
    assert!(status.success(), "exit status {status}: {}", process.log());
    assert!(stdout.contains("motcua stopped"), "{stdout}");
    for task in ["outbox", "audit checkpoints", "certificate revalidation"] {
        assert!(
            process.logged("background task stopped", "task", task),
            "{task} stopped cleanly: {}",
            process.log()
        );
    }
}
