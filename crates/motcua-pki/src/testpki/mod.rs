//! A throw-away PKI that mirrors the government hierarchy, for tests, demos and the CLI.
//!
//! [`TestPki::new`] creates a root "RootCA chuyên dùng Chính phủ G2" and an issuing CA
//! "CA phục vụ các cơ quan Nhà nước G2" (O=Ban Cơ yếu Chính phủ, C=VN). From it:
//!
//! - individuals: [`TestPki::individual`] (`UID=CCCD:…`, Vietnamese CN, digitalSignature +
//!   nonRepudiation);
//! - organisations: [`TestPki::organisation`] plus [`CertSpec::identifier`] for `MST:` / `MNS:`;
//! - broken cases: [`CertSpec::expired`], [`CertSpec::not_yet_valid`],
//!   [`CertSpec::wrong_key_usage`], [`CertSpec::bad_signature`],
//!   [`TestPki::issue_by_unknown_ca`], and revocation with [`CrlSpec::revoke`];
//! - CRLs: [`TestPki::crl`], [`TestPki::root_crl`], [`TestCert::crl_signed_with`] (wrong key);
//! - exports: DER, PEM, PKCS#12 and the private key.
//!
//! Nothing is cached: every call generates fresh keys, so RSA 3072 costs about a second each.
//!
//! ```
//! use chrono::Utc;
//! use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
//! use motcua_pki::{IdentifierKind, Purpose, RevocationPolicy};
//!
//! # fn demo() -> Result<(), motcua_pki::PkiError> {
//! let now = Utc::now();
//! let pki = TestPki::new(KeySpec::Rsa2048, now)?;
//! let official = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
//! let commune = pki.issue(
//!     &pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
//!         .identifier(IdentifierKind::TaxCode, "2400123456"),
//! )?;
//! let mut store = pki.trust_store()?;
//! store.add_crl(&pki.root_crl(&CrlSpec::current(now))?)?;
//! store.add_crl(&pki.crl(&CrlSpec::current(now).revoke(commune.certificate(), now, None))?)?;
//! let verdict = store.validate(official.certificate(), &[], now, Purpose::Signing, RevocationPolicy::Require);
//! assert!(verdict.is_valid());
//! # Ok(())
//! # }
//! ```

mod crl;
mod ocsp;
pub mod tsa;
use crate::der;

use chrono::{DateTime, TimeDelta, Utc};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer};
use openssl::stack::Stack;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{X509Builder, X509Name, X509Req, X509};

use self::crl::{asn1_time, build_crl, raw_extension};
pub use self::crl::{CrlSpec, RevokedSpec};
pub use self::ocsp::{OcspIndex, OpensslOcspResponder, ServeMode, StaticHttpServer};
use crate::error::PkiError;
use crate::names::{attribute_oid, IdentifierKind};
use crate::parse::{Certificate, KeyUsageFlag};
use crate::signature::HashAlg;
use crate::store::TrustStore;

/// `at` moved by `days` (earlier when negative), saturating at the ends of the representable
/// range so that no reference time makes the builder panic.
pub(crate) fn days_after(at: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    shifted(at, TimeDelta::try_days(days), days < 0)
}

/// Like [`days_after`], in hours.
pub(crate) fn hours_after(at: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    shifted(at, TimeDelta::try_hours(hours), hours < 0)
}

fn shifted(at: DateTime<Utc>, delta: Option<TimeDelta>, earlier: bool) -> DateTime<Utc> {
    delta
        .and_then(|delta| at.checked_add_signed(delta))
        .unwrap_or(if earlier {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
}

/// OID of an extension no validator knows, used to test critical-extension handling.
pub const UNKNOWN_EXTENSION_OID: &str = "1.3.6.1.4.1.55555.1.1";

/// Key type of a generated certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeySpec {
    /// RSA 2048 (fast to generate).
    #[default]
    Rsa2048,
    /// RSA 3072 (slow to generate: about a second).
    Rsa3072,
    /// ECDSA P-256.
    EcP256,
    /// ECDSA P-384.
    EcP384,
}

impl KeySpec {
    /// Generates a private key of this type.
    pub fn generate(self) -> Result<PKey<Private>, PkiError> {
        let failed = PkiError::crypto("generating a key");
        match self {
            Self::Rsa2048 => Rsa::generate(2048).and_then(PKey::from_rsa),
            Self::Rsa3072 => Rsa::generate(3072).and_then(PKey::from_rsa),
            Self::EcP256 => ec_key(Nid::X9_62_PRIME256V1),
            Self::EcP384 => ec_key(Nid::SECP384R1),
        }
        .map_err(failed)
    }
}

fn ec_key(curve: Nid) -> Result<PKey<Private>, openssl::error::ErrorStack> {
    let group = EcGroup::from_curve_name(curve)?;
    EcKey::generate(&group).and_then(PKey::from_ec_key)
}

/// ASN.1 string type of a name attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringType {
    Utf8,
    Printable,
    Bmp,
}

/// A distinguished name to encode, attributes in encoding order (most general first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameSpec {
    entries: Vec<(String, String, StringType)>,
}

impl NameSpec {
    /// An empty name.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an attribute by short name (`C`, `ST`, `L`, `O`, `OU`, `CN`, `UID`, …). `C` is
    /// encoded as PrintableString as RFC 5280 requires, everything else as UTF8String.
    pub fn add(mut self, attribute: &str, value: &str) -> Self {
        let string_type = if attribute.eq_ignore_ascii_case("C") {
            StringType::Printable
        } else {
            StringType::Utf8
        };
        self.entries
            .push((attribute.to_owned(), value.to_owned(), string_type));
        self
    }

    /// Appends an attribute encoded as BMPString (UTF-16), as some older CAs do.
    pub fn add_bmp(mut self, attribute: &str, value: &str) -> Self {
        self.entries
            .push((attribute.to_owned(), value.to_owned(), StringType::Bmp));
        self
    }

    /// Appends `UID=<prefix><value>`, e.g. `UID=MST:0400260612`.
    pub fn add_identifier(self, kind: IdentifierKind, value: &str) -> Self {
        let uid = format!("{}{value}", kind.prefix());
        self.add("UID", &uid)
    }

    /// The DER encoding of the name.
    pub fn to_der(&self) -> Result<Vec<u8>, PkiError> {
        let mut rdns = Vec::with_capacity(self.entries.len());
        for (attribute, value, string_type) in &self.entries {
            let oid = attribute_oid(attribute)
                .ok_or_else(|| PkiError::TestPki(format!("unknown name attribute {attribute}")))?;
            let value = match string_type {
                StringType::Utf8 => der::tlv(der::TAG_UTF8_STRING, value.as_bytes()),
                StringType::Printable => der::tlv(der::TAG_PRINTABLE_STRING, value.as_bytes()),
                StringType::Bmp => der::bmp_string(value),
            };
            rdns.push(der::set(&[der::sequence(&[der::oid(oid)?, value])]));
        }
        Ok(der::sequence(&rdns))
    }
}

/// What to put in a generated certificate. Create one with [`TestPki::individual`],
/// [`TestPki::organisation`] or [`CertSpec::new`], then adjust it.
#[derive(Debug, Clone)]
pub struct CertSpec {
    /// Subject name.
    pub subject: NameSpec,
    /// Key type.
    pub key: KeySpec,
    /// notBefore.
    pub not_before: DateTime<Utc>,
    /// notAfter.
    pub not_after: DateTime<Utc>,
    /// basicConstraints cA (critical when set).
    pub ca: bool,
    /// pathLenConstraint of a CA.
    pub path_len: Option<u32>,
    /// keyUsage (critical); empty for none.
    pub key_usage: Vec<KeyUsageFlag>,
    /// extendedKeyUsage OIDs; empty for none.
    pub extended_key_usage: Vec<String>,
    /// Marks extendedKeyUsage critical, as RFC 3161 §2.3 requires of a timestamping authority.
    pub extended_key_usage_critical: bool,
    /// URL of the CRL distribution point.
    pub crl_url: Option<String>,
    /// URL of the OCSP responder (authorityInfoAccess).
    pub ocsp_url: Option<String>,
    /// Adds id-pkix-ocsp-nocheck (for OCSP responder certificates).
    pub ocsp_nocheck: bool,
    /// Adds a critical extension ([`UNKNOWN_EXTENSION_OID`]) that no validator understands.
    pub unknown_critical_extension: bool,
    /// Digest of the issuer's signature.
    pub digest: HashAlg,
    /// Sign with RSA-PSS instead of PKCS#1 v1.5 (RSA issuers only).
    pub rsa_pss: bool,
    /// Flip a bit of the signature, so that it no longer verifies.
    pub corrupt_signature: bool,
    /// Reference time the validity presets are relative to.
    reference: DateTime<Utc>,
}

impl CertSpec {
    /// An end-entity signing certificate (digitalSignature + nonRepudiation) valid from 30 days
    /// before `now` for two years.
    pub fn new(subject: NameSpec, now: DateTime<Utc>) -> Self {
        Self {
            subject,
            key: KeySpec::default(),
            not_before: days_after(now, -30),
            not_after: days_after(now, 730),
            ca: false,
            path_len: None,
            key_usage: vec![KeyUsageFlag::DigitalSignature, KeyUsageFlag::NonRepudiation],
            extended_key_usage: Vec::new(),
            extended_key_usage_critical: false,
            crl_url: None,
            ocsp_url: None,
            ocsp_nocheck: false,
            unknown_critical_extension: false,
            digest: HashAlg::Sha256,
            rsa_pss: false,
            corrupt_signature: false,
            reference: now,
        }
    }

    /// A CA certificate (keyCertSign + cRLSign) valid from `years_back` years before `now` to
    /// `years_ahead` years after it.
    pub fn certificate_authority(
        subject: NameSpec,
        now: DateTime<Utc>,
        years_back: i64,
        years_ahead: i64,
    ) -> Self {
        Self {
            not_before: days_after(now, years_back.saturating_mul(-365)),
            not_after: days_after(now, years_ahead.saturating_mul(365)),
            ca: true,
            key_usage: vec![KeyUsageFlag::KeyCertSign, KeyUsageFlag::CrlSign],
            ..Self::new(subject, now)
        }
    }

    /// Uses another key type.
    pub fn key(mut self, key: KeySpec) -> Self {
        self.key = key;
        self
    }

    /// Appends `UID=<prefix><value>` to the subject.
    pub fn identifier(mut self, kind: IdentifierKind, value: &str) -> Self {
        self.subject = self.subject.add_identifier(kind, value);
        self
    }

    /// Sets the CRL distribution point URL.
    pub fn crl_url(mut self, url: &str) -> Self {
        self.crl_url = Some(url.to_owned());
        self
    }

    /// Sets the extendedKeyUsage OIDs.
    pub fn extended_key_usage(mut self, oids: &[&str]) -> Self {
        self.extended_key_usage = oids.iter().map(|oid| (*oid).to_owned()).collect();
        self
    }

    /// Sets the extendedKeyUsage OIDs in a critical extension (a timestamping authority's).
    pub fn critical_extended_key_usage(mut self, oids: &[&str]) -> Self {
        self.extended_key_usage_critical = true;
        self.extended_key_usage(oids)
    }

    /// Broken case: expired a day before the reference time (valid the year before).
    pub fn expired(mut self) -> Self {
        self.not_before = days_after(self.reference, -366);
        self.not_after = days_after(self.reference, -1);
        self
    }

    /// Broken case: valid only from a day after the reference time.
    pub fn not_yet_valid(mut self) -> Self {
        self.not_before = days_after(self.reference, 1);
        self.not_after = days_after(self.reference, 366);
        self
    }

    /// Broken case: keyUsage keyEncipherment only, so it cannot sign.
    pub fn wrong_key_usage(mut self) -> Self {
        self.key_usage = vec![KeyUsageFlag::KeyEncipherment];
        self
    }

    /// Broken case: the issuer's signature is corrupted.
    pub fn bad_signature(mut self) -> Self {
        self.corrupt_signature = true;
        self
    }

    /// Signs with RSA-PSS (the issuer must have an RSA key).
    pub fn rsa_pss(mut self) -> Self {
        self.rsa_pss = true;
        self
    }

    /// Adds a critical extension no validator understands.
    pub fn unknown_critical_extension(mut self) -> Self {
        self.unknown_critical_extension = true;
        self
    }
}

/// A generated certificate with its private key.
#[derive(Debug, Clone)]
pub struct TestCert {
    certificate: Certificate,
    x509: X509,
    key: PKey<Private>,
}

impl TestCert {
    /// A self-signed certificate, e.g. a root.
    pub fn self_signed(spec: &CertSpec) -> Result<Self, PkiError> {
        let key = spec.key.generate()?;
        build_certificate(spec, key, None)
    }

    /// Issues a certificate signed by this one.
    pub fn issue(&self, spec: &CertSpec) -> Result<Self, PkiError> {
        let key = spec.key.generate()?;
        build_certificate(spec, key, Some(self))
    }

    /// The parsed certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// DER encoding.
    pub fn der(&self) -> &[u8] {
        self.certificate.der()
    }

    /// PEM encoding.
    pub fn pem(&self) -> String {
        self.certificate.to_pem()
    }

    /// The private key, for signing in tests.
    pub fn private_key(&self) -> &PKey<Private> {
        &self.key
    }

    /// The private key as unencrypted PKCS#8 PEM.
    pub fn private_key_pem(&self) -> Result<Vec<u8>, PkiError> {
        self.key
            .private_key_to_pem_pkcs8()
            .map_err(PkiError::crypto("encoding the private key"))
    }

    /// A PKCS#12 file of this certificate, its key and `chain` (issuing CA first), protected by
    /// `password`, for signing tools.
    pub fn pkcs12(&self, password: &str, chain: &[&TestCert]) -> Result<Vec<u8>, PkiError> {
        let failed = PkiError::crypto;
        let mut authorities = Stack::new().map_err(failed("creating the PKCS#12 chain"))?;
        for authority in chain {
            authorities
                .push(authority.x509.clone())
                .map_err(failed("adding to the PKCS#12 chain"))?;
        }
        let friendly_name = self
            .certificate
            .info()
            .subject
            .first("CN")
            .unwrap_or("certificate")
            .to_owned();
        Pkcs12::builder()
            .name(&friendly_name)
            .pkey(&self.key)
            .cert(&self.x509)
            .ca(authorities)
            .build2(password)
            .and_then(|pkcs12| pkcs12.to_der())
            .map_err(failed("building the PKCS#12 file"))
    }

    /// A CRL issued and signed by this CA.
    pub fn crl(&self, spec: &CrlSpec) -> Result<Vec<u8>, PkiError> {
        build_crl(self, &self.key, spec)
    }

    /// Broken case: a CRL that names this CA as issuer but is signed with another key.
    pub fn crl_signed_with(
        &self,
        spec: &CrlSpec,
        key: &PKey<Private>,
    ) -> Result<Vec<u8>, PkiError> {
        build_crl(self, key, spec)
    }
}

/// The government hierarchy in miniature: root, issuing CA, and helpers to issue from it.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// "RootCA chuyên dùng Chính phủ G2".
    pub root: TestCert,
    /// "CA phục vụ các cơ quan Nhà nước G2", issued by the root.
    pub issuing_ca: TestCert,
    now: DateTime<Utc>,
}

impl TestPki {
    /// Common name of the root.
    pub const ROOT_NAME: &'static str = "RootCA chuyên dùng Chính phủ G2";
    /// Common name of the issuing CA.
    pub const ISSUING_CA_NAME: &'static str = "CA phục vụ các cơ quan Nhà nước G2";
    /// Organisation of both CAs.
    pub const CA_ORGANISATION: &'static str = "Ban Cơ yếu Chính phủ";

    /// Generates the root and issuing CA with `key` keys; `now` is the reference time of every
    /// validity period and CRL preset.
    pub fn new(key: KeySpec, now: DateTime<Utc>) -> Result<Self, PkiError> {
        let ca_name = |common_name: &str| {
            NameSpec::new()
                .add("C", "VN")
                .add("O", Self::CA_ORGANISATION)
                .add("CN", common_name)
        };
        let root_spec =
            CertSpec::certificate_authority(ca_name(Self::ROOT_NAME), now, 5, 20).key(key);
        let root = TestCert::self_signed(&root_spec)?;
        let mut issuing_spec =
            CertSpec::certificate_authority(ca_name(Self::ISSUING_CA_NAME), now, 3, 10).key(key);
        issuing_spec.path_len = Some(0);
        let issuing_ca = root.issue(&issuing_spec)?;
        Ok(Self {
            root,
            issuing_ca,
            now,
        })
    }

    /// The reference time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// A personal certificate: `C=VN, CN=<full name>, UID=CCCD:<cccd>`.
    pub fn individual(&self, full_name: &str, cccd: &str) -> CertSpec {
        let subject = NameSpec::new()
            .add("C", "VN")
            .add("CN", full_name)
            .add_identifier(IdentifierKind::Cccd, cccd);
        CertSpec::new(subject, self.now)
    }

    /// An organisation certificate: `C=VN, L=<locality>, O=<parent body>, CN=<unit>`; add
    /// `MST:` / `MNS:` identifiers with [`CertSpec::identifier`].
    pub fn organisation(&self, unit: &str, parent_body: &str, locality: &str) -> CertSpec {
        let subject = NameSpec::new()
            .add("C", "VN")
            .add("L", locality)
            .add("O", parent_body)
            .add("CN", unit);
        CertSpec::new(subject, self.now)
    }

    /// Issues from the issuing CA.
    pub fn issue(&self, spec: &CertSpec) -> Result<TestCert, PkiError> {
        self.issuing_ca.issue(spec)
    }

    /// What a CA does with a PKCS#10 request (DER): checks that the request is signed by the
    /// key it carries and issues a certificate for that key, with the subject and the other
    /// contents of `spec` (the CA, not the requester, decides the name; `spec.key` is unused).
    pub fn issue_from_csr(&self, csr_der: &[u8], spec: &CertSpec) -> Result<Certificate, PkiError> {
        let failed = PkiError::crypto;
        let request = X509Req::from_der(csr_der).map_err(failed("reading the PKCS#10 request"))?;
        let public = request
            .public_key()
            .map_err(failed("reading the key of the PKCS#10 request"))?;
        if !request
            .verify(&public)
            .map_err(failed("checking the PKCS#10 request"))?
        {
            return Err(PkiError::TestPki(
                "the PKCS#10 request is not signed by the key it carries".into(),
            ));
        }
        let der = certificate_der(spec, &public, &self.issuing_ca.key, Some(&self.issuing_ca))?;
        Certificate::from_der(&der)
    }

    /// Broken case: issues from a fresh CA that no trust store knows, with the same names as
    /// the real one except for a "(không tin cậy)" suffix.
    pub fn issue_by_unknown_ca(&self, spec: &CertSpec) -> Result<TestCert, PkiError> {
        let name = NameSpec::new()
            .add("C", "VN")
            .add("O", Self::CA_ORGANISATION)
            .add("CN", &format!("{} (không tin cậy)", Self::ISSUING_CA_NAME));
        let unknown_ca =
            TestCert::self_signed(&CertSpec::certificate_authority(name, self.now, 1, 5))?;
        unknown_ca.issue(spec)
    }

    /// A trust store with the root as anchor and the issuing CA as intermediate, without CRLs.
    pub fn trust_store(&self) -> Result<TrustStore, PkiError> {
        let mut store = TrustStore::new();
        store.add_root(self.root.certificate.clone())?;
        store.add_intermediate(self.issuing_ca.certificate.clone())?;
        Ok(store)
    }

    /// A CRL of the issuing CA.
    pub fn crl(&self, spec: &CrlSpec) -> Result<Vec<u8>, PkiError> {
        self.issuing_ca.crl(spec)
    }

    /// A CRL of the root (it covers the issuing CA).
    pub fn root_crl(&self, spec: &CrlSpec) -> Result<Vec<u8>, PkiError> {
        self.root.crl(spec)
    }
}

fn build_certificate(
    spec: &CertSpec,
    key: PKey<Private>,
    issuer: Option<&TestCert>,
) -> Result<TestCert, PkiError> {
    let signing_key = issuer.map_or(&key, |issuer| &issuer.key);
    let der = certificate_der(spec, &key, signing_key, issuer)?;
    let x509 = X509::from_der(&der).map_err(PkiError::crypto("reading the certificate back"))?;
    Ok(TestCert {
        certificate: Certificate::from_der(&der)?,
        x509,
        key,
    })
}

/// DER of a certificate for `public` as `spec` says, signed with `signing_key` (the issuer's, or
/// the subject's own for a self-signed one).
fn certificate_der<T: HasPublic>(
    spec: &CertSpec,
    public: &PKeyRef<T>,
    signing_key: &PKey<Private>,
    issuer: Option<&TestCert>,
) -> Result<Vec<u8>, PkiError> {
    let failed = PkiError::crypto;
    let mut builder = X509Builder::new().map_err(failed("creating a certificate"))?;
    builder
        .set_version(2)
        .map_err(failed("setting the version"))?;
    builder
        .set_serial_number(random_serial()?.as_ref())
        .map_err(failed("setting the serial"))?;
    let subject =
        X509Name::from_der(&spec.subject.to_der()?).map_err(failed("encoding the subject"))?;
    builder
        .set_subject_name(&subject)
        .map_err(failed("setting the subject"))?;
    let issuer_name = issuer.map_or(subject.as_ref(), |issuer| issuer.x509.subject_name());
    builder
        .set_issuer_name(issuer_name)
        .map_err(failed("setting the issuer"))?;
    builder
        .set_pubkey(public)
        .map_err(failed("setting the key"))?;
    builder
        .set_not_before(asn1_time(spec.not_before)?.as_ref())
        .map_err(failed("setting notBefore"))?;
    builder
        .set_not_after(asn1_time(spec.not_after)?.as_ref())
        .map_err(failed("setting notAfter"))?;
    add_extensions(&mut builder, spec, issuer)?;
    builder
        .sign(signing_key, spec.digest.message_digest())
        .map_err(failed("signing the certificate"))?;
    let mut der = builder
        .build()
        .to_der()
        .map_err(failed("encoding the certificate"))?;
    if spec.rsa_pss {
        der = resign_with_pss(&der, signing_key, spec.digest)?;
    }
    if spec.corrupt_signature {
        // The last byte belongs to the signature value.
        if let Some(last) = der.last_mut() {
            *last ^= 0x01;
        }
    }
    Ok(der)
}

fn add_extensions(
    builder: &mut X509Builder,
    spec: &CertSpec,
    issuer: Option<&TestCert>,
) -> Result<(), PkiError> {
    let failed = PkiError::crypto;
    let mut constraints = BasicConstraints::new();
    if spec.ca {
        constraints.critical().ca();
    }
    if let Some(path_len) = spec.path_len {
        constraints.pathlen(path_len);
    }
    let mut extensions = vec![constraints
        .build()
        .map_err(failed("encoding basicConstraints"))?];
    if !spec.key_usage.is_empty() {
        extensions.push(key_usage(&spec.key_usage).map_err(failed("encoding keyUsage"))?);
    }
    if !spec.extended_key_usage.is_empty() {
        let oids = spec
            .extended_key_usage
            .iter()
            .map(|oid| der::oid(oid))
            .collect::<Result<Vec<_>, _>>()?;
        extensions.push(raw_extension(
            "2.5.29.37",
            spec.extended_key_usage_critical,
            &der::sequence(&oids),
        )?);
    }
    let issuer_x509 = issuer.map(|issuer| issuer.x509.as_ref());
    extensions.push(
        SubjectKeyIdentifier::new()
            .build(&builder.x509v3_context(issuer_x509, None))
            .map_err(failed("encoding subjectKeyIdentifier"))?,
    );
    if issuer.is_some() {
        extensions.push(
            AuthorityKeyIdentifier::new()
                .keyid(true)
                .build(&builder.x509v3_context(issuer_x509, None))
                .map_err(failed("encoding authorityKeyIdentifier"))?,
        );
    }
    if let Some(url) = &spec.crl_url {
        extensions.push(raw_extension(
            "2.5.29.31",
            false,
            &crl_distribution_points(url),
        )?);
    }
    extensions.extend(ocsp::extensions(spec)?);
    if spec.unknown_critical_extension {
        extensions.push(raw_extension(UNKNOWN_EXTENSION_OID, true, &der::null())?);
    }
    for extension in extensions {
        builder
            .append_extension(extension)
            .map_err(failed("adding an extension"))?;
    }
    Ok(())
}

fn key_usage(
    flags: &[KeyUsageFlag],
) -> Result<openssl::x509::X509Extension, openssl::error::ErrorStack> {
    let mut usage = KeyUsage::new();
    usage.critical();
    for flag in flags {
        match flag {
            KeyUsageFlag::DigitalSignature => usage.digital_signature(),
            KeyUsageFlag::NonRepudiation => usage.non_repudiation(),
            KeyUsageFlag::KeyEncipherment => usage.key_encipherment(),
            KeyUsageFlag::DataEncipherment => usage.data_encipherment(),
            KeyUsageFlag::KeyAgreement => usage.key_agreement(),
            KeyUsageFlag::KeyCertSign => usage.key_cert_sign(),
            KeyUsageFlag::CrlSign => usage.crl_sign(),
            KeyUsageFlag::EncipherOnly => usage.encipher_only(),
            KeyUsageFlag::DecipherOnly => usage.decipher_only(),
        };
    }
    usage.build()
}

/// CRLDistributionPoints with one full-name URI:
/// `SEQUENCE { SEQUENCE { [0] { [0] { [6] uri } } } }`.
fn crl_distribution_points(url: &str) -> Vec<u8> {
    let uri = der::tlv(der::context(6, false), url.as_bytes());
    let full_name = der::tlv(der::context(0, true), &uri);
    let point_name = der::tlv(der::context(0, true), &full_name);
    der::sequence(&[der::sequence(&[point_name])])
}

/// 16 random bytes, positive and without leading zero, like real CAs use.
fn random_serial() -> Result<openssl::asn1::Asn1Integer, PkiError> {
    let failed = PkiError::crypto;
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes).map_err(failed("drawing a serial"))?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7f) | 0x40;
    }
    BigNum::from_slice(&bytes)
        .and_then(|serial| serial.to_asn1_integer())
        .map_err(failed("encoding a serial"))
}

/// OpenSSL's `X509_sign` only does PKCS#1 v1.5 for RSA, so a PSS certificate is made by
/// swapping the algorithm identifier in the signed part and signing it again.
fn resign_with_pss(
    der_bytes: &[u8],
    key: &PKey<Private>,
    digest: HashAlg,
) -> Result<Vec<u8>, PkiError> {
    if key.id() != Id::RSA {
        return Err(PkiError::TestPki("RSA-PSS needs an RSA issuer key".into()));
    }
    let malformed = || PkiError::TestPki("unexpected certificate structure".into());
    let outer = der::elements(der_bytes)?;
    let [certificate] = outer.as_slice() else {
        return Err(malformed());
    };
    let parts = der::elements(certificate.content)?;
    let [tbs, _, _] = parts.as_slice() else {
        return Err(malformed());
    };
    let tbs_fields = der::elements(tbs.content)?;
    // With an explicit version ([0]) first, the signature algorithm is the third field.
    let explicit_version = tbs_fields
        .first()
        .is_some_and(|field| field.tag == der::context(0, true));
    let mut fields: Vec<Vec<u8>> = tbs_fields
        .iter()
        .map(|element| element.encoded.to_vec())
        .collect();
    let algorithm = pss_algorithm_identifier(digest)?;
    let slot = fields
        .get_mut(if explicit_version { 2 } else { 1 })
        .ok_or_else(malformed)?;
    *slot = algorithm.clone();
    let tbs = der::sequence(&fields);
    let signature = sign_pss(key, digest, &tbs)?;
    Ok(der::sequence(&[
        tbs,
        algorithm,
        der::bit_string(&signature),
    ]))
}

fn pss_algorithm_identifier(digest: HashAlg) -> Result<Vec<u8>, PkiError> {
    let (hash_oid, salt_length) = match digest {
        HashAlg::Sha256 => ("2.16.840.1.101.3.4.2.1", 32),
        HashAlg::Sha384 => ("2.16.840.1.101.3.4.2.2", 48),
        HashAlg::Sha512 => ("2.16.840.1.101.3.4.2.3", 64),
    };
    let hash = der::sequence(&[der::oid(hash_oid)?, der::null()]);
    let mask = der::sequence(&[der::oid("1.2.840.113549.1.1.8")?, hash.clone()]);
    let params = der::sequence(&[
        der::tlv(der::context(0, true), &hash),
        der::tlv(der::context(1, true), &mask),
        der::tlv(
            der::context(2, true),
            &der::tlv(der::TAG_INTEGER, &[salt_length]),
        ),
    ]);
    Ok(der::sequence(&[der::oid("1.2.840.113549.1.1.10")?, params]))
}

fn sign_pss(key: &PKey<Private>, digest: HashAlg, data: &[u8]) -> Result<Vec<u8>, PkiError> {
    let failed = PkiError::crypto("signing with RSA-PSS");
    let message_digest: MessageDigest = digest.message_digest();
    let mut signer = Signer::new(message_digest, key).map_err(failed)?;
    signer
        .set_rsa_padding(Padding::PKCS1_PSS)
        .and_then(|()| signer.set_rsa_mgf1_md(message_digest))
        .and_then(|()| signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH))
        .and_then(|()| signer.sign_oneshot_to_vec(data))
        .map_err(PkiError::crypto("signing with RSA-PSS"))
}

/// A one-page PDF written by hand, with a classic cross-reference table, showing `text` (ASCII,
/// Times-Roman): a document to sign in tests and demos.
pub fn sample_pdf(text: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        {
            let text = format!("BT /F1 14 Tf 72 770 Td ({text}) Tj ET");
            format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len())
        },
        "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
