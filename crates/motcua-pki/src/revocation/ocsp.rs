//! OCSP (RFC 6960): requests with a SHA-1 CertID (what openssl and most responders expect), and
//! checked responses. A response is used only when its signature verifies with the key of the
//! certificate's issuer or of a responder the issuer authorised (id-kp-OCSPSigning), it answers
//! for this very certificate, and it echoes the nonce that was sent.

use chrono::{DateTime, TimeDelta, Utc};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use openssl::hash::{hash, MessageDigest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::AuthorityInfoAccessSyntax;
use x509_cert::ext::Extension;
use x509_ocsp::ext::Nonce;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, Request, ResponderId, SingleResponse, TbsRequest,
};

use crate::crl::{CrlStatus, RevocationReason, RevokedEntry};
use crate::error::PkiError;
use crate::parse::{normalized_serial, Certificate};
use crate::path::check_signature;
use crate::signature::{verify, SignatureAlgorithm};

const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const ID_PKIX_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const ID_PKIX_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const ID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
const ID_PE_AUTHORITY_INFO_ACCESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
/// id-kp-OCSPSigning, required of a delegated responder.
pub(crate) const OID_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
/// Clock difference tolerated between a responder and this machine.
const CLOCK_SKEW_SECONDS: i64 = 300;
/// More certificates in a response than any responder needs; the rest are ignored.
const MAX_RESPONSE_CERTIFICATES: usize = 8;
/// Bytes of a request nonce (RFC 8954 recommends 32 at most).
const NONCE_BYTES: usize = 16;

/// What an OCSP responder says about a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum OcspCertStatus {
    /// Not revoked.
    Good,
    /// Revoked at `revoked_at`, for `reason` when given.
    Revoked {
        /// revocationTime.
        revoked_at: DateTime<Utc>,
        /// revocationReason, if any.
        reason: Option<RevocationReason>,
    },
    /// The responder does not know the certificate.
    Unknown,
}

/// A checked OCSP response for one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspAnswer {
    /// The certificate's status.
    pub status: OcspCertStatus,
    /// thisUpdate of the answer.
    pub this_update: DateTime<Utc>,
    /// nextUpdate, when the responder gives one.
    pub next_update: Option<DateTime<Utc>>,
    /// producedAt of the response.
    pub produced_at: DateTime<Utc>,
    /// Subject of the certificate that signed the response (the issuer or a delegated responder).
    pub responder: String,
    /// Until when the answer may be relied on: nextUpdate, or thisUpdate plus the configured
    /// maximum age when there is no nextUpdate.
    pub valid_until: DateTime<Utc>,
    /// The `OCSPResponse` as received.
    pub der: Vec<u8>,
    pub(crate) issuer_signer_id: [u8; 32],
    pub(crate) serial: Vec<u8>,
}

impl OcspAnswer {
    /// "the OCSP response of responder Y produced at Z": which revocation data was used.
    pub(crate) fn describe(&self) -> String {
        format!(
            "the OCSP response of responder {} produced at {} (this update {}, {})",
            self.responder,
            self.produced_at,
            self.this_update,
            self.next_update
                .map(|next| format!("next update {next}"))
                .unwrap_or_else(|| format!("no next update, relied on until {}", self.valid_until))
        )
    }

    /// What the answer says about its certificate at `at`. Like a CRL, a revocation dated
    /// before `at` is final whatever the answer's age; "good" needs `at ≤ valid_until`.
    pub(crate) fn status_at(&self, at: DateTime<Utc>) -> CrlStatus {
        match self.status {
            OcspCertStatus::Revoked { revoked_at, reason } if revoked_at <= at => {
                return CrlStatus::Revoked(
                    RevokedEntry { revoked_at, reason },
                    format!("according to {}", self.describe()),
                );
            }
            OcspCertStatus::Unknown => {
                return CrlStatus::Unknown(format!(
                    "the OCSP responder {} does not know the certificate",
                    self.responder
                ));
            }
            _ => {}
        }
        if at > self.valid_until {
            return CrlStatus::Unknown(format!("{} is stale at {at}", self.describe()));
        }
        let detail = match self.status {
            OcspCertStatus::Revoked { revoked_at, .. } => format!(
                "revoked on {revoked_at}, after the validation time ({})",
                self.describe()
            ),
            _ => format!("good according to {}", self.describe()),
        };
        CrlStatus::NotRevoked {
            detail,
            issued: self.this_update,
        }
    }

    /// Whether the answer is current at `now`: thisUpdate not in the future (beyond a small
    /// clock skew) and not past its validity.
    pub(crate) fn check_current(&self, now: DateTime<Utc>) -> Result<(), String> {
        let skew = TimeDelta::seconds(CLOCK_SKEW_SECONDS);
        // Checked: valid_until may be the largest representable time.
        let shifted = |time: DateTime<Utc>| time.checked_add_signed(skew).unwrap_or(time);
        if self.this_update > shifted(now) {
            return Err(format!(
                "the OCSP response of {} has thisUpdate {} in the future",
                self.responder, self.this_update
            ));
        }
        if now > shifted(self.valid_until) {
            return Err(format!("{} is stale", self.describe()));
        }
        Ok(())
    }
}

/// An encoded OCSP request and the nonce it carries.
pub(crate) struct PreparedRequest {
    pub(crate) der: Vec<u8>,
    pub(crate) nonce: Option<Vec<u8>>,
}

/// Builds an `OCSPRequest` for `certificate` issued by `issuer`, with a random nonce when
/// `with_nonce`.
pub(crate) fn build_request(
    certificate: &Certificate,
    issuer: &Certificate,
    with_nonce: bool,
) -> Result<PreparedRequest, PkiError> {
    let cert_id = sha1_cert_id(certificate, issuer)?;
    let nonce = if with_nonce {
        let mut bytes = [0u8; NONCE_BYTES];
        openssl::rand::rand_bytes(&mut bytes).map_err(PkiError::crypto("drawing a nonce"))?;
        Some(bytes.to_vec())
    } else {
        None
    };
    let request_extensions = nonce
        .as_ref()
        .map(|nonce| -> Result<Vec<Extension>, der::Error> {
            Ok(vec![Extension {
                extn_id: ID_PKIX_OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(Nonce::new(nonce.clone())?.to_der()?)?,
            }])
        })
        .transpose()
        .map_err(encoding)?;
    let request = OcspRequest {
        tbs_request: TbsRequest {
            request_list: vec![Request {
                req_cert: cert_id,
                single_request_extensions: None,
            }],
            request_extensions,
            ..TbsRequest::default()
        },
        optional_signature: None,
    };
    Ok(PreparedRequest {
        der: request.to_der().map_err(encoding)?,
        nonce,
    })
}

fn encoding(error: der::Error) -> PkiError {
    PkiError::InvalidOcsp(format!("cannot encode the request: {error}"))
}

fn sha1_cert_id(certificate: &Certificate, issuer: &Certificate) -> Result<CertId, PkiError> {
    let parsed = x509_cert::Certificate::from_der(certificate.der())
        .map_err(|error| PkiError::InvalidOcsp(format!("cannot read the certificate: {error}")))?;
    let sha1 = |data: &[u8]| {
        hash(MessageDigest::sha1(), data)
            .map(|digest| digest.to_vec())
            .map_err(PkiError::crypto("hashing for an OCSP CertID"))
    };
    let octets = |bytes: Vec<u8>| OctetString::new(bytes).map_err(encoding);
    Ok(CertId {
        hash_algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
            oid: ID_SHA1,
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: octets(sha1(&issuer.subject_der)?)?,
        issuer_key_hash: octets(sha1(&public_key_bits(issuer)?)?)?,
        serial_number: parsed.tbs_certificate.serial_number,
    })
}

/// The subjectPublicKey bits of a certificate, which an OCSP key hash covers.
fn public_key_bits(certificate: &Certificate) -> Result<Vec<u8>, PkiError> {
    let parsed = x509_cert::Certificate::from_der(certificate.der()).map_err(|error| {
        PkiError::InvalidOcsp(format!(
            "cannot read {}: {error}",
            certificate.subject_text()
        ))
    })?;
    Ok(parsed
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec())
}

/// The HTTP OCSP responder URLs of a certificate's authorityInfoAccess extension.
pub(crate) fn ocsp_urls(certificate: &Certificate) -> Vec<String> {
    let Ok(parsed) = x509_cert::Certificate::from_der(certificate.der()) else {
        return Vec::new();
    };
    let Some(extension) = parsed
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|extension| extension.extn_id == ID_PE_AUTHORITY_INFO_ACCESS)
    else {
        return Vec::new();
    };
    let Ok(access) = AuthorityInfoAccessSyntax::from_der(extension.extn_value.as_bytes()) else {
        return Vec::new();
    };
    access
        .0
        .into_iter()
        .filter(|description| description.access_method == ID_AD_OCSP)
        .filter_map(|description| match description.access_location {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        })
        .filter(|url| url.starts_with("http://") || url.starts_with("https://"))
        .collect()
}

/// Checks an `OCSPResponse` for `certificate` issued by `issuer`: successful, signed by the
/// issuer or a responder it authorised, answering for this certificate, echoing
/// `expected_nonce` when one was sent, and current at `now` (thisUpdate not in the future,
/// nextUpdate not past, or without nextUpdate thisUpdate younger than `max_age`).
pub fn check_ocsp_response(
    der: &[u8],
    certificate: &Certificate,
    issuer: &Certificate,
    expected_nonce: Option<&[u8]>,
    now: DateTime<Utc>,
    max_age: std::time::Duration,
) -> Result<OcspAnswer, PkiError> {
    let answer = verify_response(der, certificate, issuer, expected_nonce, max_age)?;
    answer.check_current(now).map_err(PkiError::InvalidOcsp)?;
    Ok(answer)
}

/// Everything of [`check_ocsp_response`] except the time checks, which depend on the
/// validation time (see [`OcspAnswer::status_at`]).
pub(crate) fn verify_response(
    der: &[u8],
    certificate: &Certificate,
    issuer: &Certificate,
    expected_nonce: Option<&[u8]>,
    max_age: std::time::Duration,
) -> Result<OcspAnswer, PkiError> {
    let invalid = PkiError::InvalidOcsp;
    let response = OcspResponse::from_der(der)
        .map_err(|error| invalid(format!("not a DER OCSPResponse: {error}")))?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(invalid(format!(
            "the responder answered {:?} instead of a status",
            response.response_status
        )));
    }
    let bytes = response
        .response_bytes
        .ok_or_else(|| invalid("a successful response without responseBytes".into()))?;
    if bytes.response_type != ID_PKIX_OCSP_BASIC {
        return Err(invalid(format!(
            "unsupported response type {}",
            bytes.response_type
        )));
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|error| invalid(format!("malformed BasicOCSPResponse: {error}")))?;
    let data = &basic.tbs_response_data;
    // The cheap match first, so that a response about other certificates costs no signature
    // check.
    let issuer_key_bits = public_key_bits(issuer)?;
    let single = data
        .responses
        .iter()
        .find(|single| answers_for(single, certificate, issuer, &issuer_key_bits))
        .ok_or_else(|| {
            invalid(format!(
                "the response holds no answer for serial {} issued by {}",
                certificate.info().serial,
                issuer.subject_text()
            ))
        })?;
    let produced_at = to_datetime(data.produced_at);
    let responder = authorised_responder(&basic, issuer, produced_at).map_err(invalid)?;
    check_nonce(&basic, expected_nonce).map_err(invalid)?;
    reject_critical_extensions(data.response_extensions.as_deref()).map_err(invalid)?;
    reject_critical_extensions(single.single_extensions.as_deref()).map_err(invalid)?;
    let this_update = to_datetime(single.this_update);
    let next_update = single.next_update.map(to_datetime);
    let max_age = TimeDelta::from_std(max_age).unwrap_or(TimeDelta::MAX);
    let valid_until = next_update.unwrap_or_else(|| {
        this_update
            .checked_add_signed(max_age)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    });
    Ok(OcspAnswer {
        status: cert_status(&single.cert_status),
        this_update,
        next_update,
        produced_at,
        responder: responder.subject_text().to_owned(),
        valid_until,
        der: der.to_vec(),
        issuer_signer_id: issuer.signer_id,
        serial: certificate.serial.clone(),
    })
}

fn cert_status(status: &CertStatus) -> OcspCertStatus {
    match status {
        CertStatus::Good(_) => OcspCertStatus::Good,
        CertStatus::Revoked(info) => OcspCertStatus::Revoked {
            revoked_at: to_datetime(info.revocation_time),
            reason: info
                .revocation_reason
                .and_then(|reason| u8::try_from(reason as u32).ok())
                .and_then(RevocationReason::from_code),
        },
        CertStatus::Unknown(_) => OcspCertStatus::Unknown,
    }
}

fn to_datetime(time: OcspGeneralizedTime) -> DateTime<Utc> {
    let seconds = i64::try_from(time.0.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn reject_critical_extensions(extensions: Option<&[Extension]>) -> Result<(), String> {
    match extensions
        .into_iter()
        .flatten()
        .find(|extension| extension.critical && extension.extn_id != ID_PKIX_OCSP_NONCE)
    {
        Some(extension) => Err(format!(
            "unknown critical OCSP extension {}",
            extension.extn_id
        )),
        None => Ok(()),
    }
}

fn check_nonce(basic: &BasicOcspResponse, expected: Option<&[u8]>) -> Result<(), String> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let echoed = basic
        .tbs_response_data
        .response_extensions
        .iter()
        .flatten()
        .find(|extension| extension.extn_id == ID_PKIX_OCSP_NONCE);
    let Some(echoed) = echoed else {
        return Err("the responder did not echo the nonce of the request (replayed or pre-produced response?)".into());
    };
    // RFC 6960 wraps the nonce in an OCTET STRING; some responders put the bytes bare.
    let raw = echoed.extn_value.as_bytes();
    let inner = OctetString::from_der(raw).ok();
    if raw == expected || inner.is_some_and(|inner| inner.as_bytes() == expected) {
        Ok(())
    } else {
        Err("the nonce in the response differs from the request's (replayed response?)".into())
    }
}

/// Whether `single` is about `certificate` issued by `issuer`, whatever hash its CertID uses.
fn answers_for(
    single: &SingleResponse,
    certificate: &Certificate,
    issuer: &Certificate,
    issuer_key_bits: &[u8],
) -> bool {
    let id = &single.cert_id;
    let digest = match id.hash_algorithm.oid {
        oid if oid == ID_SHA1 => MessageDigest::sha1(),
        oid if oid == ID_SHA256 => MessageDigest::sha256(),
        oid if oid == ID_SHA384 => MessageDigest::sha384(),
        oid if oid == ID_SHA512 => MessageDigest::sha512(),
        _ => return false,
    };
    let matches = |data: &[u8], expected: &OctetString| {
        hash(digest, data).is_ok_and(|digest| &*digest == expected.as_bytes())
    };
    normalized_serial(id.serial_number.as_bytes()) == certificate.serial
        && matches(&issuer.subject_der, &id.issuer_name_hash)
        && matches(issuer_key_bits, &id.issuer_key_hash)
}

/// The certificate whose key signed the response, if it may answer for `issuer`'s
/// certificates: the issuer itself, or a certificate the issuer gave id-kp-OCSPSigning, valid
/// when the response was produced (RFC 6960 §4.2.2.2).
fn authorised_responder(
    basic: &BasicOcspResponse,
    issuer: &Certificate,
    produced_at: DateTime<Utc>,
) -> Result<Certificate, String> {
    let tbs = basic
        .tbs_response_data
        .to_der()
        .map_err(|error| format!("cannot re-encode the response data: {error}"))?;
    let algorithm = signature_algorithm(basic)?;
    let signature = basic.signature.raw_bytes();
    let responder_id = &basic.tbs_response_data.responder_id;
    let mut refusals = Vec::new();
    let included = basic
        .certs
        .iter()
        .flatten()
        .take(MAX_RESPONSE_CERTIFICATES)
        .filter_map(|certificate| certificate.to_der().ok())
        .filter_map(|der| Certificate::from_der(&der).ok());
    for candidate in std::iter::once(issuer.clone()).chain(included) {
        if !names_responder(responder_id, &candidate) {
            continue;
        }
        let is_issuer =
            candidate.fingerprint == issuer.fingerprint || candidate.signer_id == issuer.signer_id;
        if !is_issuer {
            if let Err(reason) = delegation(&candidate, issuer, produced_at) {
                refusals.push(reason);
                continue;
            }
        }
        let verified = candidate
            .public_key()
            .map_err(str::to_owned)
            .and_then(|key| verify(&algorithm, key, &tbs, signature));
        match verified {
            Ok(()) => return Ok(candidate),
            Err(reason) => refusals.push(format!(
                "the signature does not verify with the key of {}: {reason}",
                candidate.subject_text()
            )),
        }
    }
    if refusals.is_empty() {
        refusals.push(format!(
            "the responder is neither {} nor a certificate included in the response",
            issuer.subject_text()
        ));
    }
    Err(format!(
        "the response is not signed by a responder authorised by {}: {}",
        issuer.subject_text(),
        refusals.join("; ")
    ))
}

fn delegation(
    candidate: &Certificate,
    issuer: &Certificate,
    produced_at: DateTime<Utc>,
) -> Result<(), String> {
    let name = candidate.subject_text();
    if candidate.issuer_der != issuer.subject_der {
        return Err(format!(
            "the responder certificate {name} was not issued by {}",
            issuer.subject_text()
        ));
    }
    check_signature(candidate, issuer).map_err(|reason| {
        format!(
            "the responder certificate {name} is not signed by {}: {reason}",
            issuer.subject_text()
        )
    })?;
    let authorised = candidate
        .extended_key_usage_oids
        .as_ref()
        .is_some_and(|oids| oids.iter().any(|oid| oid == OID_OCSP_SIGNING));
    if !authorised {
        return Err(format!(
            "the responder certificate {name} lacks the OCSPSigning extended key usage"
        ));
    }
    let info = candidate.info();
    if produced_at < info.not_before || produced_at > info.not_after {
        return Err(format!(
            "the responder certificate {name} was not valid when the response was produced \
             ({produced_at}; valid from {} to {})",
            info.not_before, info.not_after
        ));
    }
    Ok(())
}

fn names_responder(responder_id: &ResponderId, candidate: &Certificate) -> bool {
    match responder_id {
        ResponderId::ByName(name) => name
            .to_der()
            .is_ok_and(|encoded| encoded == candidate.subject_der),
        ResponderId::ByKey(key_hash) => public_key_bits(candidate)
            .ok()
            .and_then(|bits| hash(MessageDigest::sha1(), &bits).ok())
            .is_some_and(|digest| &*digest == key_hash.as_bytes()),
    }
}

fn signature_algorithm(basic: &BasicOcspResponse) -> Result<SignatureAlgorithm, String> {
    use x509_parser::prelude::FromDer;
    let encoded = basic
        .signature_algorithm
        .to_der()
        .map_err(|error| format!("cannot re-encode the signature algorithm: {error}"))?;
    let (_, identifier) = x509_parser::x509::AlgorithmIdentifier::from_der(&encoded)
        .map_err(|error| format!("malformed signature algorithm: {error}"))?;
    Ok(SignatureAlgorithm::from_identifier(&identifier))
}
