//! The report service: compiles a unit's periodic report from the results service's records,
//! renders it as a Vietnamese administrative document, gets it signed by the leader (two-step,
//! personal certificate) and by the organisation, delivers it to the province through an outbox,
//! and, deployed at the province, receives, verifies and acknowledges reports and rolls them up.

pub mod client;
pub mod config;
pub mod content;
pub mod document;
pub mod figures;
pub mod openapi;
pub mod outbox;
pub mod package;
pub mod routes;
pub mod signature_check;
pub mod state;
pub mod workflow;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web::Data;
use actix_web::App;
use motcua_db::{Database, DbPool, PoolOptions};
use motcua_web::background::{Background, RunningService};
use motcua_web::idempotency;

use crate::config::ReportsConfig;
use crate::state::AppState;

/// The application with every route, middleware and error handler.
pub fn app(
    state: Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (web, audit) = (state.web.clone(), state.audit.clone());
    motcua_web::service::app(
        state,
        web,
        openapi::base(),
        routes::configure,
        routes::verification_page::configure,
    )
    .app_data(audit)
}

/// Opens the database (migrating it) and binds the server; the caller runs the returned future.
pub fn start(config: ReportsConfig) -> Result<(RunningService, std::net::SocketAddr), String> {
    let options = PoolOptions {
        max_connections: config.db_pool_size,
        ..PoolOptions::default()
    };
    let db = DbPool::open_database(Database::Reports, &config.database_url, options)?;
    start_with_pool(config, db)
}

/// Like [`start`], with an already open pool. Call it inside an actix system: it also starts the
/// outbox worker, which stops with the system.
pub fn start_with_pool(
    config: ReportsConfig,
    db: DbPool,
) -> Result<(RunningService, std::net::SocketAddr), String> {
    serve(Data::new(AppState::new(db, config)?))
}

/// Binds the server for `state` and starts its background work (outbox, audit checkpoints).
/// Call it inside an actix system.
pub fn serve(state: Data<AppState>) -> Result<(RunningService, std::net::SocketAddr), String> {
    let config = &state.config;
    let (workers, bind, limits) = (config.workers, config.bind, config.server);
    let mut background = Background::new();
    let delivering = state.clone();
    background.every("outbox", config.outbox_interval, true, move || {
        let state = delivering.clone();
        async move { outbox::round(&state).await }
    });
    motcua_audit::schedule_checkpoints(&mut background, state.web.clone(), state.audit.clone())?;
    idempotency::schedule_purge(&mut background, state.web.clone());
    RunningService::bind(
        move || app(state.clone()),
        workers,
        bind,
        limits,
        background,
    )
}
