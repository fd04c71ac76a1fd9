//! Every value a service's database holds, column by column, to look for what must never be
//! stored there (secrets, private keys). Tables and columns come from the catalogue, so a table
//! added later is searched too.

use diesel::RunQueryDsl;
use motcua_db::DbPool;

use crate::Backend;

/// The values of one column, hex-encoded (lowercase) and separated by `||`.
pub struct ColumnDump {
    pub table: String,
    pub column: String,
    pub hex: String,
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

#[derive(diesel::QueryableByName)]
struct Value {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    v: Option<String>,
}

/// Every column of every table, as bytes (text as UTF-8, blobs as they are).
pub fn dump_database(pool: &DbPool, backend: Backend) -> Vec<ColumnDump> {
    let mut conn = pool.get().unwrap();
    let tables_sql = match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        }
    };
    let tables: Vec<Name> = diesel::sql_query(tables_sql).load(&mut *conn).unwrap();
    let mut dump = Vec::new();
    for table in tables.into_iter().map(|t| t.name) {
        let columns_sql = match backend {
            Backend::Sqlite => {
                format!("SELECT name, type AS kind FROM pragma_table_info('{table}')")
            }
            Backend::Postgres => format!(
                "SELECT column_name::text AS name, data_type::text AS kind \
                 FROM information_schema.columns WHERE table_name = '{table}'"
            ),
        };
        let columns: Vec<Column> = diesel::sql_query(columns_sql).load(&mut *conn).unwrap();
        for column in columns {
            let value = match (backend, column.kind.as_str()) {
                (Backend::Sqlite, _) => format!("lower(hex(\"{}\"))", column.name),
                (Backend::Postgres, "bytea") => format!("encode(\"{}\", 'hex')", column.name),
                (Backend::Postgres, _) => format!(
                    "encode(convert_to(\"{}\"::text, 'UTF8'), 'hex')",
                    column.name
                ),
            };
            let values: Vec<Value> =
                diesel::sql_query(format!("SELECT {value} AS v FROM \"{table}\""))
                    .load(&mut *conn)
                    .unwrap();
            let hex = values
                .into_iter()
                .filter_map(|v| v.v)
                .collect::<Vec<_>>()
                .join("||");
            dump.push(ColumnDump {
                table: table.clone(),
                column: column.name,
                hex,
            });
        }
    }
    dump
}

/// Where (`table.column`) `needle` occurs in `dump`.
pub fn occurrences(dump: &[ColumnDump], needle: &[u8]) -> Vec<String> {
    let needle = hex::encode(needle);
    dump.iter()
        .filter(|column| {
            // Only at byte boundaries (values are joined by two characters, so each starts at an
            // even offset): a match at an odd offset is not the bytes.
            column.hex.match_indices(&needle).any(|(at, _)| at % 2 == 0)
        })
        .map(|column| format!("{}.{}", column.table, column.column))
        .collect()
}
