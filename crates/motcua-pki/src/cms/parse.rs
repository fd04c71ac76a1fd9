//! Reading a DER ContentInfo holding a SignedData (RFC 5652 §5). Only what verification needs is
//! kept; BER forms (indefinite lengths) are refused by the reader.

use x509_parser::prelude::FromDer;
use x509_parser::x509::AlgorithmIdentifier;

use super::attributes::oid_text;
use super::oid;
use crate::der::{self, Element};
use crate::error::PkiError;
use crate::parse::Certificate;
use crate::signature::{HashAlg, SignatureAlgorithm};

/// How a SignerInfo designates its certificate.
pub(super) enum SignerId<'a> {
    /// Issuer Name (full DER) and serial INTEGER content.
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// subjectKeyIdentifier.
    SubjectKeyId(&'a [u8]),
}

impl SignerId<'_> {
    pub(super) fn matches(&self, certificate: &Certificate) -> bool {
        match self {
            Self::IssuerSerial { issuer, serial } => {
                // Certificate::serial has no leading zero bytes; INTEGER content may have one.
                let skip = serial.iter().take_while(|&&byte| byte == 0).count();
                certificate.issuer_der.as_slice() == *issuer
                    && serial.get(skip..) == Some(certificate.serial.as_slice())
            }
            Self::SubjectKeyId(id) => certificate.subject_key_id.as_deref() == Some(*id),
        }
    }
}

/// One signed attribute: its OID (dotted) and its values.
pub(super) struct Attribute<'a> {
    pub(super) oid: String,
    pub(super) values: Vec<Element<'a>>,
}

pub(super) struct SignerInfo<'a> {
    pub(super) sid: SignerId<'a>,
    /// `None` when the digest algorithm is not SHA-256/384/512; its OID is in `digest_oid`.
    pub(super) digest: Option<HashAlg>,
    pub(super) digest_oid: String,
    /// The signed attributes re-tagged as `SET OF` (what the signature covers, RFC 5652 §5.4).
    pub(super) signed_attributes_der: Vec<u8>,
    pub(super) attributes: Vec<Attribute<'a>>,
    pub(super) signature_algorithm: SignatureAlgorithm,
    pub(super) signature: &'a [u8],
    /// The unsigned attributes (such as signature timestamps), in order.
    pub(super) unsigned_attributes: Vec<Attribute<'a>>,
}

impl<'a> SignerInfo<'a> {
    /// The values of the attribute `dotted`; `None` when absent or repeated (RFC 5652 §5.3
    /// allows each of the attributes used here once only).
    pub(super) fn single_value(&self, dotted: &str) -> Result<Option<&Element<'a>>, String> {
        let mut found = self
            .attributes
            .iter()
            .filter(|attribute| attribute.oid == dotted);
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some(attribute), None) => match attribute.values.as_slice() {
                [value] => Ok(Some(value)),
                _ => Err(format!("attribute {dotted} must have exactly one value")),
            },
            (Some(_), Some(_)) => Err(format!("attribute {dotted} appears more than once")),
        }
    }
}

pub(crate) struct SignedData<'a> {
    pub(crate) certificates: Vec<Certificate>,
    /// Whether the content is inside the SignedData (not a detached signature).
    pub(super) has_content: bool,
    /// The content inside, when it is one DER OCTET STRING (an attached signature).
    pub(crate) content: Option<&'a [u8]>,
    pub(crate) content_type: String,
    pub(super) signer_infos: Vec<SignerInfo<'a>>,
}

fn invalid(reason: &str) -> PkiError {
    PkiError::InvalidCms(reason.to_owned())
}

fn children<'a>(element: &Element<'a>, what: &str) -> Result<Vec<Element<'a>>, PkiError> {
    der::elements(element.content).map_err(|_| invalid(&format!("{what} is not DER")))
}

fn oid_of(element: Option<&Element<'_>>, what: &str) -> Result<String, PkiError> {
    element
        .filter(|element| element.tag == der::TAG_OID)
        .map(|element| oid_text(element.content))
        .ok_or_else(|| invalid(&format!("{what} has no OID")))
}

/// Parses `ContentInfo { id-signedData, [0] SignedData }`.
pub(crate) fn signed_data(input: &[u8]) -> Result<SignedData<'_>, PkiError> {
    let top = der::elements(input).map_err(|_| {
        invalid("not DER (indefinite lengths and other BER forms are not accepted)")
    })?;
    let [content_info] = top.as_slice() else {
        return Err(invalid("expected exactly one ContentInfo"));
    };
    if content_info.tag != der::TAG_SEQUENCE {
        return Err(invalid("the ContentInfo is not a SEQUENCE"));
    }
    let parts = children(content_info, "ContentInfo")?;
    if oid_of(parts.first(), "ContentInfo")? != oid::SIGNED_DATA {
        return Err(invalid("the ContentInfo is not a SignedData"));
    }
    let explicit = parts
        .get(1)
        .filter(|part| part.tag == der::context(0, true))
        .ok_or_else(|| invalid("ContentInfo has no content"))?;
    let inner = children(explicit, "ContentInfo content")?;
    let [signed_data] = inner.as_slice() else {
        return Err(invalid("ContentInfo content is not one SignedData"));
    };
    if signed_data.tag != der::TAG_SEQUENCE {
        return Err(invalid("the SignedData is not a SEQUENCE"));
    }
    let fields = children(signed_data, "SignedData")?;
    let mut fields = fields.iter();
    // version, digestAlgorithms: not needed, the SignerInfo carries its own digest algorithm.
    fields.next();
    fields.next();
    let encapsulated = fields
        .next()
        .filter(|field| field.tag == der::TAG_SEQUENCE)
        .ok_or_else(|| invalid("SignedData has no encapContentInfo"))?;
    let encapsulated = children(encapsulated, "encapContentInfo")?;
    let content_type = oid_of(encapsulated.first(), "encapContentInfo")?;
    let has_content = encapsulated.len() > 1;
    let content = match encapsulated.get(1) {
        Some(explicit) if explicit.tag == der::context(0, true) => {
            match children(explicit, "eContent")?.as_slice() {
                [octets] if octets.tag == der::TAG_OCTET_STRING => Some(octets.content),
                _ => return Err(invalid("eContent is not one OCTET STRING")),
            }
        }
        _ => None,
    };
    let mut certificates = Vec::new();
    let mut signer_infos = Vec::new();
    for field in fields {
        if field.tag == der::context(0, true) {
            for choice in children(field, "certificates")? {
                // Other choices (attribute certificates, [3] other) carry no signer key.
                if choice.tag == der::TAG_SEQUENCE {
                    certificates.push(Certificate::from_der(choice.encoded)?);
                }
            }
        } else if field.tag == der::TAG_SET {
            for info in children(field, "signerInfos")? {
                signer_infos.push(signer_info(&info)?);
            }
        }
    }
    Ok(SignedData {
        certificates,
        has_content,
        content,
        content_type,
        signer_infos,
    })
}

fn signer_info<'a>(info: &Element<'a>) -> Result<SignerInfo<'a>, PkiError> {
    let fields = children(info, "SignerInfo")?;
    let mut fields = fields.into_iter();
    fields.next(); // version
    let sid = match fields.next() {
        Some(sid) if sid.tag == der::TAG_SEQUENCE => match children(&sid, "sid")?.as_slice() {
            [issuer, serial] if serial.tag == der::TAG_INTEGER => SignerId::IssuerSerial {
                issuer: issuer.encoded,
                serial: serial.content,
            },
            _ => return Err(invalid("malformed issuerAndSerialNumber")),
        },
        Some(sid) if sid.tag == der::context(0, false) => SignerId::SubjectKeyId(sid.content),
        _ => return Err(invalid("SignerInfo has no signer identifier")),
    };
    let digest_algorithm = fields
        .next()
        .filter(|field| field.tag == der::TAG_SEQUENCE)
        .ok_or_else(|| invalid("SignerInfo has no digestAlgorithm"))?;
    let digest_oid = oid_of(
        children(&digest_algorithm, "digestAlgorithm")?.first(),
        "digestAlgorithm",
    )?;
    let digest = HashAlg::from_oid(&digest_oid);
    let mut next = fields.next();
    let mut signed_attributes_der = Vec::new();
    let mut attributes = Vec::new();
    if let Some(signed) = next.filter(|field| field.tag == der::context(0, true)) {
        signed_attributes_der = der::tlv(der::TAG_SET, signed.content);
        attributes = attributes_of(&signed, "signedAttrs")?;
        next = fields.next();
    }
    let algorithm = next
        .filter(|field| field.tag == der::TAG_SEQUENCE)
        .ok_or_else(|| invalid("SignerInfo has no signatureAlgorithm"))?;
    let signature_algorithm = signature_algorithm(algorithm.encoded, digest)?;
    let signature = fields
        .next()
        .filter(|field| field.tag == der::TAG_OCTET_STRING)
        .ok_or_else(|| invalid("SignerInfo has no signature"))?;
    let unsigned_attributes = match fields.next() {
        Some(unsigned) if unsigned.tag == der::context(1, true) => {
            attributes_of(&unsigned, "unsignedAttrs")?
        }
        _ => Vec::new(),
    };
    Ok(SignerInfo {
        sid,
        digest,
        digest_oid,
        signed_attributes_der,
        attributes,
        signature_algorithm,
        signature: signature.content,
        unsigned_attributes,
    })
}

/// The attributes of a `[0]` signedAttrs or `[1]` unsignedAttrs field.
fn attributes_of<'a>(field: &Element<'a>, what: &str) -> Result<Vec<Attribute<'a>>, PkiError> {
    let mut attributes = Vec::new();
    for attribute in children(field, what)? {
        let parts = children(&attribute, "attribute")?;
        let oid = oid_of(parts.first(), "attribute")?;
        let values = match parts.get(1) {
            Some(set) if set.tag == der::TAG_SET => children(set, "attribute values")?,
            _ => return Err(invalid("attribute without a value set")),
        };
        attributes.push(Attribute { oid, values });
    }
    Ok(attributes)
}

/// Reads the SignerInfo's signatureAlgorithm. CMS also allows the bare key algorithm
/// rsaEncryption (RFC 3370 §3.2, what OpenSSL writes), the hash then being the digestAlgorithm.
fn signature_algorithm(
    encoded: &[u8],
    digest: Option<HashAlg>,
) -> Result<SignatureAlgorithm, PkiError> {
    let (_, identifier) = AlgorithmIdentifier::from_der(encoded)
        .map_err(|_| invalid("malformed signatureAlgorithm"))?;
    if identifier.algorithm.to_id_string() == oid::RSA_ENCRYPTION {
        return Ok(match digest {
            Some(hash) => SignatureAlgorithm::RsaPkcs1(hash),
            None => SignatureAlgorithm::Refused {
                name: "rsaEncryption".into(),
                reason: "the digest algorithm is not SHA-256, SHA-384 or SHA-512".into(),
            },
        });
    }
    Ok(SignatureAlgorithm::from_identifier(&identifier))
}
