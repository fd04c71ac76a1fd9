//! `TimeStampReq` (RFC 3161 §2.4.1) for a SHA-256 imprint.

use der::asn1::{Any, Int, ObjectIdentifier, OctetString};
use der::Encode;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_tsp::{MessageImprint, TimeStampReq, TspVersion};

use super::random_positive_int;
use crate::error::PkiError;

/// The SHA-256 OID, as the imprint's hash algorithm.
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// A request ready to send, and the nonce its answer must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampRequest {
    /// DER `TimeStampReq`, the body of an `application/timestamp-query`.
    pub der: Vec<u8>,
    /// The random 64-bit nonce, as the content of its DER INTEGER.
    pub nonce: Vec<u8>,
}

/// A request for a timestamp of the SHA-256 `imprint`, with a random 64-bit nonce, asking for
/// the TSA's certificate in the token (`certReq`), under `policy` (a dotted OID) when given.
pub fn timestamp_request(
    imprint: &[u8; 32],
    policy: Option<&str>,
) -> Result<TimestampRequest, PkiError> {
    let req_policy = policy
        .map(|dotted| {
            ObjectIdentifier::new(dotted).map_err(|error| {
                PkiError::TsaConfig(format!("the policy {dotted} is not an OID: {error}"))
            })
        })
        .transpose()?;
    let nonce: Int = random_positive_int::<8>()?;
    let request = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: SHA256,
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(imprint.to_vec()).map_err(invalid)?,
        },
        req_policy,
        nonce: Some(nonce.clone()),
        cert_req: true,
        extensions: None,
    };
    Ok(TimestampRequest {
        der: request.to_der().map_err(invalid)?,
        nonce: nonce.as_bytes().to_vec(),
    })
}

fn invalid(error: der::Error) -> PkiError {
    PkiError::InvalidDer(error.to_string())
}
