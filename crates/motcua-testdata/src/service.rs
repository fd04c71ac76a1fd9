//! The results service on loopback, in this process, on its own actix system thread.

use actix_web::dev::ServerHandle;
use motcua_db::{DbPool, PoolOptions};
use motcua_results::config::ResultsConfig;

/// A pool on the database at `url`, sized as the service's test configuration
/// ([`ResultsConfig::for_database`]).
pub fn pool(url: &str) -> Result<DbPool, String> {
    DbPool::open(
        url,
        PoolOptions {
            max_connections: ResultsConfig::for_database(url).db_pool_size,
            ..PoolOptions::default()
        },
    )
}

/// A running results service; dropping it stops the service.
pub struct ResultsService {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    server: ServerHandle,
}

impl ResultsService {
    /// Serves the database at `url` through `pool`, with `workers` workers (the service's
    /// default when `None`). Panics when the service cannot start: a test cannot go on without.
    pub fn start(url: &str, pool: DbPool, workers: Option<usize>) -> Self {
        let mut config = ResultsConfig::for_database(url.to_owned());
        if let Some(workers) = workers {
            config.workers = workers;
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let started = motcua_results::start_with_pool(config, pool);
                let (server, addr) = match started {
                    Ok(started) => started,
                    Err(error) => panic!("the results service does not start: {error}"),
                };
                let _ = sender.send((server.handle(), addr));
                let _ = server.run().await;
            });
        });
        let Ok((server, addr)) = receiver.recv() else {
            panic!("the results service does not start");
        };
        Self {
            base_url: format!("http://{addr}"),
            server,
        }
    }
}

impl Drop for ResultsService {
    fn drop(&mut self) {
        // Stopping from another thread, so the caller's runtime is never blocked on the server's.
        let server = self.server.clone();
        let _ =
            std::thread::spawn(move || actix_web::rt::System::new().block_on(server.stop(false)))
                .join();
    }
}
