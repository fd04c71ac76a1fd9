//! Push delivery benchmark: events delivered per second to a subscriber on loopback, on SQLite
//! and on PostgreSQL. The log holds `MOTCUA_BENCH_EVENTS` events (default 2000, published as
//! dossier changes publish them); subscriptions are made from the first one on, and the time
//! until the subscriber has acknowledged every event of every subscription is measured. Each
//! delivery is one signed POST and one commit of the subscription's cursor before the next.
//!
//! ```sh
//! cargo bench -p motcua-results --bench delivery    # add `--profile dev` to skip the release build
//! ```

mod common;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse, HttpServer};
use motcua_core::event::EventType;
use motcua_core::record_ids::UnitId;
use motcua_db::{DbPool, PoolOptions};
use motcua_events::{publish, Publication};
use motcua_results::config::{ResultsConfig, Secret};
use serde_json::json;

/// The allocator of the service binaries, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let events: usize = std::env::var("MOTCUA_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sqlite = format!("sqlite://{}/delivery.sqlite3", dir.path().display());
    let postgres = common::postgres_database("motcua_bench_delivery", true);
    for (name, url) in [("SQLite", sqlite), ("PostgreSQL", postgres)] {
        let pool = DbPool::open(
            &url,
            PoolOptions {
                max_connections: 10,
                ..PoolOptions::default()
            },
        )
        .expect("open the database");
        publish_events(&pool, events);
        for subscriptions in [1, 4] {
            let elapsed = deliver(&url, pool.clone(), subscriptions, events);
            let delivered = subscriptions * events;
            println!(
                "{name}: {delivered} deliveries to {subscriptions} subscription(s) in {:.1} s = {:.0} events/s",
                elapsed.as_secs_f64(),
                delivered as f64 / elapsed.as_secs_f64()
            );
        }
    }
}

fn publish_events(pool: &DbPool, count: usize) {
    let mut conn = pool.get().expect("a connection");
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let publications: Vec<Publication> = chunk
            .iter()
            .map(|n| {
                Publication::new(
                    EventType::DossierCreated,
                    format!("000.00.24.H05-240304-{n:04}"),
                    vec![UnitId(2), UnitId(1)],
                    &json!({"code": format!("000.00.24.H05-240304-{n:04}"), "status": "new"}),
                )
                .expect("a publication")
            })
            .collect();
        motcua_db::write_transaction(&mut conn, |conn| publish(conn, &publications))
            .expect("published");
    }
}

/// Starts the service and a subscriber, subscribes `subscriptions` times from the first event,
/// and returns the time until all `events` of each were acknowledged.
fn deliver(url: &str, pool: DbPool, subscriptions: usize, events: usize) -> Duration {
    let key = common::admin_key(&pool);
    let received = Arc::new(AtomicUsize::new(0));
    let subscriber = start_subscriber(Arc::clone(&received));
    let mut config = ResultsConfig::for_database(url);
    config.workers = 1;
    config.keystore_password = Some(Secret::new("benchmark key-store password"));
    config.webhooks.allowed_hosts = "127.0.0.1".parse().expect("an allow-list");
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
    let client = reqwest::blocking::Client::new();
    let started = Instant::now();
    let mut ids = Vec::new();
    for _ in 0..subscriptions {
        let response = client
            .post(format!("http://{addr}/subscriptions"))
            .bearer_auth(&key)
            .json(&json!({"callback_url": subscriber, "from_sequence": 1}))
            .send()
            .expect("a response");
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let created: serde_json::Value = response.json().expect("JSON");
        ids.push(created["subscription"]["id"].as_i64().expect("an id"));
    }
    while received.load(Ordering::SeqCst) < subscriptions * events {
        assert!(started.elapsed() < Duration::from_secs(600), "too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    for id in ids {
        client
            .delete(format!("http://{addr}/subscriptions/{id}"))
            .bearer_auth(&key)
            .send()
            .expect("deleted");
    }
    received.store(0, Ordering::SeqCst);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(handle.stop(false));
    elapsed
}

/// A subscriber that acknowledges every delivery and counts them; its callback URL.
fn start_subscriber(received: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    let counter = Data::from(received);
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new().app_data(counter.clone()).route(
                    "/hook",
                    web::post().to(|count: Data<AtomicUsize>| async move {
                        count.fetch_add(1, Ordering::SeqCst);
                        HttpResponse::NoContent().finish()
                    }),
                )
            })
            .workers(1)
            .listen(listener)
            .expect("listen")
            .run();
            let _ = server.await;
        });
    });
    url
}
