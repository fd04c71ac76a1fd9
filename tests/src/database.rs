//! One database per test: an SQLite file in a temporary folder, or a PostgreSQL database copied
//! from a migrated template.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use diesel::{Connection, PgConnection, RunQueryDsl};
use motcua_db::{Database, DbPool, PoolOptions};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test and is removed when dropped.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { name: String },
}

const TEST_DB_PREFIX: &str = "motcua_test_";
static COUNTER: AtomicUsize = AtomicUsize::new(0);
static TEMPLATES: Mutex<Option<HashMap<Database, String>>> = Mutex::new(None);

/// The migrated template of `database`, made once per test process.
fn template(database: Database) -> String {
    let mut templates = TEMPLATES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    templates
        .get_or_insert_with(HashMap::new)
        .entry(database)
        .or_insert_with(|| prepare_template(database))
        .clone()
}

impl TestDb {
    /// A results database.
    pub fn create(backend: Backend) -> Self {
        Self::create_for(Database::Results, backend)
    }

    pub fn create_for(database: Database, backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!(
                    "sqlite://{}/{}.sqlite3",
                    dir.path().display(),
                    folder(database)
                );
                Self {
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
            Backend::Postgres => {
                let template = template(database);
                let name = format!(
                    "{TEST_DB_PREFIX}{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst)
                );
                copy_database(&template, &name);
                Self {
                    url: database_url(&name),
                    cleanup: Cleanup::Postgres { name },
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { name } = &self.cleanup {
            // FORCE ends the pool's connections, which may outlive the server by a moment.
            if let Ok(mut conn) = admin_connection() {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

fn server_url() -> String {
    std::env::var("MOTCUA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The server URL with another database name.
fn database_url(name: &str) -> String {
    let url = server_url();
    let (base, query) = url
        .split_once('?')
        .map_or((url.as_str(), None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

fn admin_connection() -> Result<PgConnection, String> {
    PgConnection::establish(&server_url())
        .map_err(|e| format!("PostgreSQL for tests is not reachable at {} ({e}); start it or set MOTCUA_TEST_POSTGRES", server_url()))
}

fn folder(database: Database) -> &'static str {
    match database {
        Database::Results => "results",
        Database::Reports => "reports",
    }
}

/// Migrates a template named after the migrations' content, once for all test processes.
fn prepare_template(database: Database) -> String {
    let name = format!(
        "motcua_tpl_{}_{}",
        folder(database),
        migrations_hash(database)
    );
    let mut conn = admin_connection().unwrap_or_else(|e| panic!("{e}"));
    diesel::sql_query("SELECT pg_advisory_lock(727274)")
        .execute(&mut conn)
        .unwrap();
    drop_leftovers(&mut conn);
    if !database_is_ready(&mut conn, &name) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn);
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .unwrap();
        let pool = DbPool::open_database(
            database,
            &database_url(&name),
            PoolOptions {
                max_connections: 1,
                ..PoolOptions::default()
            },
        )
        .unwrap();
        drop(pool);
        diesel::sql_query(format!("COMMENT ON DATABASE \"{name}\" IS 'ready'"))
            .execute(&mut conn)
            .unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut conn)
        .unwrap();
    name
}

fn copy_database(template: &str, name: &str) {
    let mut conn = admin_connection().unwrap_or_else(|e| panic!("{e}"));
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
    // Two copies of one template at the same moment make PostgreSQL report the template busy.
    for attempt in 0..50 {
        match diesel::sql_query(&sql).execute(&mut conn) {
            Ok(_) => return,
            Err(e)
                if e.to_string().contains("is being accessed by other users") && attempt < 49 =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20 + 10 * attempt));
            }
            Err(e) => panic!("cannot create test database {name}: {e}"),
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn database_is_ready(conn: &mut PgConnection, name: &str) -> bool {
    diesel::sql_query(
        "SELECT d.datname AS name FROM pg_database d \
         WHERE d.datname = $1 AND shobj_description(d.oid, 'pg_database') = 'ready'",
    )
    .bind::<diesel::sql_types::Text, _>(name)
    .load::<Name>(conn)
    .map(|rows| !rows.is_empty())
    .unwrap_or(false)
}

/// Drops test databases of processes that no longer run (killed or crashed runs).
fn drop_leftovers(conn: &mut PgConnection) {
    let rows = diesel::sql_query(format!(
        "SELECT datname AS name FROM pg_database WHERE datname LIKE '{TEST_DB_PREFIX}%'"
    ))
    .load::<Name>(conn)
    .unwrap_or_default();
    for row in rows {
        let pid = row
            .name
            .trim_start_matches(TEST_DB_PREFIX)
            .split('_')
            .next()
            .unwrap_or("");
        let alive = !pid.is_empty() && std::path::Path::new(&format!("/proc/{pid}")).exists();
        if !alive {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                row.name
            ))
            .execute(conn);
        }
    }
}

/// Hash of the PostgreSQL migrations, so a changed migration gets a new template.
fn migrations_hash(database: Database) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(folder(database))
        .join("postgres");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        let relative = file.strip_prefix(&dir).unwrap_or(&file);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hex::encode(&hasher.finalize()[..8])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}
