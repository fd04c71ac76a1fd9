//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes.

use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "motcua results service",
        description = "Units, procedures, officials, dossiers and electronic results of Vietnam's one-stop offices (Bộ phận Một cửa). Every date, instant and period lies in the years 1900 to 2199 (outside: 400 in a query or path, 422 in a body). Conventions: API-DESIGN.md.",
        license(name = "AGPL-3.0-or-later"),
    ),
    tags(
        (name = "units", description = "Administrative units (tỉnh, huyện, xã) and one-stop desks"),
        (name = "procedures", description = "Catalogue of administrative procedures (TTHC)"),
        (name = "officials", description = "Officials at one-stop desks"),
        (name = "dossiers", description = "Dossiers (hồ sơ): intake, lifecycle, history, import"),
        (name = "statistics", description = "Biểu 06/VPCP/KSTT and QĐ 766 indicators computed from the records"),
        (name = "calendar", description = "Working days: days off and make-up days per year"),
        (name = "certificates", description = "Personal certificates of officials (chứng thư số cá nhân) and collective certificates of units (chứng thư số tập thể), with their verdicts and coverage"),
        (name = "verification", description = "Public verification of signed PDFs and electronic results (no API key needed)"),
        (name = "trust-store", description = "Root and intermediate CA certificates and CRLs that certificates are validated against (changes: admins only)"),
        (name = "api-keys", description = "Credentials of people and systems"),
        (name = "audit", description = "Append-only, tamper-evident audit trail: records, checkpoints, inclusion proofs, verification"),
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
