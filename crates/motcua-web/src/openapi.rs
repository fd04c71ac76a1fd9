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
