//! CRLs for the test PKI, built with OpenSSL's `X509_CRL` API. OpenSSL has no setter for a
//! revoked entry's fields, so each entry is encoded in DER and parsed back.

use chrono::{DateTime, Utc};
use openssl::asn1::{Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::pkey::{PKeyRef, Private};
use openssl::x509::extension::CrlNumber;
use openssl::x509::{X509CrlBuilder, X509Extension, X509Revoked};

use super::{days_after, hours_after, TestCert};
use crate::crl::RevocationReason;
use crate::der;
use crate::error::PkiError;
use crate::parse::Certificate;
use crate::signature::HashAlg;

/// What a test CRL says.
#[derive(Debug, Clone)]
pub struct CrlSpec {
    /// thisUpdate.
    pub this_update: DateTime<Utc>,
    /// nextUpdate (OpenSSL always writes one).
    pub next_update: DateTime<Utc>,
    /// cRLNumber.
    pub number: u64,
    /// Revoked certificates.
    pub revoked: Vec<RevokedSpec>,
    /// Digest of the CRL signature.
    pub digest: HashAlg,
}

/// One revoked certificate of a [`CrlSpec`].
#[derive(Debug, Clone)]
pub struct RevokedSpec {
    /// Serial number, big-endian magnitude.
    pub serial: Vec<u8>,
    /// revocationDate.
    pub revoked_at: DateTime<Utc>,
    /// reasonCode, if any.
    pub reason: Option<RevocationReason>,
}

impl CrlSpec {
    /// A CRL issued an hour before `now` and valid for a week, revoking nothing.
    pub fn current(now: DateTime<Utc>) -> Self {
        Self {
            this_update: hours_after(now, -1),
            next_update: days_after(now, 7),
            number: 1,
            revoked: Vec::new(),
            digest: HashAlg::Sha256,
        }
    }

    /// A CRL whose nextUpdate passed a day before `now`.
    pub fn stale(now: DateTime<Utc>) -> Self {
        Self {
            this_update: days_after(now, -8),
            next_update: days_after(now, -1),
            ..Self::current(now)
        }
    }

    /// Adds `certificate`, revoked at `revoked_at`.
    pub fn revoke(
        self,
        certificate: &Certificate,
        revoked_at: DateTime<Utc>,
        reason: Option<RevocationReason>,
    ) -> Self {
        self.revoke_serial(certificate.serial.clone(), revoked_at, reason)
    }

    /// Adds a serial number, revoked at `revoked_at`.
    pub fn revoke_serial(
        mut self,
        serial: Vec<u8>,
        revoked_at: DateTime<Utc>,
        reason: Option<RevocationReason>,
    ) -> Self {
        self.revoked.push(RevokedSpec {
            serial,
            revoked_at,
            reason,
        });
        self
    }
}

/// Builds a CRL naming `issuer` as its issuer, signed with `key` (the issuer's own key unless a
/// wrongly signed CRL is wanted).
pub(super) fn build_crl(
    issuer: &TestCert,
    key: &PKeyRef<Private>,
    spec: &CrlSpec,
) -> Result<Vec<u8>, PkiError> {
    let failed = PkiError::crypto;
    let mut builder = X509CrlBuilder::new().map_err(failed("creating a CRL"))?;
    builder
        .set_issuer_name(issuer.x509.subject_name())
        .map_err(failed("setting the CRL issuer"))?;
    builder
        .set_last_update(asn1_time(spec.this_update)?.as_ref())
        .map_err(failed("setting thisUpdate"))?;
    builder
        .set_next_update(asn1_time(spec.next_update)?.as_ref())
        .map_err(failed("setting nextUpdate"))?;
    for revoked in &spec.revoked {
        let entry = X509Revoked::from_der(&revoked_entry(revoked))
            .map_err(failed("encoding a revoked entry"))?;
        builder
            .add_revoked(entry)
            .map_err(failed("adding a revoked entry"))?;
    }
    builder
        .append_extension(authority_key_identifier(issuer)?)
        .map_err(failed("adding authorityKeyIdentifier"))?;
    let number = BigNum::from_slice(&spec.number.to_be_bytes())
        .and_then(CrlNumber::new)
        .and_then(CrlNumber::build)
        .map_err(failed("encoding cRLNumber"))?;
    builder
        .append_extension(number)
        .map_err(failed("adding cRLNumber"))?;
    builder.sort().map_err(failed("sorting the CRL"))?;
    builder
        .sign(key, spec.digest.message_digest())
        .map_err(failed("signing the CRL"))?;
    builder
        .build()
        .and_then(|crl| crl.to_der())
        .map_err(failed("encoding the CRL"))
}

fn revoked_entry(revoked: &RevokedSpec) -> Vec<u8> {
    let mut fields = vec![
        der::unsigned_integer(&revoked.serial),
        der::time(revoked.revoked_at),
    ];
    if let Some(reason) = revoked.reason {
        // Extension ::= SEQUENCE { extnID (id-ce-cRLReasons), extnValue OCTET STRING }
        let reason_code = der::sequence(&[
            der::tlv(der::TAG_OID, &[0x55, 0x1d, 0x15]),
            der::octet_string(&der::enumerated(reason.code())),
        ]);
        fields.push(der::sequence(&[reason_code]));
    }
    der::sequence(&fields)
}

fn authority_key_identifier(issuer: &TestCert) -> Result<X509Extension, PkiError> {
    let key_id = issuer
        .certificate
        .subject_key_id
        .as_deref()
        .ok_or_else(|| PkiError::TestPki("the CRL issuer has no subjectKeyIdentifier".into()))?;
    let value = der::sequence(&[der::tlv(der::context(0, false), key_id)]);
    raw_extension("2.5.29.35", false, &value)
}

/// An extension from its DER value.
pub(super) fn raw_extension(
    oid: &str,
    critical: bool,
    value: &[u8],
) -> Result<X509Extension, PkiError> {
    let failed = PkiError::crypto;
    let object = Asn1Object::from_str(oid).map_err(failed("reading an extension OID"))?;
    let contents =
        Asn1OctetString::new_from_bytes(value).map_err(failed("encoding an extension"))?;
    X509Extension::new_from_der(&object, critical, &contents)
        .map_err(failed("building an extension"))
}

pub(super) fn asn1_time(at: DateTime<Utc>) -> Result<Asn1Time, PkiError> {
    Asn1Time::from_unix(at.timestamp()).map_err(PkiError::crypto("encoding a time"))
}
