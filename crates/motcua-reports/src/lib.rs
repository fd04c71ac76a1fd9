//! The report service: compiles a unit's periodic report from the results service's records,
//! renders it as a Vietnamese administrative document, gets it signed by the leader (two-step,
//! personal certificate) and by the organisation, delivers it to the province through an outbox,
//! and, deployed at the province, receives, verifies and acknowledges reports and rolls them up.

pub mod client;
pub mod config;
pub mod content;
pub mod figures;
pub mod leader_sessions;
pub mod lifecycle;
pub mod openapi;
pub mod outbox;
pub mod package;
pub mod report_document;
pub mod routes;
pub mod signature_check;
pub mod state;
pub mod trust;
pub mod workflow;

use actix_web::web::Data;
use motcua_db::{Database, DbPool};
use motcua_web::background::Background;
use motcua_web::idempotency;
use motcua_web::service::{open_pool, Listen, Started};

use crate::config::ReportsConfig;
use crate::state::AppState;

/// How often the trust store refresh looks whether a read of the results service is due.
const TRUST_TICK: std::time::Duration = std::time::Duration::from_secs(10);

/// Binds the server for `state` and starts its background work (outbox, leader signing sessions,
/// audit checkpoints, archive renewal when scheduled).
/// Call it inside an actix system.
pub fn serve(state: Data<AppState>) -> Started {
    let config = &state.config;
    let mut background = Background::new();
    let delivering = state.clone();
    background.every("outbox", config.outbox_interval, true, move || {
        let state = delivering.clone();
        async move { outbox::round(&state).await }
    });
    if state.results.is_some() {
        let refreshing = state.clone();
        // Every few seconds: each round reads only when the refresh interval has passed.
        let tick = config.trust_refresh.min(TRUST_TICK);
        background.every("trust store refresh", tick, true, move || {
            let state = refreshing.clone();
            async move { state.trust.refresh_when_due().await }
        });
    }
    // Also without remote providers: pending sessions whose time ran out are recorded expired.
    let polling = state.clone();
    background.every(
        "signing sessions",
        state.remote.poll_interval,
        true,
        move || {
            let state = polling.clone();
            async move { leader_sessions::poll_round(&state).await }
        },
    );
    motcua_audit::schedule_checkpoints(&mut background, state.web.clone(), state.audit.clone())?;
    idempotency::schedule_purge(&mut background, state.web.clone());
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

/// Like [`start`], with an already open pool. Call it inside an actix system: it also starts the
/// outbox worker, which stops with the system.
pub fn start_with_pool(config: ReportsConfig, db: DbPool) -> Started {
    serve(Data::new(AppState::new(db, config)?))
}

/// Opens the database (migrating it) and binds the server; the caller runs the returned future.
pub fn start(config: ReportsConfig) -> Started {
    let db = open_pool(Database::Reports, &config.database_url, config.db_pool_size)?;
    start_with_pool(config, db)
}
