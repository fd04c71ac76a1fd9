//! The OpenAPI document: the service's title, description and tags here, the rest generated
//! from the handlers' `#[utoipa::path]` attributes (see [`motcua_web::openapi::document`]).

use utoipa::openapi::OpenApi as OpenApiDoc;

/// What no handler declares: title, description, and the tags (`name: description`, one a line).
pub fn base() -> OpenApiDoc {
    motcua_events::openapi::with_webhooks(motcua_web::openapi::service(
        "motcua results service",
        "Units, procedures, officials, dossiers and electronic results of Vietnam's one-stop offices (Bộ phận Một cửa). Every date, instant and period lies in the years 1900 to 2199 (outside: 400 in a query or path, 422 in a body). Conventions: API-DESIGN.md.",
        "\
units: Administrative units (tỉnh, huyện, xã) and one-stop desks
procedures: Catalogue of administrative procedures (TTHC)
officials: Officials at one-stop desks
dossiers: Dossiers (hồ sơ): intake, lifecycle, history, import
statistics: Biểu 06/VPCP/KSTT and QĐ 766 indicators computed from the records
calendar: Working days: days off and make-up days per year
certificates: Personal certificates of officials (chứng thư số cá nhân) and collective certificates of units (chứng thư số tập thể), with their verdicts and coverage
verification: Public verification of signed PDFs and electronic results (no API key needed)
timestamps: The service as an RFC 3161 timestamp authority, when configured (no API key needed)
trust-store: Root and intermediate CA certificates and CRLs that certificates are validated against (changes: admins only)
api-keys: Credentials of people and systems
audit: Append-only, tamper-evident audit trail: records, checkpoints, inclusion proofs, verification
archive: Long-term archive of the signed electronic results: which need a new document timestamp, and renewing them (admins only)
events: What changed, for other systems: dossiers received, moved, given their signed result or handed over; certificates registered or their verdict changed (CloudEvents 1.0), read with long-polling or pushed to subscribed callback URLs, signed (see `webhooks`)
health: Probes
",
    ))
}
