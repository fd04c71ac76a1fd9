//! A timestamp authority: answers `TimeStampReq`s with tokens signed by an in-process key.
//!
//! Everything that does not change between tokens (the certificates, the signer identifier,
//! the algorithm identifiers, the content-type and signing-certificate-v2 attributes) is
//! encoded once, so that a token costs its TSTInfo, one hash and one signature.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode, Tag};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_tsp::{Accuracy, TimeStampReq, TspVersion, TstInfo};

use super::response::{self, FailureInfo};
use super::{imprint_hash, random_positive_int, TST_INFO_CONTENT_TYPE};
use crate::cms::{signature_scheme, signing_certificate_v2, KeySigner, Signer};
use crate::error::PkiError;
use crate::parse::Certificate;
use crate::store::TrustStore;
use crate::verdict::{CheckKind, Outcome, Purpose, RevocationPolicy};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap(TST_INFO_CONTENT_TYPE);
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// An RFC 3161 timestamp authority over a [`KeySigner`] whose certificate is a TSA certificate.
#[derive(Debug, Clone)]
pub struct TimestampAuthority {
    signer: KeySigner,
    policy: ObjectIdentifier,
    tsa_name: GeneralName,
    /// A SignedData lacking only its content and SignerInfo, with and without certificates.
    with_certificates: SignedData,
    without_certificates: SignedData,
    /// The SignerInfo lacking only its signed attributes and signature.
    signer_info: SignerInfo,
    /// content-type (id-ct-TSTInfo) and signing-certificate-v2.
    fixed_attributes: [Attribute; 2],
}

impl TimestampAuthority {
    /// An authority signing with `signer` under the TSA policy `policy` (dotted OID), sending
    /// `chain` (the CA certificates above the TSA certificate) with its certificate when asked.
    /// Refuses a certificate that RFC 3161 §2.3 does not allow to sign timestamps.
    pub fn new(signer: KeySigner, chain: &[Certificate], policy: &str) -> Result<Self, PkiError> {
        let certificate = signer.certificate().clone();
        refuse_unless_tsa(&certificate)?;
        let policy = ObjectIdentifier::new(policy).map_err(|error| {
            PkiError::TsaConfig(format!("the policy {policy} is not an OID: {error}"))
        })?;
        let typed = |certificate: &Certificate| {
            x509_cert::Certificate::from_der(certificate.der()).map_err(encoding)
        };
        let tsa_certificate = typed(&certificate)?;
        let mut certificates = vec![CertificateChoices::Certificate(tsa_certificate.clone())];
        for authority in chain {
            certificates.push(CertificateChoices::Certificate(typed(authority)?));
        }
        let (_, algorithm_der) = signature_scheme(
            certificate
                .public_key()
                .map_err(|reason| PkiError::UnsupportedKey {
                    subject: certificate.info().subject.text.clone(),
                    reason: reason.to_owned(),
                })?,
            signer.rsa_padding(),
        )?;
        let sha256 = AlgorithmIdentifierOwned {
            oid: ID_SHA256,
            parameters: None,
        };
        let without_certificates = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256.clone()]).map_err(encoding)?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_TST_INFO,
                econtent: None,
            },
            certificates: None,
            crls: None,
            signer_infos: SignerInfos(SetOfVec::new()),
        };
        let with_certificates = SignedData {
            certificates: Some(CertificateSet(
                SetOfVec::try_from(certificates).map_err(encoding)?,
            )),
            ..without_certificates.clone()
        };
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tsa_certificate.tbs_certificate.issuer.clone(),
                serial_number: tsa_certificate.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: sha256,
            signed_attrs: None,
            signature_algorithm: AlgorithmIdentifierOwned::from_der(&algorithm_der)
                .map_err(encoding)?,
            signature: OctetString::new(Vec::new()).map_err(encoding)?,
            unsigned_attrs: None,
        };
        let fixed_attributes = [
            attribute(ID_CONTENT_TYPE, &ID_TST_INFO.to_der().map_err(encoding)?)?,
            attribute(
                ID_SIGNING_CERTIFICATE_V2,
                &signing_certificate_v2(&certificate),
            )?,
        ];
        Ok(Self {
            signer,
            policy,
            tsa_name: GeneralName::DirectoryName(tsa_certificate.tbs_certificate.subject),
            with_certificates,
            without_certificates,
            signer_info,
            fixed_attributes,
        })
    }

    /// The DER `TimeStampResp` answering `request_der` at `now`: a token, or a rejection whose
    /// failure information says why (badDataFormat, badAlg, unacceptedPolicy,
    /// unacceptedExtension, systemFailure).
    pub fn respond(&self, request_der: &[u8], now: DateTime<Utc>) -> Vec<u8> {
        let answer = match self.check_request(request_der) {
            Ok(request) => match self.token(&request, now) {
                Ok(token) => response::encode(response::GRANTED, None, None, Some(&token)),
                Err(error) => reject(FailureInfo::SystemFailure, &format!("{error}")),
            },
            Err((failure, reason)) => reject(failure, &reason),
        };
        // An encoding failure leaves nothing better to say than the bare rejection.
        answer.unwrap_or_else(|_| SYSTEM_FAILURE.to_vec())
    }

    fn check_request(&self, request_der: &[u8]) -> Result<TimeStampReq, (FailureInfo, String)> {
        let request = TimeStampReq::from_der(request_der).map_err(|error| {
            (
                FailureInfo::BadDataFormat,
                format!("the request is not a DER TimeStampReq version 1: {error}"),
            )
        })?;
        let imprint = &request.message_imprint;
        let oid = imprint.hash_algorithm.oid.to_string();
        let Some((_, length)) = imprint_hash(&oid) else {
            return Err((
                FailureInfo::BadAlg,
                format!(
                    "the hash algorithm {oid} is not accepted: use SHA-256, SHA-384 or SHA-512"
                ),
            ));
        };
        if imprint.hashed_message.as_bytes().len() != length {
            return Err((
                FailureInfo::BadDataFormat,
                format!("the imprint is not {length} bytes long as its hash requires"),
            ));
        }
        if request.req_policy.is_some_and(|asked| asked != self.policy) {
            return Err((
                FailureInfo::UnacceptedPolicy,
                format!(
                    "this authority issues timestamps under policy {} only",
                    self.policy
                ),
            ));
        }
        if request.extensions.is_some() {
            return Err((
                FailureInfo::UnacceptedExtension,
                "this authority accepts no request extension".into(),
            ));
        }
        Ok(request)
    }

    /// The DER `TimeStampToken` for an accepted request.
    fn token(&self, request: &TimeStampReq, now: DateTime<Utc>) -> Result<Vec<u8>, PkiError> {
        let seconds = u64::try_from(now.timestamp())
            .map_err(|_| PkiError::TsaConfig("the clock is before 1970".into()))?;
        let info = TstInfo {
            version: TspVersion::V1,
            policy: self.policy,
            message_imprint: request.message_imprint.clone(),
            serial_number: random_positive_int::<16>()?,
            gen_time: GeneralizedTime::from_unix_duration(Duration::from_secs(seconds))
                .map_err(encoding)?,
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: request.nonce.clone(),
            tsa: Some(self.tsa_name.clone()),
            extensions: None,
        };
        let content = info.to_der().map_err(encoding)?;
        let digest = openssl::sha::sha256(&content);
        let [content_type, signing_certificate] = self.fixed_attributes.clone();
        let message_digest = attribute(
            ID_MESSAGE_DIGEST,
            &OctetString::new(digest.to_vec())
                .and_then(|digest| digest.to_der())
                .map_err(encoding)?,
        )?;
        // SetOfVec sorts its elements, as DER requires of the signed SET OF.
        let attributes =
            SetOfVec::try_from(vec![content_type, message_digest, signing_certificate])
                .map_err(encoding)?;
        let signature = self.signer.sign(&attributes.to_der().map_err(encoding)?)?;
        let mut signer_info = self.signer_info.clone();
        signer_info.signed_attrs = Some(attributes);
        signer_info.signature = OctetString::new(signature).map_err(encoding)?;
        let mut signed_data = if request.cert_req {
            self.with_certificates.clone()
        } else {
            self.without_certificates.clone()
        };
        signed_data.encap_content_info.econtent =
            Some(Any::new(Tag::OctetString, content).map_err(encoding)?);
        signed_data.signer_infos =
            SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(encoding)?);
        ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data).map_err(encoding)?,
        }
        .to_der()
        .map_err(encoding)
    }
}

/// `TimeStampResp { status { rejection, failInfo systemFailure } }`, for when even a rejection
/// cannot be encoded.
const SYSTEM_FAILURE: &[u8] = &[
    0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40,
];

fn reject(failure: FailureInfo, reason: &str) -> Result<Vec<u8>, PkiError> {
    response::encode(response::REJECTION, Some(reason), Some(failure), None)
}

fn attribute(oid: ObjectIdentifier, value_der: &[u8]) -> Result<Attribute, PkiError> {
    let value = Any::from_der(value_der).map_err(encoding)?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(encoding)?,
    })
}

fn encoding(error: der::Error) -> PkiError {
    PkiError::InvalidDer(error.to_string())
}

/// Refuses a certificate without the critical, sole timeStamping extendedKeyUsage or with a
/// keyUsage beyond signing, with the reason the timestamping checks of validation give.
fn refuse_unless_tsa(certificate: &Certificate) -> Result<(), PkiError> {
    let verdict = TrustStore::new().validate(
        certificate,
        &[],
        Utc::now(),
        Purpose::Timestamping,
        RevocationPolicy::BestEffort,
    );
    let problems: Vec<String> = verdict
        .checks
        .iter()
        .filter(|check| {
            matches!(
                check.check,
                CheckKind::KeyUsage | CheckKind::ExtendedKeyUsage
            )
        })
        .filter(|check| check.outcome == Outcome::Failed)
        .map(|check| check.detail.clone())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PkiError::TsaCertificate {
            subject: certificate.info().subject.text.clone(),
            reason: problems.join("; "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_system_failure_is_the_encoded_rejection() {
        let encoded = response::encode(
            response::REJECTION,
            None,
            Some(FailureInfo::SystemFailure),
            None,
        );
        assert_eq!(encoded.unwrap(), SYSTEM_FAILURE);
    }
}
