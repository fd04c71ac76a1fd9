//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes.

use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua report service",
        description = "Periodic reports of Vietnam's one-stop offices (Bộ phận Một cửa) to the province: compiled from the results service, rendered per Nghị định 30/2020, signed by the leader and the organisation, delivered, received and verified. Every date, instant and period lies in the years 1900 to 2199 (outside: 400 in a query or path, 422 in a body). Conventions: API-DESIGN.md.",
        license(name = "AGPL-3.0-or-later"),
    ),
    tags(
        (name = "reports", description = "Periodic reports to the provincial People's Committee office: compiled from the records, versions, documents, figures"),
        (name = "signing", description = "The leader's two-step personal signature and issuing with the organisation's signature"),
        (name = "delivery", description = "Submission to the province through the outbox"),
        (name = "inbox", description = "Receiver mode: reports received from lower units, verified and acknowledged, and the roll-up"),
        (name = "organisation-keys", description = "Keys of units' collective certificates (admins only; never returned)"),
        (name = "api-keys", description = "Credentials of people and systems (at a receiver: the keys issued to lower units)"),
        (name = "audit", description = "Tamper-evident audit trail: checkpoints, inclusion proofs, verification"),
        (name = "health", description = "Probes"),
    )
)]
struct BaseDoc;

/// The parts of the document that no handler declares: info, tags, security scheme.
pub fn base() -> OpenApiDoc {
    BaseDoc::openapi()
}

/// The whole document, as committed in `api-spec/` and served at `/openapi.json`.
pub fn document_json() -> String {
    motcua_web::openapi::document_json(base(), crate::routes::configure)
}
