//! Reading CMS SignedData (a signature or an RFC 3161 token) with the typed ASN.1 crates, and
//! adding the signature timestamp to a signature's unsigned attributes (ETSI EN 319 122-1
//! §5.3).

use chrono::{DateTime, Utc};
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo, SignerInfos};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use crate::error::PkiError;
use crate::parse::Certificate;
use crate::signature::HashAlg;
use crate::tsp::read_tst_info;

/// id-aa-signatureTimeStampToken (RFC 3161 Appendix A).
const SIGNATURE_TIMESTAMP: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
const SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
pub(super) const SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Most certificates read from one SignedData; a real one carries a chain of a few.
const MAX_CERTIFICATES: usize = 64;

pub(super) fn cms_error(reason: impl std::fmt::Display) -> PkiError {
    PkiError::InvalidCms(reason.to_string())
}

/// The signer of a SignedData and what comes with it.
#[derive(Debug, Clone)]
pub(super) struct SignedDataInfo {
    /// The signer's certificate, found among the certificates by the signer identifier.
    pub(super) signer: Certificate,
    /// The other certificates carried.
    pub(super) others: Vec<Certificate>,
    /// The signature value octets.
    pub(super) signature_value: Vec<u8>,
    /// The signature timestamp token already added, if any.
    pub(super) signature_timestamp: Option<Vec<u8>>,
}

/// What an RFC 3161 token says and who signed it.
#[derive(Debug, Clone)]
pub(super) struct TokenInfo {
    pub(super) signed: SignedDataInfo,
    pub(super) generation_time: DateTime<Utc>,
    pub(super) imprint: Vec<u8>,
    pub(super) hash_algorithm_oid: String,
}

impl TokenInfo {
    pub(super) fn hash_algorithm(&self) -> Option<HashAlg> {
        match self.hash_algorithm_oid.as_str() {
            "2.16.840.1.101.3.4.2.1" => Some(HashAlg::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(HashAlg::Sha384),
            "2.16.840.1.101.3.4.2.3" => Some(HashAlg::Sha512),
            _ => None,
        }
    }
}

/// The SignedData inside a DER ContentInfo.
pub(super) fn signed_data(content_info: &[u8]) -> Result<SignedData, PkiError> {
    let content_info = ContentInfo::from_der(content_info).map_err(cms_error)?;
    if content_info.content_type != SIGNED_DATA {
        return Err(cms_error("the ContentInfo does not hold a SignedData"));
    }
    content_info
        .content
        .decode_as::<SignedData>()
        .map_err(cms_error)
}

/// The only SignerInfo: PAdES signatures and timestamp tokens have exactly one.
fn only_signer(signed_data: &SignedData) -> Result<&SignerInfo, PkiError> {
    match signed_data.signer_infos.0.as_slice() {
        [signer_info] => Ok(signer_info),
        other => Err(cms_error(format!(
            "expected one SignerInfo, found {}",
            other.len()
        ))),
    }
}

/// Reads the signer, certificates and signature timestamp of a DER ContentInfo(SignedData).
pub(super) fn read_signed_data(content_info: &[u8]) -> Result<SignedDataInfo, PkiError> {
    let signed_data = signed_data(content_info)?;
    info_of(&signed_data)
}

fn info_of(signed_data: &SignedData) -> Result<SignedDataInfo, PkiError> {
    let signer_info = only_signer(signed_data)?;
    let mut signer = None;
    let mut others = Vec::new();
    let certificates = signed_data
        .certificates
        .as_ref()
        .map(|set| set.0.as_slice())
        .unwrap_or_default();
    if certificates.len() > MAX_CERTIFICATES {
        return Err(cms_error(format!(
            "more than {MAX_CERTIFICATES} certificates in one SignedData"
        )));
    }
    for choice in certificates {
        let CertificateChoices::Certificate(certificate) = choice else {
            continue;
        };
        let parsed = Certificate::from_der(&certificate.to_der().map_err(cms_error)?)?;
        if signer.is_none() && identifies(&signer_info.sid, certificate) {
            signer = Some(parsed);
        } else {
            others.push(parsed);
        }
    }
    let signer = signer.ok_or_else(|| {
        cms_error("the signer's certificate is not among the certificates it carries")
    })?;
    let signature_timestamp = signer_info
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .find(|attribute| attribute.oid == SIGNATURE_TIMESTAMP)
        .and_then(|attribute| attribute.values.iter().next())
        .map(|value| value.to_der().map_err(cms_error))
        .transpose()?;
    Ok(SignedDataInfo {
        signer,
        others,
        signature_value: signer_info.signature.as_bytes().to_vec(),
        signature_timestamp,
    })
}

/// Whether `certificate` is the one `sid` names.
fn identifies(sid: &SignerIdentifier, certificate: &x509_cert::Certificate) -> bool {
    let tbs = &certificate.tbs_certificate;
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            id.issuer == tbs.issuer && id.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(id) => tbs
            .extensions
            .iter()
            .flatten()
            .filter(|extension| extension.extn_id == SUBJECT_KEY_IDENTIFIER)
            .any(|extension| {
                SubjectKeyIdentifier::from_der(extension.extn_value.as_bytes())
                    .is_ok_and(|own| own == *id)
            }),
    }
}

/// Reads an RFC 3161 TimeStampToken (DER ContentInfo).
pub(super) fn read_token(token: &[u8]) -> Result<TokenInfo, PkiError> {
    let signed_data = signed_data(token)?;
    let encapsulated = &signed_data.encap_content_info;
    if encapsulated.econtent_type != TST_INFO {
        return Err(cms_error("the timestamp token does not hold a TSTInfo"));
    }
    let content = encapsulated
        .econtent
        .as_ref()
        .ok_or_else(|| cms_error("the timestamp token has no TSTInfo"))?
        .decode_as::<OctetString>()
        .map_err(cms_error)?;
    let (tst_info, generation_time) = read_tst_info(content.as_bytes())?;
    Ok(TokenInfo {
        signed: info_of(&signed_data)?,
        generation_time,
        imprint: tst_info.message_imprint.hashed_message.as_bytes().to_vec(),
        hash_algorithm_oid: tst_info.message_imprint.hash_algorithm.oid.to_string(),
    })
}

/// `cms` (a DER ContentInfo) with `token` added as the signature timestamp of its only
/// signer. Refused unless decoding and re-encoding `cms` gives it back byte for byte: anything
/// else could change what was signed.
pub(super) fn add_signature_timestamp(cms: &[u8], token: &[u8]) -> Result<Vec<u8>, PkiError> {
    let content_info = ContentInfo::from_der(cms).map_err(cms_error)?;
    let mut signed_data = signed_data(cms)?;
    let original_content = content_info.content.to_der().map_err(cms_error)?;
    if signed_data.to_der().map_err(cms_error)? != original_content
        || content_info.to_der().map_err(cms_error)? != cms
    {
        return Err(PkiError::SignatureRefused(
            "the signature's CMS is not encoded in a form that can be re-encoded exactly; \
             it cannot be extended"
                .into(),
        ));
    }
    let mut signer_info = only_signer(&signed_data)?.clone();
    let token = Any::from_der(token).map_err(cms_error)?;
    let attribute = Attribute {
        oid: SIGNATURE_TIMESTAMP,
        values: SetOfVec::try_from(vec![token]).map_err(cms_error)?,
    };
    let mut unsigned = signer_info.unsigned_attrs.take().unwrap_or_default();
    unsigned.insert(attribute).map_err(cms_error)?;
    signer_info.unsigned_attrs = Some(unsigned);
    signed_data.signer_infos = SignerInfos::try_from(vec![signer_info]).map_err(cms_error)?;
    let content_info = ContentInfo {
        content_type: SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(cms_error)?,
    };
    content_info.to_der().map_err(cms_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cms::{sign_detached, KeySigner};
    use crate::testpki::{KeySpec, TestPki};

    fn signature() -> Result<(Vec<u8>, Certificate), PkiError> {
        let now = Utc::now();
        let pki = TestPki::new(KeySpec::EcP256, now)?;
        let official = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
        let signer = KeySigner::new(
            official.private_key().clone(),
            official.certificate().clone(),
        )?;
        let chain = [pki.issuing_ca.certificate().clone()];
        let cms = sign_detached(b"noi dung", &signer, &chain, now, false)?;
        Ok((cms, official.certificate().clone()))
    }

    #[test]
    fn the_timestamp_is_added_and_nothing_else_changes() -> Result<(), PkiError> {
        let (cms, certificate) = signature()?;
        let before = read_signed_data(&cms)?;
        assert_eq!(before.signer.der(), certificate.der());
        assert_eq!(before.signature_timestamp, None);
        // Any ContentInfo stands for the token here: only its bytes are carried.
        let extended = add_signature_timestamp(&cms, &cms)?;
        let after = read_signed_data(&extended)?;
        assert_eq!(after.signature_timestamp.as_deref(), Some(cms.as_slice()));
        assert_eq!(after.signature_value, before.signature_value);
        assert_eq!(after.signer.der(), before.signer.der());
        assert_eq!(after.others.len(), 1);
        // Without the attribute, the SignerInfo is the one signed.
        let mut stripped = signed_data(&extended)?;
        let mut signer_info = only_signer(&stripped)?.clone();
        signer_info.unsigned_attrs = None;
        stripped.signer_infos = SignerInfos::try_from(vec![signer_info]).map_err(cms_error)?;
        assert_eq!(
            stripped.to_der().map_err(cms_error)?,
            signed_data(&cms)?.to_der().map_err(cms_error)?
        );
        Ok(())
    }

    #[test]
    fn a_cms_not_in_der_is_not_extended() -> Result<(), PkiError> {
        let (cms, _) = signature()?;
        // The outer length rewritten in a longer form than DER allows.
        let [0x30, 0x82, high, low, rest @ ..] = cms.as_slice() else {
            return Err(cms_error("expected a two-byte length"));
        };
        let mut loose = vec![0x30, 0x83, 0x00, *high, *low];
        loose.extend_from_slice(rest);
        assert!(add_signature_timestamp(&loose, &cms).is_err());
        assert!(add_signature_timestamp(b"\x30\x00", &cms).is_err());
        assert!(
            read_token(&cms).is_err(),
            "a signature is not a timestamp token"
        );
        Ok(())
    }
}
