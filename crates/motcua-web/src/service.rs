//! What both services' applications and programs are built from: the middleware stack, the
//! OpenAPI document and its Swagger UI, the `/docs` redirect, the default 404, and the `main`
//! that reads the configuration and runs the server.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::App;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use motcua_db::{Database, DbPool, PoolOptions};

use crate::background::RunningService;
use crate::error::ApiError;
use crate::WebContext;

/// The application of a service: `state` and `web` as data, the routes of its OpenAPI document
/// (`routes`, documented over `openapi_base`, see [`crate::openapi::base`]), the pages for
/// people outside it (`pages`), and every middleware and error handler both services share.
pub fn app<S: 'static>(
    state: Data<S>,
    web: Data<WebContext>,
    openapi_base: OpenApiDoc,
    routes: impl FnOnce(&mut utoipa_actix_web::service_config::ServiceConfig),
    pages: impl FnOnce(&mut web::ServiceConfig),
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
        .openapi(crate::openapi::base(openapi_base))
        .app_data(web)
        .app_data(state)
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::bad_param("path", err.to_string()).into()),
        )
        .configure(routes)
        .split_for_parts();
    app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", crate::openapi::finish(doc)))
        // HTML for people, outside the OpenAPI document.
        .configure(pages)
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
        .wrap(from_fn(crate::extract::refuse_control_characters_in_path))
        .wrap(from_fn(crate::idempotency::idempotent_post))
        // Before anything reads the body or writes: a bad key is refused from its headers.
        .wrap(from_fn(crate::auth::authenticate))
        .wrap(from_fn(crate::limits::body_deadline))
        .wrap(from_fn(crate::extract::refuse_long_uris))
        .wrap(from_fn(crate::observe::observe))
}

/// The `main` of a service program named `program`: logging, then `start` (which reads the
/// configuration and binds), then the server until it stops. Failures are printed, and the exit
/// code says so.
pub async fn run(
    program: &str,
    service: &str,
    start: impl FnOnce() -> Started,
) -> std::process::ExitCode {
    crate::observe::init_logging();
    let outcome = async {
        let (server, addr) = start()?;
        tracing::info!("{service} listening on http://{addr}");
        server.run().await.map_err(|e| e.to_string())
    };
    match outcome.await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{program}: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A service bound and ready to run, with the address it listens on; or why it could not start.
pub type Started = Result<(RunningService, std::net::SocketAddr), String>;

/// Opens `database` at `url` (migrating it) with at most `max_connections` connections.
pub fn open_pool(database: Database, url: &str, max_connections: u32) -> Result<DbPool, String> {
    let options = PoolOptions {
        max_connections,
        ..PoolOptions::default()
    };
    DbPool::open_database(database, url, options)
}

/// The routes of a service: those of its OpenAPI document (over its base, see
/// [`crate::openapi::base`]) and the pages for people outside it.
#[derive(Clone, Copy)]
pub struct Routes {
    pub openapi_base: fn() -> OpenApiDoc,
    pub documented: fn(&mut utoipa_actix_web::service_config::ServiceConfig),
    pub pages: fn(&mut web::ServiceConfig),
}

/// Where and how a service listens.
#[derive(Clone, Copy)]
pub struct Listen {
    pub workers: usize,
    pub bind: std::net::SocketAddr,
    pub limits: crate::ServerLimits,
}

impl Listen {
    pub fn new(workers: usize, bind: std::net::SocketAddr, limits: crate::ServerLimits) -> Self {
        Self {
            workers,
            bind,
            limits,
        }
    }
}

/// Binds the [`app`] of a service with its `state`, the two further `data` its handlers extract
/// (the audit trail, the subscriptions' settings) and its `routes`, and starts its `background`
/// work. Call it inside an actix system.
pub fn bind<S, D, E>(
    state: Data<S>,
    web: Data<WebContext>,
    data: (Data<D>, Data<E>),
    routes: Routes,
    listen: Listen,
    background: crate::background::Background,
) -> Started
where
    S: Send + Sync + 'static,
    D: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    RunningService::bind(
        move || {
            let base = (routes.openapi_base)();
            app(
                state.clone(),
                web.clone(),
                base,
                routes.documented,
                routes.pages,
            )
            .app_data(data.0.clone())
            .app_data(data.1.clone())
        },
        listen.workers,
        listen.bind,
        listen.limits,
        background,
    )
}
