//! Shared by the benchmarks: databases, keys and percentiles.

#![allow(dead_code)]

use std::time::Duration;

use motcua_audit::Actor;
use motcua_core::access::Role;
use motcua_db::DbPool;
use motcua_keys::api_keys::{issue_key, KeyRequest};

use psql::admin_execute;

/// The PostgreSQL server the benchmarks may create databases on.
pub fn postgres_server() -> String {
    std::env::var("MOTCUA_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// Creates (or, with `fresh`, recreates) a PostgreSQL database and returns its URL.
pub fn postgres_database(name: &str, fresh: bool) -> String {
    let server = postgres_server();
    if fresh {
        admin_execute(
            &server,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        );
    }
    admin_execute(&server, &format!("CREATE DATABASE \"{name}\""));
    format!("{server}/{name}")
}

pub fn admin_key(pool: &DbPool) -> String {
    let mut conn = pool.get().expect("a connection");
    let request = KeyRequest {
        name: "benchmark".into(),
        role: Role::Admin,
        unit_id: None,
        scopes: Vec::new(),
    };
    let (secret, _) = motcua_db::write_transaction(&mut conn, |conn| {
        issue_key(conn, &Actor::command_line("benchmark"), &request, None)
    })
    .expect("a key");
    secret
}

/// The value below which `percent` of the sorted samples fall.
pub fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = (sorted.len() * percent / 100).min(sorted.len() - 1);
    sorted[index]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

mod psql {
    /// Runs one statement on the server's `postgres` database with psql, ignoring "already exists".
    pub fn admin_execute(server: &str, sql: &str) {
        let status = std::process::Command::new("psql")
            .args([&format!("{server}/postgres"), "-q", "-c", sql])
            .stderr(std::process::Stdio::null())
            .status();
        if let Err(error) = status {
            eprintln!("psql failed: {error}");
        }
    }
}
