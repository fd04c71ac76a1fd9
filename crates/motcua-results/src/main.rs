//! `motcua-results`: runs the results service alone, configured from the environment.

use motcua_results::config::ResultsConfig;

/// The services allocate and free document buffers (100 KB to 50 MB) at every request; glibc's
/// allocator returns such memory to the system and faults it back in on the next one, which cost
/// about 6 % of a PDF signature.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    motcua_web::service::run("motcua-results", "results service", || {
        motcua_results::start(ResultsConfig::from_env().map_err(|e| e.to_string())?)
    })
    .await
}
