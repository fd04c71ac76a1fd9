//! X.509 certificates of the Vietnamese government PKI for motcua: parsing with the Vietnamese
//! text of names intact, path validation at a given time with CRL and OCSP revocation, and a test PKI
//! that mirrors the real hierarchy.
//!
//! ```no_run
//! use chrono::Utc;
//! use motcua_pki::{parse_certificates, Purpose, RevocationPolicy, TrustStore};
//!
//! # fn demo(root_pem: &[u8], ca_pem: &[u8], crl: &[u8], leaf_pem: &[u8]) -> Result<(), motcua_pki::PkiError> {
//! let mut store = TrustStore::new();
//! for root in parse_certificates(root_pem)? {
//!     store.add_root(root)?;
//! }
//! for ca in parse_certificates(ca_pem)? {
//!     store.add_intermediate(ca)?;
//! }
//! store.add_crl(crl)?;
//! let leaf = parse_certificates(leaf_pem)?.remove(0);
//! let verdict = store.validate(&leaf, &[], Utc::now(), Purpose::Signing, RevocationPolicy::Require);
//! println!("{:?}: {}", verdict.status, verdict.summary);
//! # Ok(())
//! # }
//! ```

pub mod archival;
pub mod binding;
mod budget;
pub mod cms;
mod constraints;
mod crl;
mod der;
mod error;
mod http_body;
mod memo;
mod names;
pub mod pades;
mod parse;
mod path;
pub mod remote;
pub mod revocation;
mod signature;
mod store;
#[cfg(any(test, feature = "test-pki"))]
pub mod testpki;
pub mod tsp;
mod validate;
mod verdict;

pub use budget::{Budget, BudgetExceeded, CancelOnDrop, Canceller};
pub use crl::{CrlInfo, RevocationReason};
pub use error::PkiError;
pub use names::{DistinguishedName, Identifier, IdentifierKind, NameAttribute};
pub use parse::{
    parse_certificates, BasicConstraintsInfo, Certificate, CertificateInfo, KeyUsageFlag,
};
pub use revocation::{
    check_ocsp_response, CrlRefresh, CrlRefreshOutcome, OcspAnswer, OcspCertStatus,
    RevocationConfig, RevocationFetcher, SuppliedRevocation, UrlRewrite,
};
pub use signature::HashAlg;
pub use store::TrustStore;
pub use verdict::{
    ChainEntry, Check, CheckKind, Outcome, Purpose, RevocationInfo, RevocationPolicy, Verdict,
    VerdictStatus, SIGNING_EXTENDED_KEY_USAGES, TIMESTAMPING_EXTENDED_KEY_USAGE,
};
