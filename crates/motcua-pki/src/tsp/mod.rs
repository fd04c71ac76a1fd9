//! RFC 3161 timestamps: requests, verification of tokens, a timestamp authority and a client.
//!
//! - [`timestamp_request`] builds a `TimeStampReq` for a SHA-256 imprint;
//! - [`check_token`] verifies a `TimeStampToken` (a CMS SignedData of a `TSTInfo`) against the
//!   data it timestamps and a [`TrustStore`](crate::TrustStore), reporting like
//!   [`SignatureReport`](crate::cms::SignatureReport) does;
//! - [`TimestampAuthority`] answers requests with tokens signed by a [`KeySigner`](crate::cms::KeySigner);
//! - [`TsaClient`] asks the configured authorities in turn and returns the first token that
//!   passes every check.

mod authority;
mod client;
mod request;
mod response;
mod token;
mod tst_info;

pub use authority::TimestampAuthority;
pub use client::{Timestamp, TsaClient, TsaConfig, TsaCredentials, TsaEndpoint, TsaFailure};
pub use request::{timestamp_request, TimestampRequest};
pub(crate) use token::check_token_within;
pub use token::{check_token, check_token_over, TimestampAccuracy, TimestampCheck};
pub(crate) use tst_info::{read as read_tst_info, TstInfo};

use der::asn1::Int;

use crate::error::PkiError;

/// The OID of id-kp-timeStamping's content type, id-ct-TSTInfo (RFC 3161 §2.4.2).
pub const TST_INFO_CONTENT_TYPE: &str = "1.2.840.113549.1.9.16.1.4";

/// `n` random bytes as a positive DER INTEGER in its minimal form (a nonce, a serial number).
fn random_positive_int<const N: usize>() -> Result<Int, PkiError> {
    let mut bytes = [0u8; N];
    openssl::rand::rand_bytes(&mut bytes).map_err(PkiError::crypto("drawing random bytes"))?;
    positive_int(&bytes)
}

/// The unsigned big-endian `magnitude` as a DER INTEGER: leading zeros dropped, one zero byte put
/// back when the high bit is set so that the value stays positive.
fn positive_int(magnitude: &[u8]) -> Result<Int, PkiError> {
    let skip = magnitude.iter().take_while(|&&byte| byte == 0).count();
    let significant = magnitude.get(skip..).unwrap_or_default();
    let mut encoded = Vec::with_capacity(significant.len() + 1);
    if significant.first().is_none_or(|&byte| byte >= 0x80) {
        encoded.push(0);
    }
    encoded.extend_from_slice(significant);
    Int::new(&encoded).map_err(|error| PkiError::InvalidDer(error.to_string()))
}

/// The hash algorithm OIDs accepted in message imprints, with the imprint length of each.
fn imprint_hash(oid: &str) -> Option<(crate::HashAlg, usize)> {
    use crate::HashAlg;
    HashAlg::from_oid(oid).map(|hash| {
        let length = match hash {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        };
        (hash, length)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_ints_are_minimal() {
        assert_eq!(positive_int(&[0, 0, 0x7f]).unwrap().as_bytes(), &[0x7f]);
        assert_eq!(positive_int(&[0x80, 1]).unwrap().as_bytes(), &[0, 0x80, 1]);
        assert_eq!(positive_int(&[]).unwrap().as_bytes(), &[0]);
    }
}
