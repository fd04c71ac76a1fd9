//! The hand-written diesel schema (`src/schema.rs`, `src/reports/schema.rs`) against what the
//! migrations really build, on both backends: every table, column, type, nullability and primary
//! key must agree, or a query compiles against a shape the database does not have.
//!
//! The migrations run through `DbPool::open_database`, as in production, into a database made for
//! this test alone (an SQLite file in a temporary folder, a PostgreSQL database dropped at the
//! end); the result is read back by introspection (`pragma table_info`, `information_schema`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use motcua_db::{Database, DbConnection, DbPool, PoolOptions};

const RESULTS_SCHEMA: &str = include_str!("../src/schema.rs");
const REPORTS_SCHEMA: &str = include_str!("../src/reports/schema.rs");

/// Tables of the reports database declared in `schema.rs`, shared in shape with the results
/// database (see the header of `reports/schema.rs`).
const SHARED_WITH_REPORTS: &[&str] = &[
    "api_keys",
    "audit_events",
    "audit_checkpoints",
    "idempotency_keys",
    "events",
    "subscriptions",
];

/// Kept by the migration runner or by SQLite itself, not by the application.
const BOOKKEEPING: &[&str] = &["__diesel_schema_migrations", "sqlite_sequence"];

/// A column as diesel sees it: its SQL type (`BigInt`, `Text`, ...) and whether it may be NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    sql_type: String,
    nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Table {
    primary_key: Vec<String>,
    columns: BTreeMap<String, Column>,
}

type Schema = BTreeMap<String, Table>;

/// Reads the `diesel::table!` blocks of a schema file. Anything inside a block that is not a
/// plain `name -> Type,` line stops the test, so that the parser cannot skip what it does not
/// understand.
fn parse_schema(source: &str) -> Schema {
    let mut schema = Schema::new();
    let mut lines = source.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if !line.starts_with("diesel::table!") {
            continue;
        }
        let header = lines.next().expect("a table! block has a header");
        let (name, key) = header
            .strip_suffix('{')
            .and_then(|h| h.trim().split_once('('))
            .unwrap_or_else(|| panic!("unreadable table! header `{header}`"));
        let primary_key = key
            .trim()
            .trim_end_matches(')')
            .split(',')
            .map(|c| c.trim().to_owned())
            .collect();
        let mut table = Table {
            primary_key,
            columns: BTreeMap::new(),
        };
        for line in lines.by_ref() {
            if line == "}" {
                break;
            }
            let (column, sql_type) = line
                .trim_end_matches(',')
                .split_once("->")
                .unwrap_or_else(|| panic!("unreadable line `{line}` in table! {name}"));
            let sql_type = sql_type.trim();
            let column_type = match sql_type
                .strip_prefix("Nullable<")
                .and_then(|t| t.strip_suffix('>'))
            {
                Some(inner) => Column {
                    sql_type: inner.to_owned(),
                    nullable: true,
                },
                None => Column {
                    sql_type: sql_type.to_owned(),
                    nullable: false,
                },
            };
            table.columns.insert(column.trim().to_owned(), column_type);
        }
        assert_eq!(lines.next(), Some("}"), "table! {name} is not closed");
        schema.insert(name.trim().to_owned(), table);
    }
    schema
}

/// What each database should hold according to the schema files.
fn declared(database: Database) -> Schema {
    let results = parse_schema(RESULTS_SCHEMA);
    match database {
        Database::Results => results,
        Database::Reports => {
            let mut reports = parse_schema(REPORTS_SCHEMA);
            for name in SHARED_WITH_REPORTS {
                let table = results
                    .get(*name)
                    .unwrap_or_else(|| panic!("schema.rs declares no {name}"));
                reports.insert((*name).to_owned(), table.clone());
            }
            reports
        }
    }
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = type_)]
    declared: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn sqlite_schema(conn: &mut DbConnection) -> Schema {
    let tables: Vec<Name> =
        diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .load(conn)
            .unwrap();
    let mut schema = Schema::new();
    for Name { name } in tables {
        if BOOKKEEPING.contains(&name.as_str()) || name.starts_with("sqlite_") {
            continue;
        }
        let rows: Vec<SqliteColumn> = diesel::sql_query(format!(
            "SELECT name, type AS type_, \"notnull\", pk FROM pragma_table_info('{name}')"
        ))
        .load(conn)
        .unwrap();
        let mut keyed: Vec<(i32, String)> = rows
            .iter()
            .filter(|c| c.pk > 0)
            .map(|c| (c.pk, c.name.clone()))
            .collect();
        keyed.sort();
        // A single INTEGER PRIMARY KEY is the 64-bit rowid, so it is read as a BigInt.
        let rowid = keyed.len() == 1;
        let mut table = Table {
            primary_key: keyed.into_iter().map(|(_, c)| c).collect(),
            columns: BTreeMap::new(),
        };
        for row in rows {
            let is_key = row.pk > 0;
            let sql_type = match row.declared.to_ascii_uppercase().as_str() {
                "INTEGER" if is_key && rowid => "Integer|BigInt",
                "INTEGER" => "Integer",
                "BIGINT" => "BigInt",
                "TEXT" => "Text",
                "BLOB" => "Binary",
                "BOOLEAN" => "Bool",
                "DATE" => "Date",
                "TIMESTAMP" => "Timestamp",
                other => panic!("{name}.{}: declared type {other} has no mapping", row.name),
            };
            // diesel reads every primary key column as NOT NULL (SQLite only enforces it for the
            // rowid, so a key column should also say NOT NULL; the schema cannot express it).
            table.columns.insert(
                row.name,
                Column {
                    sql_type: sql_type.to_owned(),
                    nullable: row.notnull == 0 && !is_key,
                },
            );
        }
        schema.insert(name, table);
    }
    schema
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

#[derive(QueryableByName)]
struct PgKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

fn postgres_schema(conn: &mut DbConnection) -> Schema {
    let columns: Vec<PgColumn> = diesel::sql_query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                c.data_type::text AS data_type, c.is_nullable::text AS is_nullable \
         FROM information_schema.columns c \
         JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'",
    )
    .load(conn)
    .unwrap();
    let keys: Vec<PgKey> = diesel::sql_query(
        "SELECT k.table_name::text AS table_name, k.column_name::text AS column_name, \
                k.ordinal_position::bigint AS position \
         FROM information_schema.table_constraints t \
         JOIN information_schema.key_column_usage k \
           ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name \
         WHERE t.table_schema = 'public' AND t.constraint_type = 'PRIMARY KEY' \
         ORDER BY k.table_name, k.ordinal_position",
    )
    .load(conn)
    .unwrap();
    let mut schema = Schema::new();
    for column in columns {
        if BOOKKEEPING.contains(&column.table_name.as_str()) {
            continue;
        }
        let sql_type = match column.data_type.as_str() {
            "integer" => "Integer",
            "bigint" => "BigInt",
            "text" => "Text",
            "bytea" => "Binary",
            "boolean" => "Bool",
            "date" => "Date",
            "timestamp without time zone" => "Timestamp",
            other => panic!(
                "{}.{}: type {other} has no mapping",
                column.table_name, column.column_name
            ),
        };
        schema.entry(column.table_name).or_default().columns.insert(
            column.column_name,
            Column {
                sql_type: sql_type.to_owned(),
                nullable: column.is_nullable == "YES",
            },
        );
    }
    for key in keys {
        if let Some(table) = schema.get_mut(&key.table_name) {
            assert_eq!(
                usize::try_from(key.position).unwrap(),
                table.primary_key.len() + 1
            );
            table.primary_key.push(key.column_name);
        }
    }
    schema
}

/// Every disagreement between the declared and the migrated schema, one line each.
fn differences(declared: &Schema, migrated: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    for (name, want) in declared {
        let Some(have) = migrated.get(name) else {
            found.push(format!(
                "table {name}: declared, not created by the migrations"
            ));
            continue;
        };
        if want.primary_key != have.primary_key {
            found.push(format!(
                "table {name}: primary key declared {:?}, migrated {:?}",
                want.primary_key, have.primary_key
            ));
        }
        for (column, want) in &want.columns {
            match have.columns.get(column) {
                None => found.push(format!("{name}.{column}: declared, not in the database")),
                Some(have) => {
                    let type_agrees = have.sql_type.split('|').any(|t| t == want.sql_type);
                    if !type_agrees || have.nullable != want.nullable {
                        found.push(format!(
                            "{name}.{column}: declared {}, migrated {}",
                            describe(&want.sql_type, want.nullable),
                            describe(&have.sql_type, have.nullable)
                        ));
                    }
                }
            }
        }
        for column in have.columns.keys() {
            if !want.columns.contains_key(column) {
                found.push(format!("{name}.{column}: in the database, not declared"));
            }
        }
    }
    for name in migrated.keys() {
        if !declared.contains_key(name) {
            found.push(format!("table {name}: in the database, not declared"));
        }
    }
    found
}

fn describe(sql_type: &str, nullable: bool) -> String {
    if nullable {
        format!("Nullable<{sql_type}>")
    } else {
        sql_type.to_owned()
    }
}

fn assert_no_drift(database: Database, migrated: &Schema, backend: &str) {
    let declared = declared(database);
    assert!(
        declared.len() > 3,
        "the schema files were not read: {declared:?}"
    );
    let found = differences(&declared, migrated);
    assert!(
        found.is_empty(),
        "the {database:?} migrations on {backend} and the diesel schema disagree:\n  {}",
        found.join("\n  ")
    );
}

fn options() -> PoolOptions {
    PoolOptions {
        max_connections: 1,
        ..PoolOptions::default()
    }
}

fn check_sqlite(database: Database) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/drift.sqlite3", dir.path().display());
    let pool = DbPool::open_database(database, &url, options()).unwrap();
    let migrated = sqlite_schema(&mut pool.get().unwrap());
    assert_no_drift(database, &migrated, "SQLite");
}

/// A PostgreSQL database of this test alone, dropped when the test ends (passed or not).
struct PostgresDatabase {
    server: String,
    name: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl PostgresDatabase {
    fn create() -> Self {
        let server = std::env::var("MOTCUA_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!(
            "motcua_drift_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let database = Self { server, name };
        diesel::sql_query(format!("CREATE DATABASE \"{}\"", database.name))
            .execute(&mut database.admin())
            .unwrap();
        database
    }

    fn admin(&self) -> diesel::PgConnection {
        diesel::PgConnection::establish(&self.server).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL for tests is not reachable at {} ({e}); start it or set MOTCUA_TEST_POSTGRES",
                self.server
            )
        })
    }

    fn url(&self) -> String {
        let (base, query) = self
            .server
            .split_once('?')
            .map_or((self.server.as_str(), None), |(b, q)| (b, Some(q)));
        let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
        match query {
            Some(query) => format!("{base}/{}?{query}", self.name),
            None => format!("{base}/{}", self.name),
        }
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.server) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

fn check_postgres(database: Database) {
    let target = PostgresDatabase::create();
    let pool = DbPool::open_database(database, &target.url(), options()).unwrap();
    let migrated = postgres_schema(&mut pool.get().unwrap());
    drop(pool);
    assert_no_drift(database, &migrated, "PostgreSQL");
}

#[test]
fn results_schema_matches_the_sqlite_migrations() {
    check_sqlite(Database::Results);
}

#[test]
fn reports_schema_matches_the_sqlite_migrations() {
    check_sqlite(Database::Reports);
}

#[test]
fn results_schema_matches_the_postgres_migrations() {
    check_postgres(Database::Results);
}

#[test]
fn reports_schema_matches_the_postgres_migrations() {
    check_postgres(Database::Reports);
}

#[test]
fn the_schema_reader_sees_every_table_and_column() {
    let schema = parse_schema(RESULTS_SCHEMA);
    let tables = RESULTS_SCHEMA.matches("diesel::table!").count();
    assert_eq!(schema.len(), tables);
    let key = &schema["idempotency_keys"];
    assert_eq!(key.primary_key, ["scope", "key"]);
    assert_eq!(
        key.columns["status"],
        Column {
            sql_type: "Integer".into(),
            nullable: true
        }
    );
    let declared_columns = RESULTS_SCHEMA
        .lines()
        .filter(|line| line.contains(" -> ") && !line.trim_start().starts_with("diesel::"))
        .count();
    let read: usize = schema.values().map(|t| t.columns.len()).sum();
    assert_eq!(read, declared_columns);
}
