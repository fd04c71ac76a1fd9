//! Errors of the crate. Validation problems are not errors: they are reported in a
//! [`Verdict`](crate::Verdict). These errors are for inputs that cannot be used at all.

use thiserror::Error;

/// Why an input (certificate, CRL, key) could not be used.
#[derive(Debug, Error)]
pub enum PkiError {
    /// The input holds no certificate in any supported encoding.
    #[error(
        "no certificate found: expected PEM (-----BEGIN CERTIFICATE-----), DER, \
         or a PKCS#7 bundle (.p7b, PEM or DER)"
    )]
    NoCertificate,

    /// A certificate was found but is not valid X.509.
    #[error("certificate #{index} in the input is not a valid X.509 certificate: {reason}")]
    InvalidCertificate {
        /// Position of the certificate in the input, starting at 1.
        index: usize,
        /// What the parser rejected.
        reason: String,
    },

    /// A PEM block could not be decoded.
    #[error("malformed PEM input: {0}")]
    InvalidPem(String),

    /// A PKCS#7 bundle could not be decoded.
    #[error("malformed PKCS#7 bundle: {0}")]
    InvalidPkcs7(String),

    /// A CRL could not be parsed.
    #[error("the CRL is not a valid X.509 CRL (DER or PEM \"X509 CRL\"): {0}")]
    InvalidCrl(String),

    /// The CRL uses a feature this crate does not implement; using it could hide revocations.
    #[error("unsupported CRL from {issuer}: {reason}")]
    UnsupportedCrl {
        /// The CRL issuer, as an RFC 4514 string.
        issuer: String,
        /// The unsupported feature.
        reason: String,
    },

    /// No certificate in the trust store has the CRL issuer's name.
    #[error(
        "the CRL issuer {issuer} is not in the trust store: add its CA certificate \
         (root or intermediate) before its CRL"
    )]
    CrlIssuerUnknown {
        /// The CRL issuer, as an RFC 4514 string.
        issuer: String,
    },

    /// The CRL signature does not verify with the key of any CA of that name.
    #[error("the CRL claims to come from {issuer} but is not signed by it: {reason}")]
    CrlNotSignedByIssuer {
        /// The CRL issuer, as an RFC 4514 string.
        issuer: String,
        /// What failed for each candidate issuer certificate.
        reason: String,
    },

    /// A certificate given as a root or intermediate is not a CA certificate.
    #[error(
        "{subject} is not a CA certificate (basicConstraints cA is not set): only CA \
         certificates can be added to a trust store"
    )]
    NotCa {
        /// The certificate subject, as an RFC 4514 string.
        subject: String,
    },

    /// A self-signed certificate was given as an intermediate.
    #[error("{subject} is self-signed: it can only be added as a root, never as an intermediate")]
    SelfSignedIntermediate {
        /// The certificate subject, as an RFC 4514 string.
        subject: String,
    },

    /// A root with the name of a root already in the store but another key.
    #[error(
        "a trusted root named {subject} is already in the store with another key \
         (held: fingerprint {held_fingerprint}; new: serial {serial}{}, fingerprint \
         {new_fingerprint}): refused, since two keys answering to one trusted name would let a \
         look-alike root in; remove the held root first if this is a planned re-key",
        if *same_serial { ", the same serial as the held root" } else { "" }
    )]
    AnchorCollision {
        /// The shared subject, as an RFC 4514 string.
        subject: String,
        /// Serial number of the new certificate, hex.
        serial: String,
        /// Whether the serial numbers are the same too.
        same_serial: bool,
        /// SHA-256 of the held root, hex.
        held_fingerprint: String,
        /// SHA-256 of the refused certificate, hex.
        new_fingerprint: String,
    },

    /// The public key of a certificate cannot be loaded.
    #[error("the public key of {subject} cannot be used: {reason}")]
    UnsupportedKey {
        /// The certificate subject, as an RFC 4514 string.
        subject: String,
        /// Why the key was refused.
        reason: String,
    },

    /// The HTTP client for revocation data downloads could not be created.
    #[error("cannot create the HTTP client for CRL and OCSP downloads: {0}")]
    HttpClient(String),

    /// An OCSP response cannot be used (malformed, unsuccessful, unauthorised signer, stale,
    /// for another certificate, or without the nonce that was sent).
    #[error("OCSP response refused: {0}")]
    InvalidOcsp(String),

    /// No chain from the certificate to a trusted root could be built, so its validation data
    /// cannot be gathered.
    #[error("no trusted chain for {subject}: {reason}; add the missing CA certificates to the trust store")]
    NoTrustedPath {
        /// The certificate subject, as an RFC 4514 string.
        subject: String,
        /// Why the chain ends.
        reason: String,
    },

    /// No current revocation data (OCSP response or CRL) could be had for a certificate.
    #[error(
        "no current revocation data for {subject}: {failures}; check the network access to \
         these hosts, or import a current CRL of its issuer into the trust store"
    )]
    RevocationUnavailable {
        /// The certificate subject, as an RFC 4514 string.
        subject: String,
        /// Every source tried and why it failed.
        failures: String,
    },

    /// An OpenSSL operation failed (key generation, signing, encoding).
    #[error("OpenSSL failed while {context}: {source}")]
    Crypto {
        /// What was being done.
        context: &'static str,
        /// The OpenSSL error queue.
        source: openssl::error::ErrorStack,
    },

    /// DER input is malformed (or uses BER forms such as indefinite lengths).
    #[error("malformed DER: {0}")]
    InvalidDer(String),

    /// The input is not a CMS SignedData this crate can read.
    #[error("not a usable CMS SignedData: {0}")]
    InvalidCms(String),

    /// The input cannot be read as a PDF or has no room for a signature.
    #[error("unusable PDF: {0}")]
    InvalidPdf(String),

    /// The verification's budget ran out (time limit, or the caller went away) before any
    /// signature of the document was found; the reason says which.
    #[error("{0}")]
    VerificationStopped(String),

    /// The document holds more signature fields with a value than a verification accepts; none
    /// was verified.
    #[error(
        "the PDF has more than {limit} signatures (counting stopped at {found}); at most {limit} \
         are verified"
    )]
    TooManySignatures {
        /// How many were found before counting stopped.
        found: usize,
        /// The most a verification accepts.
        limit: usize,
    },

    /// The `/Contents` hole reserved for a signature cannot hold it once extended.
    #[error(
        "the signature needs {needed} bytes but its /Contents holds only {reserved}: sign \
         again with the level set on the request, which reserves room for the timestamp"
    )]
    ContentsTooSmall {
        /// Bytes of the extended CMS.
        needed: usize,
        /// Bytes the hole holds.
        reserved: usize,
    },

    /// A signature cannot be raised to the level asked for.
    #[error("the signature cannot be extended: {0}")]
    CannotExtend(String),

    /// A signature handed in for assembly was refused: it does not verify over the prepared
    /// data with the certificate's key, or the certificate is not the one it was prepared for.
    #[error("signature refused: {0}")]
    SignatureRefused(String),

    /// The device holding the key (a PKCS#11 token or HSM) cannot sign now: absent, locked,
    /// its PIN refused, or not answering.
    #[error("the signing device is unavailable: {0}")]
    SigningDevice(String),

    /// The input is not an RFC 3161 timestamp token.
    #[error("not an RFC 3161 timestamp token: {0}")]
    InvalidTimestamp(String),

    /// A certificate was given to sign timestamps that RFC 3161 does not allow to.
    #[error("{subject} cannot sign timestamps: {reason}")]
    TsaCertificate {
        /// The certificate subject, as an RFC 4514 string.
        subject: String,
        /// What its extensions lack.
        reason: String,
    },

    /// The timestamp configuration cannot be used.
    #[error("invalid timestamp configuration: {0}")]
    TsaConfig(String),

    /// No configured timestamp authority answered with a token that passed every check.
    #[error(
        "no timestamp authority gave a usable timestamp: {}",
        crate::tsp::TsaFailure::describe_all(failures)
    )]
    TimestampUnavailable {
        /// Each authority asked, in order, and why its answer was not used.
        failures: Vec<crate::tsp::TsaFailure>,
    },

    /// A test-PKI request cannot be honoured.
    #[error("invalid test PKI request: {0}")]
    TestPki(String),
}

impl PkiError {
    /// Adapter for `map_err` on OpenSSL calls.
    pub(crate) fn crypto(context: &'static str) -> impl FnOnce(openssl::error::ErrorStack) -> Self {
        move |source| Self::Crypto { context, source }
    }
}

/// An error with its causes, `outer: inner: …`: the HTTP client's own message ("error sending
/// request") says nothing of the refused connection or the timeout underneath.
pub(crate) fn chain_of_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
