//! The OpenAPI document: the service's title, description and tags here, the rest generated
//! from the handlers' `#[utoipa::path]` attributes (see [`motcua_web::openapi::document`]).

use utoipa::openapi::OpenApi as OpenApiDoc;

/// What no handler declares: title, description, and the tags (`name: description`, one a line).
pub fn base() -> OpenApiDoc {
    motcua_events::openapi::with_webhooks(motcua_web::openapi::service(
        "motcua report service",
        "Periodic reports of Vietnam's one-stop offices (Bộ phận Một cửa) to the province: compiled from the results service, rendered per Nghị định 30/2020, signed by the leader and the organisation, delivered, received and verified. Every date, instant and period lies in the years 1900 to 2199 (outside: 400 in a query or path, 422 in a body). Conventions: API-DESIGN.md.",
        "\
reports: Periodic reports to the provincial People's Committee office: compiled from the records, versions, documents, figures
signing: The leader's two-step personal signature and issuing with the organisation's signature
delivery: Submission to the province through the outbox
inbox: Receiver mode: reports received from lower units, verified and acknowledged, and the roll-up
organisation-keys: Keys of units' collective certificates (admins only; never returned)
api-keys: Credentials of people and systems (at a receiver: the keys issued to lower units)
audit: Tamper-evident audit trail: checkpoints, inclusion proofs, verification
archive: Long-term archive of the issued reports: which need a new document timestamp, and renewing them (admins only)
events: What changed, for other systems: reports issued, submitted and acknowledged, and reports received at the province (CloudEvents 1.0), read with long-polling or pushed to subscribed callback URLs, signed (see `webhooks`)
health: Probes
",
    ))
}
