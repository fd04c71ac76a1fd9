//! The results service: the catalogue of procedures, the units and officials of one-stop desks,
//! and (in later modules) dossiers and their electronic results.

pub mod auth;
pub use motcua_web::{
    answer, audit, concurrency, error, extract, idempotency, keystore, pagination, request_id,
};
pub mod certs;
pub mod config;
pub mod intake;
pub mod lifecycle;
pub mod openapi;
pub mod routes;
pub mod seed;
pub mod state;
pub mod statistics;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::App;
use motcua_db::{DbPool, PoolOptions};
use motcua_web::background::{Background, RunningService};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::ResultsConfig;
use crate::error::ApiError;
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
                    .insert_header(("location", "/docs/"))
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
pub fn start(config: ResultsConfig) -> Result<(RunningService, std::net::SocketAddr), String> {
    let options = PoolOptions {
        max_connections: config.db_pool_size,
        ..PoolOptions::default()
    };
    let db = DbPool::open(&config.database_url, options)?;
    start_with_pool(config, db)
}

/// Like [`start`], with an already open pool. Call it inside an actix system.
pub fn start_with_pool(
    config: ResultsConfig,
    db: DbPool,
) -> Result<(RunningService, std::net::SocketAddr), String> {
    serve(Data::new(AppState::new(db, config)?))
}

/// Installs the configured trust roots (first start only), binds the server for `state` and
/// starts its background work (certificate revalidation, audit checkpoints). Call it inside an
/// actix system.
pub fn serve(state: Data<AppState>) -> Result<(RunningService, std::net::SocketAddr), String> {
    let config = &state.config;
    if let Some(dir) = &config.trust_roots_dir {
        let added = certs::install_default_roots(&state.db, dir)?;
        if added > 0 {
            tracing::info!(added, dir = %dir.display(), "trust store initialised from MOTCUA_TRUST_ROOTS_DIR");
        }
    }
    let (workers, bind, limits) = (config.workers, config.bind, config.server);
    let mut background = Background::new();
    motcua_web::audit_trail::schedule_checkpoints(&mut background, state.web.clone())?;
    idempotency::schedule_purge(&mut background, state.web.clone());
    let revalidated = state.clone();
    background.every(
        "certificate revalidation",
        config.revalidation_interval,
        true,
        move || {
            let state = revalidated.clone();
            async move { certs::revalidation_round(&state).await }
        },
    );
    RunningService::bind(
        move || app(state.clone()),
        workers,
        bind,
        limits,
        background,
    )
}
