//! Certificate parsing (PEM, DER, PKCS#7 bundles) into an owned [`Certificate`] that keeps
//! everything validation needs, so a certificate is parsed once and validated many times.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use openssl::pkcs7::Pkcs7;
use openssl::pkey::{PKey, Public};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use x509_parser::asn1_rs::Oid;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension, X509Extension};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::time::ASN1Time;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::constraints::{CertificateNames, ComparableName, NameConstraints};
use crate::error::PkiError;
use crate::names::{distinguished_name, identifiers, DistinguishedName, Identifier};
use crate::signature::{load_public_key, named_curve_only, SignatureAlgorithm};

/// Extensions whose meaning this crate applies (or which carry no constraint), so they may be
/// critical. Any other critical extension makes the certificate unusable (RFC 5280 §4.2):
/// notably name constraints and policy constraints, which are not evaluated here.
const HANDLED_EXTENSIONS: &[&str] = &[
    "2.5.29.14",         // subjectKeyIdentifier
    "2.5.29.15",         // keyUsage
    "2.5.29.17",         // subjectAltName
    "2.5.29.18",         // issuerAltName
    "2.5.29.19",         // basicConstraints
    "2.5.29.31",         // cRLDistributionPoints
    "2.5.29.32",         // certificatePolicies (any policy is accepted)
    "2.5.29.35",         // authorityKeyIdentifier
    "2.5.29.37",         // extKeyUsage
    "2.5.29.46",         // freshestCRL
    "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
];

const OID_NAME_CONSTRAINTS: &str = "2.5.29.30";

/// Extensions that RFC 5280 defines as `SEQUENCE SIZE (1..MAX) OF …`: an empty one is not DER of
/// the type, so the certificate is malformed even where motcua does not use the extension.
const NON_EMPTY_SEQUENCES: &[(&str, &str)] = &[
    ("2.5.29.17", "subjectAltName"),
    ("2.5.29.18", "issuerAltName"),
    ("2.5.29.31", "cRLDistributionPoints"),
    ("2.5.29.32", "certificatePolicies"),
    ("2.5.29.33", "policyMappings"),
    ("2.5.29.37", "extendedKeyUsage"),
    ("2.5.29.46", "freshestCRL"),
    ("1.3.6.1.5.5.7.1.1", "authorityInfoAccess"),
    ("1.3.6.1.5.5.7.1.11", "subjectInfoAccess"),
];

/// Key usage bits (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyUsageFlag {
    /// digitalSignature
    DigitalSignature,
    /// nonRepudiation (contentCommitment)
    NonRepudiation,
    /// keyEncipherment
    KeyEncipherment,
    /// dataEncipherment
    DataEncipherment,
    /// keyAgreement
    KeyAgreement,
    /// keyCertSign
    KeyCertSign,
    /// cRLSign
    CrlSign,
    /// encipherOnly
    EncipherOnly,
    /// decipherOnly
    DecipherOnly,
}

impl KeyUsageFlag {
    /// Every flag, in bit order.
    pub const ALL: [Self; 9] = [
        Self::DigitalSignature,
        Self::NonRepudiation,
        Self::KeyEncipherment,
        Self::DataEncipherment,
        Self::KeyAgreement,
        Self::KeyCertSign,
        Self::CrlSign,
        Self::EncipherOnly,
        Self::DecipherOnly,
    ];

    /// The bit of this flag in x509-parser's `KeyUsage::flags` (bit 0 = digitalSignature).
    fn bit(self) -> u16 {
        match self {
            Self::DigitalSignature => 1,
            Self::NonRepudiation => 1 << 1,
            Self::KeyEncipherment => 1 << 2,
            Self::DataEncipherment => 1 << 3,
            Self::KeyAgreement => 1 << 4,
            Self::KeyCertSign => 1 << 5,
            Self::CrlSign => 1 << 6,
            Self::EncipherOnly => 1 << 7,
            Self::DecipherOnly => 1 << 8,
        }
    }
}

/// The basicConstraints extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BasicConstraintsInfo {
    /// Whether the subject is a CA.
    pub ca: bool,
    /// Maximum number of intermediate CA certificates that may follow this one.
    pub path_len: Option<u32>,
}

/// Everything a person or an API client may want to know about a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateInfo {
    /// Subject name.
    pub subject: DistinguishedName,
    /// Issuer name.
    pub issuer: DistinguishedName,
    /// Identifiers found in the subject's `UID` attributes.
    pub identifiers: Vec<Identifier>,
    /// Serial number in lowercase hex, without leading zero bytes.
    pub serial: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// SHA-256 of the DER encoding, lowercase hex.
    pub fingerprint_sha256: String,
    /// Signature algorithm of the issuer, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// Subject key algorithm: `RSA`, `RSA-PSS`, `EC`, `Ed25519` or a dotted OID.
    pub key_algorithm: String,
    /// Key size in bits, when known.
    pub key_bits: Option<u32>,
    /// Named curve of an EC key (`P-256`, `P-384`, `P-521`, or a dotted OID).
    pub key_curve: Option<String>,
    /// keyUsage; `None` when the extension is absent (no restriction).
    pub key_usage: Option<Vec<KeyUsageFlag>>,
    /// extendedKeyUsage by name (`emailProtection`, …) or dotted OID; `None` when absent.
    pub extended_key_usage: Option<Vec<String>>,
    /// basicConstraints; `None` when absent.
    pub basic_constraints: Option<BasicConstraintsInfo>,
    /// Whether basicConstraints marks the subject as a CA.
    pub is_ca: bool,
    /// HTTP, LDAP or other URLs of the CRL distribution points.
    pub crl_distribution_points: Vec<String>,
}

/// A parsed certificate. It owns its DER and the facts validation needs, and caches its public
/// key once loaded, so validating many times against the same issuer costs no re-parsing.
#[derive(Debug, Clone)]
pub struct Certificate {
    der: Vec<u8>,
    info: CertificateInfo,
    pub(crate) fingerprint: [u8; 32],
    pub(crate) tbs: Vec<u8>,
    pub(crate) signature_algorithm: SignatureAlgorithm,
    pub(crate) signature: Vec<u8>,
    pub(crate) subject_der: Vec<u8>,
    pub(crate) issuer_der: Vec<u8>,
    spki_der: Vec<u8>,
    /// Identifies "this name with this key" as a CRL signer: CRLs are indexed by it.
    pub(crate) signer_id: [u8; 32],
    /// Serial without leading zero bytes, the form CRL lookups use.
    pub(crate) serial: Vec<u8>,
    pub(crate) extended_key_usage_oids: Option<Vec<String>>,
    /// Whether extendedKeyUsage is marked critical (RFC 3161 §2.3 requires it of a TSA).
    pub(crate) extended_key_usage_critical: bool,
    pub(crate) unhandled_critical_extensions: Vec<String>,
    pub(crate) subject_key_id: Option<Vec<u8>>,
    pub(crate) authority_key_id: Option<Vec<u8>>,
    /// Whether the serial number is greater than zero (RFC 5280 §4.1.2.2).
    pub(crate) serial_positive: bool,
    /// Whether subjectAltName is present and critical, absent when `None`.
    pub(crate) subject_alt_name_critical: Option<bool>,
    /// The names that CAs' name constraints apply to.
    pub(crate) names: CertificateNames,
    /// The directoryName and rfc822Name constraints this certificate sets on those below it.
    pub(crate) name_constraints: Option<NameConstraints>,
    public_key: OnceLock<Result<PKey<Public>, String>>,
}

impl Certificate {
    /// Parses exactly one DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let invalid = |reason: String| PkiError::InvalidCertificate { index: 1, reason };
        let (rest, parsed) =
            X509Certificate::from_der(der).map_err(|error| invalid(error.to_string()))?;
        if !rest.is_empty() {
            return Err(invalid(format!(
                "{} unexpected bytes after the certificate",
                rest.len()
            )));
        }
        Self::from_parsed(der, &parsed).map_err(invalid)
    }

    /// The DER encoding, exactly as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Facts about the certificate.
    pub fn info(&self) -> &CertificateInfo {
        &self.info
    }

    /// Identifiers (`CCCD`, `MST`, …) from the subject's `UID` attributes.
    pub fn identifiers(&self) -> &[Identifier] {
        &self.info.identifiers
    }

    /// Whether the certificate names itself as issuer and its own key verifies its signature:
    /// only such a certificate can be a trust root.
    pub fn is_self_signed(&self) -> bool {
        crate::path::is_self_signed(self)
    }

    /// The certificate in PEM.
    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }

    /// The subject public key, loaded by OpenSSL once and then shared.
    pub(crate) fn public_key(&self) -> Result<&PKey<Public>, &str> {
        self.public_key
            .get_or_init(|| load_public_key(&self.spki_der))
            .as_ref()
            .map_err(String::as_str)
    }

    pub(crate) fn has_key_usage(&self, flag: KeyUsageFlag) -> Option<bool> {
        self.info
            .key_usage
            .as_ref()
            .map(|flags| flags.contains(&flag))
    }

    pub(crate) fn subject_text(&self) -> &str {
        &self.info.subject.text
    }

    /// Whether the subject is an empty sequence of RDNs.
    pub(crate) fn has_empty_subject(&self) -> bool {
        self.subject_der == [0x30, 0x00]
    }

    /// Self-issued (RFC 5280 §6.1): subject and issuer are the same name, whatever the key.
    pub(crate) fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    fn from_parsed(der: &[u8], parsed: &X509Certificate<'_>) -> Result<Self, String> {
        let tbs = &parsed.tbs_certificate;
        let subject = distinguished_name(tbs.subject());
        let issuer = distinguished_name(tbs.issuer());
        let extensions = Extensions::read(tbs.extensions())?;
        named_curve_only(tbs.public_key().raw)?;
        let key = KeyDescription::read(tbs.public_key());
        let signature_algorithm =
            SignatureAlgorithm::from_identifiers(&parsed.signature_algorithm, &tbs.signature);
        let serial = normalized_serial(tbs.raw_serial());
        let serial_positive = tbs
            .raw_serial()
            .first()
            .is_some_and(|&first| first & 0x80 == 0)
            && tbs.raw_serial().iter().any(|&byte| byte != 0);
        let names = CertificateNames::new(
            ComparableName::from_x509_name(tbs.subject()),
            extensions.alt_directory_names.clone(),
            extensions.alt_emails.clone(),
        );
        let fingerprint: [u8; 32] = Sha256::digest(der).into();
        let spki_der = tbs.public_key().raw.to_vec();
        let subject_der = tbs.subject().as_raw().to_vec();
        let info = CertificateInfo {
            identifiers: identifiers(&subject),
            subject,
            issuer,
            serial: hex::encode(&serial),
            not_before: to_datetime(tbs.validity().not_before)?,
            not_after: to_datetime(tbs.validity().not_after)?,
            fingerprint_sha256: hex::encode(fingerprint),
            signature_algorithm: signature_algorithm.name(),
            key_algorithm: key.algorithm,
            key_bits: key.bits,
            key_curve: key.curve,
            key_usage: extensions.key_usage,
            extended_key_usage: extensions
                .extended_key_usage
                .as_ref()
                .map(|oids| oids.iter().map(|oid| eku_name(oid)).collect()),
            is_ca: extensions.basic_constraints.is_some_and(|bc| bc.ca),
            basic_constraints: extensions.basic_constraints,
            crl_distribution_points: extensions.crl_distribution_points,
        };
        Ok(Self {
            der: der.to_vec(),
            info,
            fingerprint,
            tbs: tbs.as_ref().to_vec(),
            signature_algorithm,
            signature: parsed.signature_value.data.to_vec(),
            signer_id: signer_id(&subject_der, &spki_der),
            subject_der,
            issuer_der: tbs.issuer().as_raw().to_vec(),
            spki_der,
            serial,
            extended_key_usage_oids: extensions.extended_key_usage,
            extended_key_usage_critical: extensions.extended_key_usage_critical,
            unhandled_critical_extensions: extensions.unhandled_critical,
            subject_key_id: extensions.subject_key_id,
            authority_key_id: extensions.authority_key_id,
            serial_positive,
            subject_alt_name_critical: extensions.subject_alt_name_critical,
            names,
            name_constraints: extensions.name_constraints,
            public_key: OnceLock::new(),
        })
    }
}

/// Parses every certificate in `input`: PEM (several blocks allowed, other blocks skipped),
/// one or more concatenated DER certificates, or a PKCS#7 bundle (`.p7b`) in PEM or DER.
pub fn parse_certificates(input: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    let certificates = if input.trim_ascii_start().starts_with(PEM_BEGIN) {
        parse_pem(input)?
    } else {
        match parse_der(input) {
            // PEM after some text, as `openssl x509 -text` writes it.
            Err(_) if contains_pem(input) => parse_pem(input)?,
            other => other?,
        }
    };
    if certificates.is_empty() {
        return Err(PkiError::NoCertificate);
    }
    Ok(certificates)
}

const PEM_BEGIN: &[u8] = b"-----BEGIN ";

fn contains_pem(input: &[u8]) -> bool {
    input
        .windows(PEM_BEGIN.len())
        .any(|window| window == PEM_BEGIN)
}

fn parse_pem(input: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    let mut certificates = Vec::new();
    for block in Pem::iter_from_buffer(input) {
        let block = block.map_err(|error| PkiError::InvalidPem(error.to_string()))?;
        match block.label.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" => {
                certificates.push(parse_numbered(&block.contents, certificates.len() + 1)?);
            }
            "PKCS7" | "PKCS #7 SIGNED DATA" | "CMS" => {
                certificates.extend(parse_pkcs7(&block.contents)?);
            }
            _ => {}
        }
    }
    Ok(certificates)
}

fn parse_der(input: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    let mut certificates = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let index = certificates.len() + 1;
        match X509Certificate::from_der(rest) {
            Ok((after, parsed)) => {
                let der = rest.get(..rest.len() - after.len()).unwrap_or(rest);
                let certificate = Certificate::from_parsed(der, &parsed)
                    .map_err(|reason| PkiError::InvalidCertificate { index, reason })?;
                certificates.push(certificate);
                rest = after;
            }
            Err(_) if index == 1 && Pkcs7::from_der(input).is_ok() => return parse_pkcs7(input),
            Err(error) => {
                return Err(PkiError::InvalidCertificate {
                    index,
                    reason: error.to_string(),
                })
            }
        }
    }
    Ok(certificates)
}

fn parse_pkcs7(der: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    let bundle = Pkcs7::from_der(der).map_err(|error| PkiError::InvalidPkcs7(error.to_string()))?;
    let Some(stack) = bundle.signed().and_then(|signed| signed.certificates()) else {
        return Err(PkiError::InvalidPkcs7(
            "the bundle is not SignedData or carries no certificates".into(),
        ));
    };
    stack
        .iter()
        .enumerate()
        .map(|(position, x509)| {
            let der = x509
                .to_der()
                .map_err(|error| PkiError::InvalidPkcs7(error.to_string()))?;
            parse_numbered(&der, position + 1)
        })
        .collect()
}

fn parse_numbered(der: &[u8], index: usize) -> Result<Certificate, PkiError> {
    Certificate::from_der(der).map_err(|error| match error {
        PkiError::InvalidCertificate { reason, .. } => {
            PkiError::InvalidCertificate { index, reason }
        }
        other => other,
    })
}

/// The extension facts kept from a certificate.
#[derive(Default)]
struct Extensions {
    key_usage: Option<Vec<KeyUsageFlag>>,
    extended_key_usage: Option<Vec<String>>,
    extended_key_usage_critical: bool,
    basic_constraints: Option<BasicConstraintsInfo>,
    crl_distribution_points: Vec<String>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    unhandled_critical: Vec<String>,
    subject_alt_name_critical: Option<bool>,
    alt_directory_names: Vec<ComparableName>,
    alt_emails: Vec<String>,
    name_constraints: Option<NameConstraints>,
}

impl Extensions {
    fn read(extensions: &[X509Extension<'_>]) -> Result<Self, String> {
        let mut read = Self::default();
        let mut seen = Vec::new();
        for extension in extensions {
            let oid = extension.oid.to_id_string();
            if seen.contains(&oid) {
                return Err(format!("extension {oid} appears twice"));
            }
            if let Some((_, name)) = NON_EMPTY_SEQUENCES.iter().find(|(known, _)| *known == oid) {
                if extension.value == [0x30, 0x00] {
                    return Err(format!(
                        "extension {name} ({oid}) is an empty sequence, which RFC 5280 forbids"
                    ));
                }
            }
            if oid == OID_NAME_CONSTRAINTS {
                let constraints = NameConstraints::from_der(extension.value)?;
                if extension.critical && constraints.other_forms {
                    read.unhandled_critical.push(format!(
                        "{oid} (nameConstraints on name forms other than directoryName and \
                         rfc822Name)"
                    ));
                }
                read.name_constraints = Some(constraints);
            } else if extension.critical && !HANDLED_EXTENSIONS.contains(&oid.as_str()) {
                read.unhandled_critical.push(oid.clone());
            }
            if oid == "2.5.29.37" {
                read.extended_key_usage_critical = extension.critical;
            }
            if oid == "2.5.29.17" {
                read.subject_alt_name_critical = Some(extension.critical);
            }
            read.apply(extension.parsed_extension(), &oid)?;
            seen.push(oid);
        }
        Ok(read)
    }

    fn apply(&mut self, parsed: &ParsedExtension<'_>, oid: &str) -> Result<(), String> {
        match parsed {
            ParsedExtension::KeyUsage(usage) => {
                self.key_usage = Some(
                    KeyUsageFlag::ALL
                        .into_iter()
                        .filter(|flag| usage.flags & flag.bit() != 0)
                        .collect(),
                );
            }
            ParsedExtension::BasicConstraints(constraints) => {
                self.basic_constraints = Some(BasicConstraintsInfo {
                    ca: constraints.ca,
                    path_len: constraints.path_len_constraint,
                });
            }
            ParsedExtension::ExtendedKeyUsage(usage) => {
                self.extended_key_usage = Some(extended_key_usage_oids(usage));
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                self.crl_distribution_points = points
                    .points
                    .iter()
                    .filter_map(|point| point.distribution_point.as_ref())
                    .flat_map(full_name_uris)
                    .collect();
            }
            ParsedExtension::SubjectKeyIdentifier(id) => self.subject_key_id = Some(id.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(id) => {
                self.authority_key_id = id.key_identifier.as_ref().map(|id| id.0.to_vec());
            }
            ParsedExtension::SubjectAlternativeName(names) => {
                for name in &names.general_names {
                    match name {
                        GeneralName::DirectoryName(name) => self
                            .alt_directory_names
                            .push(ComparableName::from_x509_name(name)),
                        GeneralName::RFC822Name(mailbox) => {
                            self.alt_emails.push((*mailbox).to_owned())
                        }
                        _ => {}
                    }
                }
            }
            // A certificate with an extension that is not valid DER of its type is malformed,
            // whether or not motcua uses the extension.
            ParsedExtension::ParseError { error } => {
                return Err(format!("extension {oid} is malformed: {error}"));
            }
            _ => {}
        }
        Ok(())
    }
}

fn extended_key_usage_oids(usage: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let flagged = [
        (usage.any, "2.5.29.37.0"),
        (usage.server_auth, "1.3.6.1.5.5.7.3.1"),
        (usage.client_auth, "1.3.6.1.5.5.7.3.2"),
        (usage.code_signing, "1.3.6.1.5.5.7.3.3"),
        (usage.email_protection, "1.3.6.1.5.5.7.3.4"),
        (usage.time_stamping, "1.3.6.1.5.5.7.3.8"),
        (usage.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
    ];
    flagged
        .into_iter()
        .filter(|(present, _)| *present)
        .map(|(_, oid)| oid.to_owned())
        .chain(usage.other.iter().map(Oid::to_id_string))
        .collect()
}

/// Readable names of extended key usages.
const EKU_NAMES: &[(&str, &str)] = &[
    ("2.5.29.37.0", "anyExtendedKeyUsage"),
    ("1.3.6.1.5.5.7.3.1", "serverAuth"),
    ("1.3.6.1.5.5.7.3.2", "clientAuth"),
    ("1.3.6.1.5.5.7.3.3", "codeSigning"),
    ("1.3.6.1.5.5.7.3.4", "emailProtection"),
    ("1.3.6.1.5.5.7.3.8", "timeStamping"),
    ("1.3.6.1.5.5.7.3.9", "OCSPSigning"),
    ("1.3.6.1.5.5.7.3.36", "documentSigning"),
    ("1.3.6.1.4.1.311.10.3.12", "msDocumentSigning"),
    ("1.2.840.113583.1.1.5", "adobeAuthenticDocumentsTrust"),
];

/// The name of an extended key usage, or its OID when unknown.
pub(crate) fn eku_name(oid: &str) -> String {
    EKU_NAMES
        .iter()
        .find(|(known, _)| *known == oid)
        .map_or_else(|| oid.to_owned(), |(_, name)| (*name).to_owned())
}

fn full_name_uris(name: &DistributionPointName<'_>) -> Vec<String> {
    match name {
        DistributionPointName::FullName(names) => general_name_uris(names),
        DistributionPointName::NameRelativeToCRLIssuer(_) => Vec::new(),
    }
}

pub(crate) fn general_name_uris(names: &[GeneralName<'_>]) -> Vec<String> {
    names
        .iter()
        .filter_map(|name| match name {
            GeneralName::URI(uri) => Some((*uri).to_owned()),
            _ => None,
        })
        .collect()
}

struct KeyDescription {
    algorithm: String,
    bits: Option<u32>,
    curve: Option<String>,
}

impl KeyDescription {
    fn read(spki: &SubjectPublicKeyInfo<'_>) -> Self {
        let oid = spki.algorithm.algorithm.to_id_string();
        let rsa_bits = || match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => u32::try_from(rsa.key_size()).ok(),
            _ => None,
        };
        match oid.as_str() {
            "1.2.840.113549.1.1.1" => Self::new("RSA", rsa_bits(), None),
            "1.2.840.113549.1.1.10" => Self::new("RSA-PSS", None, None),
            "1.3.101.112" => Self::new("Ed25519", Some(256), None),
            "1.2.840.10045.2.1" => {
                let curve_oid = spki
                    .algorithm
                    .parameters()
                    .and_then(|any| Oid::try_from(any.clone()).ok())
                    .map(|oid| oid.to_id_string());
                let (curve, bits) = match curve_oid.as_deref() {
                    Some("1.2.840.10045.3.1.7") => (Some("P-256".to_owned()), Some(256)),
                    Some("1.3.132.0.34") => (Some("P-384".to_owned()), Some(384)),
                    Some("1.3.132.0.35") => (Some("P-521".to_owned()), Some(521)),
                    other => (other.map(str::to_owned), None),
                };
                Self::new("EC", bits, curve)
            }
            _ => Self::new(&oid, None, None),
        }
    }

    fn new(algorithm: &str, bits: Option<u32>, curve: Option<String>) -> Self {
        Self {
            algorithm: algorithm.to_owned(),
            bits,
            curve,
        }
    }
}

/// Serial numbers are compared without the sign-padding zero bytes DER may add.
pub(crate) fn normalized_serial(raw: &[u8]) -> Vec<u8> {
    let significant = raw
        .iter()
        .position(|&byte| byte != 0)
        .unwrap_or(raw.len().saturating_sub(1));
    raw.get(significant..).unwrap_or_default().to_vec()
}

pub(crate) fn signer_id(subject_der: &[u8], spki_der: &[u8]) -> [u8; 32] {
    // Both parts are self-delimiting DER, so plain concatenation is unambiguous.
    Sha256::new()
        .chain_update(subject_der)
        .chain_update(spki_der)
        .finalize()
        .into()
}

pub(crate) fn to_datetime(time: ASN1Time) -> Result<DateTime<Utc>, String> {
    DateTime::from_timestamp(time.timestamp(), 0)
        .ok_or_else(|| format!("time {time} is out of range"))
}

pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = openssl::base64::encode_block(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_normalization_strips_sign_padding() {
        assert_eq!(normalized_serial(&[0x00, 0x80, 0x01]), vec![0x80, 0x01]);
        assert_eq!(normalized_serial(&[0x00]), vec![0x00]);
        assert_eq!(normalized_serial(&[0x00, 0x00]), vec![0x00]);
        assert_eq!(normalized_serial(&[]), Vec::<u8>::new());
        assert_eq!(normalized_serial(&[0x12]), vec![0x12]);
    }

    #[test]
    fn pem_lines_are_64_characters() {
        let pem = pem_encode("CERTIFICATE", &[0u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last().copied(), Some("-----END CERTIFICATE-----"));
    }
}
