//! The result of verifying a signature, modelled on ETSI EN 319 102-1 (indication,
//! sub-indication) so that it maps onto the validation reports other tools produce.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::long_term::ProofOfExistence;
use crate::names::Identifier;
use crate::pades::SignatureLevel;
use crate::parse::Certificate;
use crate::tsp::TimestampCheck;
use crate::verdict::{Outcome, Verdict};

/// Main indication (ETSI EN 319 102-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Indication {
    /// Every check passed.
    TotalPassed,
    /// The signature is invalid whatever further evidence could be found.
    TotalFailed,
    /// The checks do not allow to conclude; see the sub-indication.
    Indeterminate,
}

/// Sub-indication (ETSI EN 319 102-1 §5.1.3, Table 5 and 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubIndication {
    /// TOTAL_FAILED: the signature is not in the expected format (content type, missing
    /// signing-certificate attribute, not a detached signature of data, unsupported digest).
    FormatFailure,
    /// TOTAL_FAILED: the content does not match the signed message digest.
    HashFailure,
    /// TOTAL_FAILED: the signature value does not verify with the signer's key.
    SigCryptoFailure,
    /// TOTAL_FAILED: the certificate was revoked before the signing time the signature claims.
    Revoked,
    /// TOTAL_FAILED: the certificate had expired at the signing time the signature claims.
    Expired,
    /// TOTAL_FAILED: the certificate was not yet valid at the signing time the signature claims.
    NotYetValid,
    /// INDETERMINATE: the signer's certificate is not in the signature nor supplied, or the
    /// signing-certificate attribute designates another certificate.
    NoSigningCertificateFound,
    /// INDETERMINATE: no chain to a trusted root.
    NoCertificateChainFound,
    /// INDETERMINATE: a certificate of the chain breaks a constraint (badly signed, not a CA,
    /// path length, key usage, unknown critical extension).
    ChainConstraintsFailure,
    /// INDETERMINATE: the certificate is revoked now, after the claimed signing time, and
    /// nothing proves the signature existed before the revocation.
    RevokedNoPoe,
    /// INDETERMINATE: the certificate has expired since the claimed signing time, and nothing
    /// (no timestamp) proves the signature existed while it was valid.
    OutOfBoundsNoPoe,
    /// INDETERMINATE: the algorithm is refused (e.g. SHA-1) or the key cannot be used.
    CryptoConstraintsFailure,
    /// INDETERMINATE: revocation status unknown (no usable CRL); retry when one is available.
    TryLater,
    /// TOTAL_FAILED: the document was changed after the signature by something other than
    /// further signatures.
    SigConstraintsFailure,
    /// INDETERMINATE: not an ETSI sub-indication. The verification was stopped when its time
    /// budget ran out or the caller went away, so nothing was concluded.
    BudgetExceeded,
}

/// Who signed, from the signer certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignerIdentity {
    /// The subject's common name (the subject text when it has none).
    pub name: String,
    /// Subject, RFC 4514 text.
    pub subject: String,
    /// `CCCD`, `MST`, … identifiers of the subject.
    pub identifiers: Vec<Identifier>,
    /// Issuer, RFC 4514 text.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the certificate DER, hex.
    pub fingerprint_sha256: String,
}

impl SignerIdentity {
    pub(crate) fn new(certificate: &Certificate) -> Self {
        let info = certificate.info();
        Self {
            name: info
                .subject
                .first("CN")
                .unwrap_or(&info.subject.text)
                .to_owned(),
            subject: info.subject.text.clone(),
            identifiers: info.identifiers.clone(),
            issuer: info.issuer.text.clone(),
            serial: info.serial.clone(),
            fingerprint_sha256: info.fingerprint_sha256.clone(),
        }
    }
}

/// When the certificate was validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValidationMoment {
    /// At the signing time the signature claims.
    ClaimedSigningTime,
    /// At the validation time (now).
    ValidationTime,
    /// At the earliest time a timestamp proves the signature existed.
    ProofOfExistence,
}

/// The signer certificate's verdict at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateValidation {
    /// Which moment.
    pub moment: ValidationMoment,
    /// The verdict of the trust store.
    pub verdict: Verdict,
}

/// What a signature check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureCheckKind {
    /// A PDF signature's byte range covers its whole revision except the signature itself.
    ByteRange,
    /// A detached signature of `id-data` with the content-type attribute saying so.
    Format,
    /// The signer certificate is in the signature or was supplied.
    SignerCertificate,
    /// The message-digest attribute equals the digest of the content.
    MessageDigest,
    /// The signature value verifies over the signed attributes.
    SignatureValue,
    /// The signing-certificate-v2 attribute designates the signer certificate.
    SigningCertificateAttribute,
    /// The signing-time attribute (claimed, not proven).
    SigningTime,
    /// The signer certificate's chain, validity and revocation.
    CertificateValidation,
    /// A timestamp token's message imprint equals the digest of the timestamped data.
    MessageImprint,
    /// A signature timestamp (RFC 3161 token over the signature value) and its TSA.
    SignatureTimestamp,
    /// What was appended to a signed PDF after the signature: nothing, or only further
    /// signatures (passed), or other content (failed).
    ChangesAfterSigning,
}

/// One check made on the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignatureCheck {
    /// What was checked.
    pub check: SignatureCheckKind,
    /// How it ended.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
}

/// The result of verifying a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignatureReport {
    /// Main indication.
    pub indication: Indication,
    /// Why, unless `TOTAL_PASSED`.
    pub sub_indication: Option<SubIndication>,
    /// One sentence explaining the indication.
    pub summary: String,
    /// The signer, when its certificate was found.
    pub signer: Option<SignerIdentity>,
    /// The signing time the signature claims (signing-time attribute, or the PDF's `/M`); it is
    /// the signer's statement, not a proof such as a timestamp.
    pub claimed_signing_time: Option<DateTime<Utc>>,
    /// Signature algorithm, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// Verdicts on the signer certificate at the claimed signing time and now.
    pub certificate_validations: Vec<CertificateValidation>,
    /// Every check made, in order.
    pub checks: Vec<SignatureCheck>,
    /// When the verification was made.
    pub validated_at: DateTime<Utc>,
    /// The signature timestamps found on the signature and how each was judged.
    #[serde(default)]
    pub timestamps: Vec<TimestampCheck>,
    /// The earliest time a valid timestamp proves the signature existed at.
    #[serde(default)]
    pub proof_of_existence: Option<ProofOfExistence>,
    /// The PAdES baseline level of the signature's form (B-B, B-T, B-LT, B-LTA; ETSI EN 319
    /// 142-1): B-T with a sound signature timestamp, B-LT with revocation data in the document,
    /// B-LTA with a sound document timestamp after it. A form, not a verdict: it does not
    /// change with the validation time nor with the indication. `None` when the signature could
    /// not be read far enough to tell.
    #[serde(default)]
    pub level: Option<SignatureLevel>,
}

impl SignatureReport {
    /// Whether the indication is `TOTAL_PASSED`.
    pub fn is_valid(&self) -> bool {
        self.indication == Indication::TotalPassed
    }
}
