//! Detached CMS signatures (RFC 5652 SignedData) in the CAdES baseline B-B profile
//! (ETSI EN 319 122-1): SHA-256, signed attributes content-type, message-digest,
//! signing-certificate-v2 (RFC 5035) and, for plain CMS, signing-time.
//!
//! Signing works in two steps so that the private key can stay with the signer (USB token,
//! remote signing service): [`prepare`] returns the bytes to sign, the signer signs them with
//! SHA-256 and RSA (PKCS#1 v1.5 or PSS) or ECDSA, and [`assemble`] checks the signature and builds the
//! SignedData. [`sign_detached`] does both with any [`Signer`], such as a [`KeySigner`] holding
//! an in-process key.
//!
//! [`verify_detached`] checks a signature against its content and the [`TrustStore`] and returns
//! a [`SignatureReport`] whose indications follow ETSI EN 319 102-1.
//!
//! ```
//! use motcua_pki::cms::{sign_detached, verify_detached, Indication, KeySigner};
//! use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
//! use motcua_pki::RevocationPolicy;
//!
//! # fn demo() -> Result<(), motcua_pki::PkiError> {
//! let now = chrono::Utc::now();
//! let pki = TestPki::new(KeySpec::EcP256, now)?;
//! let official = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234").key(KeySpec::EcP256))?;
//! let signer = KeySigner::new(official.private_key().clone(), official.certificate().clone())?;
//! let content = "Báo cáo số 05/BC-UBND".as_bytes();
//! let cms = sign_detached(content, &signer, &[pki.issuing_ca.certificate().clone()], now, true)?;
//!
//! let mut store = pki.trust_store()?;
//! store.add_crl(&pki.root_crl(&CrlSpec::current(now))?)?;
//! store.add_crl(&pki.crl(&CrlSpec::current(now))?)?;
//! let report = verify_detached(&cms, content, &store, &[], now, RevocationPolicy::Require)?;
//! assert_eq!(report.indication, Indication::TotalPassed);
//! # Ok(())
//! # }
//! ```
//!
//! [`TrustStore`]: crate::TrustStore

mod attributes;
mod context;
mod long_term;
mod parse;
mod report;
mod sign;
mod verify;

pub(crate) use attributes::signing_certificate_v2;
pub(crate) use long_term::token_is_sound;
pub use long_term::ProofOfExistence;
pub(crate) use parse::signed_data as parse_signed_data;
pub use report::{
    CertificateValidation, Indication, SignatureCheck, SignatureCheckKind, SignatureReport,
    SignerIdentity, SubIndication, ValidationMoment,
};
pub use sign::{
    assemble, prepare, prepare_with_padding, sign_detached, KeySigner, Prepared, RsaPadding, Signer,
};
pub(crate) use sign::{assemble_from, signature_scheme};
pub(crate) use verify::{
    signer_certificate, verify as verify_with_context, verify_parsed, Context as VerifyContext,
    Encapsulation, Profile as VerifyProfile,
};
pub use verify::{verify_cms, verify_detached, CmsForm, CmsVerification};

/// A CMS signature as DER, from DER or from PEM text (`PKCS7` or `CMS` block), as `.p7s` files
/// come.
pub fn decode_signature(input: &[u8]) -> Result<Vec<u8>, crate::PkiError> {
    if !input.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(input.to_vec());
    }
    x509_parser::pem::Pem::iter_from_buffer(input)
        .filter_map(Result::ok)
        .find(|block| ["PKCS7", "CMS"].contains(&block.label.as_str()))
        .map(|block| block.contents)
        .ok_or_else(|| crate::PkiError::InvalidPem("no PKCS7 or CMS block".into()))
}

/// SHA-256 of `content`: the digest [`prepare`] expects.
pub fn sha256(content: &[u8]) -> [u8; 32] {
    openssl::sha::sha256(content)
}

/// Object identifiers used by the module, dotted.
pub(crate) mod oid {
    pub(crate) const DATA: &str = "1.2.840.113549.1.7.1";
    pub(crate) const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
    pub(crate) const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
    pub(crate) const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
    pub(crate) const SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
    pub(crate) const SIGNING_CERTIFICATE: &str = "1.2.840.113549.1.9.16.2.12";
    pub(crate) const SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";
    pub(crate) const SHA256: &str = "2.16.840.1.101.3.4.2.1";
    pub(crate) const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
    pub(crate) const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
    pub(crate) const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
    pub(crate) const MGF1: &str = "1.2.840.113549.1.1.8";
    pub(crate) const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
}
