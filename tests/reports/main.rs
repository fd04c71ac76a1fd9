//! Tests of the report service over real HTTP, on SQLite and PostgreSQL. The whole journey
//! (results service, district, province, the signing CLI) is in
//! `crates/motcua-cli/tests/report_end_to_end.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(motcua_tests::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(motcua_tests::Backend::Postgres).await
                }
            }
        )+
    };
}

mod api_fuzzing;
mod audit_trail;
mod database_outage;
mod openapi;
mod operations;
mod requests;
mod verification_page;
