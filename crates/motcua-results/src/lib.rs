//! The results service: the catalogue of procedures, the units and officials of one-stop desks,
//! dossiers from intake to their (electronically signed) results, the certificates and trust
//! store that signatures are checked against, and the statistics counted from the dossiers.

pub mod auth;
pub mod certificate_events;
pub mod certificate_registry;
pub mod config;
pub mod electronic_result;
pub mod intake;
pub mod lifecycle;
pub mod openapi;
pub mod routes;
pub mod seed;
pub mod signing_sessions;
pub mod state;
pub mod statistics;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::web::Data;
use motcua_db::{Database, DbPool};
use motcua_web::background::Background;
use motcua_web::service::{open_pool, Listen, Started};

use crate::config::ResultsConfig;
use crate::state::AppState;

/// Opens the database (migrating it) and binds the server; the caller runs the returned future.
pub fn start(config: ResultsConfig) -> Started {
    let db = open_pool(Database::Results, &config.database_url, config.db_pool_size)?;
    start_with_pool(config, db)
}

/// Like [`start`], with an already open pool. Call it inside an actix system.
pub fn start_with_pool(config: ResultsConfig, db: DbPool) -> Started {
    serve(Data::new(AppState::new(db, config)?))
}

/// Installs the configured trust roots (first start only), binds the server for `state` and
/// starts its background work (certificate revalidation, audit checkpoints). Call it inside an
/// actix system.
pub fn serve(state: Data<AppState>) -> Started {
    let config = &state.config;
    if let Some(dir) = &config.trust_roots_dir {
        let added = certificate_registry::install_default_roots(&state.db, dir)?;
        if added > 0 {
            tracing::info!(added, dir = %dir.display(), "trust store initialised from MOTCUA_TRUST_ROOTS_DIR");
        }
    }
    let mut background = Background::new();
    motcua_audit::schedule_checkpoints(&mut background, state.web.clone(), state.audit.clone())?;
    motcua_web::idempotency::schedule_purge(&mut background, state.web.clone());
    let revalidated = state.clone();
    background.every(
        "certificate revalidation",
        config.revalidation_interval,
        true,
        move || {
            let state = revalidated.clone();
            async move { certificate_registry::revalidation_round(&state).await }
        },
    );
    schedule_crl_refresh(&mut background, &state);
    // Also without remote providers: pending sessions whose time ran out are recorded expired.
    let polling = state.clone();
    background.every(
        "signing sessions",
        signing_sessions::poll_interval(&state),
        true,
        move || {
            let state = polling.clone();
            async move { signing_sessions::poll_round(&state).await }
        },
    );
    if let Some(interval) = config.archive.interval {
        let archiving = state.clone();
        background.every("archive renewal", interval, false, move || {
            let state = archiving.clone();
            async move { routes::archive::scheduled_renewal(&state).await }
        });
    }
    motcua_events::delivery::schedule(&mut background, state.web.clone(), state.webhooks.clone());
    let listen = Listen::new(config.workers, config.bind, config.server);
    let web = state.web.clone();
    let data = (state.audit.clone(), state.webhooks.clone());
    motcua_web::service::bind(state, web, data, routes::ROUTES, listen, background)
}

/// Downloads the trust store's CRLs again before the earliest nextUpdate held, and at least every
/// `MOTCUA_CRL_REFRESH_SECS`: the task wakes often and refreshes once the wait the last refresh
/// computed has passed.
fn schedule_crl_refresh(background: &mut Background, state: &Data<AppState>) {
    let interval = state.config.crl_refresh_interval;
    let due = Rc::new(Cell::new(Instant::now()));
    let refreshed = state.clone();
    background.every(
        "CRL refresh",
        interval.min(CRL_REFRESH_WAKE),
        true,
        move || {
            let (state, due) = (refreshed.clone(), Rc::clone(&due));
            async move {
                if Instant::now() < due.get() {
                    return;
                }
                let wait = certificate_registry::crl_refresh_round(&state).await;
                due.set(Instant::now() + wait);
            }
        },
    );
}

/// How often the CRL refresh task checks whether a refresh is due.
const CRL_REFRESH_WAKE: Duration = Duration::from_secs(30);
