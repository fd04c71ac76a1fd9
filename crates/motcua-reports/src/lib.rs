//! The report service: compiles a unit's periodic report from the results service's records,
//! renders it as a Vietnamese administrative document, gets it signed by the leader (two-step,
//! personal certificate) and by the organisation, delivers it to the province through an outbox,
//! and, deployed at the province, receives, verifies and acknowledges reports and rolls them up.

pub mod client;
pub mod config;
pub mod content;
pub mod document;
pub mod figures;
pub mod lifecycle;
pub mod openapi;
pub mod outbox;
pub mod package;
pub mod routes;
pub mod state;
pub mod verification;
pub mod workflow;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::App;
use motcua_db::{Database, DbPool, PoolOptions};
use motcua_web::background::{Background, RunningService};
use motcua_web::error::ApiError;
use motcua_web::idempotency;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

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
    let (app, doc) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .app_data(state.web.clone())
        .app_data(state)
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::bad_param("path", err.to_string()).into()),
        )
        .configure(routes::configure)
        .split_for_parts();
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi::finish(doc)))
        // HTML for people, outside the OpenAPI document.
        .configure(routes::verification_page::configure)
        .route(
            "/docs",
            web::get().to(|| async {
                actix_web::HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        )
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::NotFound(
                "no such endpoint; see /docs".into(),
            ))
        }))
        .wrap(from_fn(
            motcua_web::extract::refuse_control_characters_in_path,
        ))
        .wrap(from_fn(idempotency::idempotent_post))
        // Before anything reads the body or writes: a bad key is refused from its headers.
        .wrap(from_fn(motcua_web::auth::authenticate))
        .wrap(from_fn(motcua_web::limits::body_deadline))
        .wrap(from_fn(motcua_web::extract::refuse_long_uris))
        .wrap(from_fn(motcua_web::observe::observe))
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
    motcua_web::audit_trail::schedule_checkpoints(&mut background, state.web.clone())?;
    idempotency::schedule_purge(&mut background, state.web.clone());
    RunningService::bind(
        move || app(state.clone()),
        workers,
        bind,
        limits,
        background,
    )
}
