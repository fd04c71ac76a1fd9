//! What both services' OpenAPI documents share: the API-key security scheme, the PDF body
//! schema and the finishing touches (version, committed form).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, ToSchema};

/// A PDF document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfDocument(#[allow(dead_code)] Vec<u8>);

/// Declares the `api_key` bearer scheme the handlers' `security(("api_key" = []))` refer to.
pub struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: `Authorization: Bearer mc_…`"))
                    .build(),
            ),
        );
    }
}

/// Completes a document collected from the routes with the program's version.
pub fn finish(mut doc: OpenApiDoc) -> OpenApiDoc {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document as committed in `api-spec/`: pretty JSON with a final newline.
pub fn committed_form(doc: &OpenApiDoc) -> String {
    let mut json = doc.to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}

/// What every service's document has beside its own info and tags: the API-key scheme and the
/// problem schemas.
#[derive(utoipa::OpenApi)]
#[openapi(
    modifiers(&ApiKeyAuth),
    components(schemas(crate::error::Problem, crate::error::InvalidParam))
)]
struct Shared;

/// A service's base document (its `info` and `tags`) with what every service's document has:
/// the parts no handler declares.
pub fn base(service: OpenApiDoc) -> OpenApiDoc {
    service.merge_from(<Shared as utoipa::OpenApi>::openapi())
}

/// The whole document of a service whose base is `service` and whose documented routes
/// `routes` registers, as served at `/openapi.json`.
pub fn document(
    service: OpenApiDoc,
    routes: impl FnOnce(&mut utoipa_actix_web::service_config::ServiceConfig),
) -> OpenApiDoc {
    use utoipa_actix_web::AppExt;
    let (_, doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(base(service))
        .configure(routes)
        .split_for_parts();
    finish(doc)
}

/// [`document`] as committed in `api-spec/`.
pub fn document_json(
    service: OpenApiDoc,
    routes: impl FnOnce(&mut utoipa_actix_web::service_config::ServiceConfig),
) -> String {
    committed_form(&document(service, routes))
}

/// A service's own part of its document: title, description and tags, given as lines
/// `name: description` in the order they are listed.
pub fn service(title: &str, description: &str, tags: &str) -> OpenApiDoc {
    use utoipa::openapi::tag::TagBuilder;
    use utoipa::openapi::{InfoBuilder, License, OpenApiBuilder};
    let info = InfoBuilder::new()
        .title(title)
        .description(Some(description))
        .license(Some(License::new("AGPL-3.0-or-later")))
        .version(env!("CARGO_PKG_VERSION"))
        .build();
    let tags: Vec<_> = tags
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, about)| {
            TagBuilder::new()
                .name(name)
                .description(Some(about))
                .build()
        })
        .collect();
    OpenApiBuilder::new().info(info).tags(Some(tags)).build()
}
