//! Signed attributes: building them for a new signature and reading the ones of a received one.

use chrono::{DateTime, NaiveDate, Utc};

use super::oid;
use crate::der::{self, Element};
use crate::error::PkiError;
use crate::parse::Certificate;
use crate::signature::HashAlg;

/// The DER `SET OF Attribute` that is signed: content-type (id-data), message-digest,
/// signing-certificate-v2 and, when given, signing-time.
pub(super) fn build(
    content_digest: &[u8],
    certificate: &Certificate,
    signing_time: Option<DateTime<Utc>>,
) -> Result<Vec<u8>, PkiError> {
    let mut attributes = vec![
        attribute(oid::CONTENT_TYPE, der::oid(oid::DATA)?)?,
        attribute(oid::MESSAGE_DIGEST, der::octet_string(content_digest))?,
        attribute(
            oid::SIGNING_CERTIFICATE_V2,
            signing_certificate_v2(certificate),
        )?,
    ];
    if let Some(at) = signing_time {
        attributes.push(attribute(oid::SIGNING_TIME, der::time(at))?);
    }
    Ok(sorted_set(attributes))
}

fn attribute(attribute_oid: &str, value: Vec<u8>) -> Result<Vec<u8>, PkiError> {
    Ok(der::sequence(&[
        der::oid(attribute_oid)?,
        der::set(&[value]),
    ]))
}

/// A DER `SET OF`: X.690 requires the elements in ascending order of their encodings, and the
/// signature covers this exact encoding, so a verifier that re-encodes must find the same bytes.
pub(super) fn sorted_set(mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort();
    der::set(&elements)
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }` with one ESSCertIDv2:
/// the hash algorithm is left out because SHA-256 is its DEFAULT (DER omits defaults).
pub(crate) fn signing_certificate_v2(certificate: &Certificate) -> Vec<u8> {
    // The certificate's fingerprint is the SHA-256 of its DER.
    let ess_cert_id = der::sequence(&[
        der::octet_string(&certificate.fingerprint),
        issuer_serial(certificate),
    ]);
    der::sequence(&[der::sequence(&[ess_cert_id])])
}

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }`, the issuer as a
/// single directoryName (`[4]`, explicit because Name is a CHOICE).
fn issuer_serial(certificate: &Certificate) -> Vec<u8> {
    let directory_name = der::tlv(der::context(4, true), &certificate.issuer_der);
    der::sequence(&[
        der::sequence(&[directory_name]),
        der::unsigned_integer(&certificate.serial),
    ])
}

/// Why a signing-certificate attribute does not designate a certificate.
pub(super) enum SigningCertificateMismatch {
    /// The attribute cannot be read or uses an unsupported hash.
    Malformed(String),
    /// It designates another certificate.
    Other(String),
}

/// Checks a signing-certificate-v2 attribute value against `certificate`: the first ESSCertIDv2
/// designates the signer (RFC 5035 §3), by hash and, when present, issuer and serial.
pub(super) fn check_signing_certificate_v2(
    value: &Element<'_>,
    certificate: &Certificate,
) -> Result<(), SigningCertificateMismatch> {
    let malformed = |what: &str| SigningCertificateMismatch::Malformed(what.to_owned());
    let outer = der::elements(value.content).map_err(|_| malformed("not DER"))?;
    let certs = outer
        .first()
        .filter(|certs| certs.tag == der::TAG_SEQUENCE)
        .ok_or_else(|| malformed("no certs sequence"))?;
    let ids = der::elements(certs.content).map_err(|_| malformed("not DER"))?;
    let first = ids
        .first()
        .ok_or_else(|| malformed("empty certs sequence"))?;
    let mut fields = der::elements(first.content)
        .map_err(|_| malformed("not DER"))?
        .into_iter()
        .peekable();
    let hash = match fields.peek() {
        Some(field) if field.tag == der::TAG_SEQUENCE => {
            let algorithm = der::elements(field.content)
                .ok()
                .and_then(|parts| parts.first().map(|part| oid_text(part.content)))
                .ok_or_else(|| malformed("unreadable hash algorithm"))?;
            fields.next();
            HashAlg::from_oid(&algorithm)
                .ok_or_else(|| malformed(&format!("unsupported hash algorithm {algorithm}")))?
        }
        _ => HashAlg::Sha256,
    };
    let cert_hash = fields
        .next()
        .filter(|field| field.tag == der::TAG_OCTET_STRING)
        .ok_or_else(|| malformed("no certificate hash"))?;
    let actual = openssl::hash::hash(hash.message_digest(), certificate.der())
        .map_err(|error| malformed(&error.to_string()))?;
    if cert_hash.content != actual.as_ref() {
        return Err(SigningCertificateMismatch::Other(format!(
            "its {} hash designates another certificate",
            hash.name()
        )));
    }
    if let Some(issuer_serial) = fields.next() {
        let expected = self::issuer_serial(certificate);
        if issuer_serial.encoded != expected.as_slice() {
            return Err(SigningCertificateMismatch::Other(
                "its issuer and serial designate another certificate".into(),
            ));
        }
    }
    Ok(())
}

/// Checks a signing-certificate (v1) attribute value against `certificate`: the first
/// ESSCertID designates the signer by the SHA-1 hash of its DER and, when present, by issuer and
/// serial (RFC 2634 §5.4).
pub(super) fn check_signing_certificate_v1(
    value: &Element<'_>,
    certificate: &Certificate,
) -> Result<(), SigningCertificateMismatch> {
    let malformed =
        |what: &str| SigningCertificateMismatch::Malformed(format!("signing-certificate: {what}"));
    let first = der::elements(value.content)
        .ok()
        .and_then(|outer| outer.into_iter().next())
        .filter(|certs| certs.tag == der::TAG_SEQUENCE)
        .and_then(|certs| der::elements(certs.content).ok())
        .and_then(|ids| ids.into_iter().next())
        .ok_or_else(|| malformed("no ESSCertID"))?;
    let mut fields = der::elements(first.content)
        .map_err(|_| malformed("not DER"))?
        .into_iter();
    let cert_hash = fields
        .next()
        .filter(|field| field.tag == der::TAG_OCTET_STRING)
        .ok_or_else(|| malformed("no certificate hash"))?;
    let actual = openssl::sha::sha1(certificate.der());
    if cert_hash.content != actual.as_slice() {
        return Err(SigningCertificateMismatch::Other(
            "its SHA-1 hash designates another certificate".into(),
        ));
    }
    if let Some(issuer_serial) = fields.next() {
        if issuer_serial.encoded != self::issuer_serial(certificate).as_slice() {
            return Err(SigningCertificateMismatch::Other(
                "its issuer and serial designate another certificate".into(),
            ));
        }
    }
    Ok(())
}

/// Reads a UTCTime (years 1950–2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime in the `Z` form.
pub(super) fn parse_time(element: &Element<'_>) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(element.content).ok()?;
    let digits = text.strip_suffix('Z')?;
    let full = match element.tag {
        der::TAG_UTC_TIME if digits.len() == 12 => {
            let year: u32 = digits.get(..2)?.parse().ok()?;
            let century = if year >= 50 { "19" } else { "20" };
            format!("{century}{digits}")
        }
        der::TAG_GENERALIZED_TIME if digits.len() == 14 => digits.to_owned(),
        _ => return None,
    };
    if !full.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let number = |range: std::ops::Range<usize>| full.get(range)?.parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?)?
        .and_hms_opt(number(8..10)?, number(10..12)?, number(12..14)?)
        .map(|naive| naive.and_utc())
}

/// Dotted text of an OID's content octets, for messages.
pub(super) fn oid_text(content: &[u8]) -> String {
    x509_parser::der_parser::oid::Oid::new(std::borrow::Cow::Borrowed(content)).to_id_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_time_forms() {
        let utc = der::tlv(der::TAG_UTC_TIME, b"490101000000Z");
        let parsed = der::elements(&utc).unwrap();
        assert_eq!(
            parse_time(&parsed[0]).unwrap().to_rfc3339(),
            "2049-01-01T00:00:00+00:00"
        );
        let old = der::tlv(der::TAG_UTC_TIME, b"500101000000Z");
        let parsed = der::elements(&old).unwrap();
        assert_eq!(parse_time(&parsed[0]).unwrap().to_rfc3339()[..4], *"1950");
        let generalized = der::tlv(der::TAG_GENERALIZED_TIME, b"20510203040506Z");
        let parsed = der::elements(&generalized).unwrap();
        assert_eq!(
            parse_time(&parsed[0]).unwrap().to_rfc3339(),
            "2051-02-03T04:05:06+00:00"
        );
        let local = der::tlv(der::TAG_GENERALIZED_TIME, b"20510203040506+0700");
        assert!(parse_time(&der::elements(&local).unwrap()[0]).is_none());
    }

    #[test]
    fn sorts_set_elements() {
        let set = sorted_set(vec![vec![0x30, 0x01, 0x02], vec![0x30, 0x01, 0x01]]);
        assert_eq!(set, vec![0x31, 0x06, 0x30, 0x01, 0x01, 0x30, 0x01, 0x02]);
    }
}
