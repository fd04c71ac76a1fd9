//! Revocation data beyond the CRLs an administrator imports: OCSP (RFC 6960), CRLs and OCSP
//! responses downloaded and cached by a [`RevocationFetcher`], and revocation data supplied with
//! a document ([`SuppliedRevocation`], e.g. from a PDF's `/DSS`).

mod config;
mod fetch;
mod ocsp;
mod refresh;
mod supplied;

pub use config::{RevocationConfig, UrlRewrite};
pub use fetch::RevocationFetcher;
pub use ocsp::{check_ocsp_response, OcspAnswer, OcspCertStatus};
pub use refresh::{CrlRefresh, CrlRefreshOutcome};
pub use supplied::SuppliedRevocation;

pub(crate) use ocsp::OID_OCSP_SIGNING;
