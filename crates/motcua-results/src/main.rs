//! `motcua-results`: runs the results service alone, configured from the environment.

use motcua_results::config::ResultsConfig;

/// The services allocate and free document buffers (100 KB to 50 MB) at every request; glibc's
/// allocator returns such memory to the system and faults it back in on the next one, which cost
/// about 6 % of a PDF signature.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    motcua_web::observe::init_logging();
    let outcome = async {
        let config = ResultsConfig::from_env().map_err(|e| e.to_string())?;
        let (server, addr) = motcua_results::start(config)?;
        tracing::info!("results service listening on http://{addr}");
        server.run().await.map_err(|e| e.to_string())
    };
    match outcome.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("motcua-results: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
