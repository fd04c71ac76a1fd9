//! `motcua-results`: runs the results service alone, configured from the environment.

use motcua_results::config::ResultsConfig;

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
