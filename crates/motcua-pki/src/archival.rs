//! What a signature needs from outside motcua to stay verifiable after its certificates expire:
//! a timestamp authority (RFC 3161) and the revocation data of every certificate involved.
//! The signing seam ([`SignatureRequest`](crate::pades::SignatureRequest)) asks for both through
//! [`ArchivalServices`]; the services implement it with their TSA client and revocation fetcher.

use std::future::Future;

use crate::error::PkiError;
use crate::parse::Certificate;

/// Certificates and revocation data, DER-encoded, as a PDF's `/DSS` holds them
/// (ETSI EN 319 142-1 §5.4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationData {
    /// X.509 certificates.
    pub certificates: Vec<Vec<u8>>,
    /// CRLs (RFC 5280).
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses (RFC 6960 `OCSPResponse`).
    pub ocsp_responses: Vec<Vec<u8>>,
}

impl ValidationData {
    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.crls.is_empty() && self.ocsp_responses.is_empty()
    }

    /// Adds what `other` holds that this does not, keeping the order of first appearance.
    pub fn merge(&mut self, other: ValidationData) {
        merge_unique(&mut self.certificates, other.certificates);
        merge_unique(&mut self.crls, other.crls);
        merge_unique(&mut self.ocsp_responses, other.ocsp_responses);
    }
}

fn merge_unique(into: &mut Vec<Vec<u8>>, items: Vec<Vec<u8>>) {
    for item in items {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// The outside services a signature above B-B needs.
pub trait ArchivalServices: Sync {
    /// An RFC 3161 `TimeStampToken` (the DER `ContentInfo`) over the SHA-256 `imprint`, already
    /// checked: granted, for this imprint, signed by a trusted timestamping authority.
    fn timestamp(
        &self,
        imprint: [u8; 32],
    ) -> impl Future<Output = Result<Vec<u8>, PkiError>> + Send;

    /// The certificates of the path from `leaf` to its trusted root (built with `extra` and the
    /// trust store) and current revocation data (OCSP response or CRL) for each of them below
    /// the root.
    fn validation_data(
        &self,
        leaf: &Certificate,
        extra: &[Certificate],
    ) -> impl Future<Output = Result<ValidationData, PkiError>> + Send;
}
