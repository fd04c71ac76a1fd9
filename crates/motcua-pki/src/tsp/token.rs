//! Verifying a `TimeStampToken` (RFC 3161 §2.4.2): the CMS signature of its `TSTInfo` by a
//! timestamping authority, the imprint of the timestamped data, and the TSA certificate at the
//! time the token states.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TstInfo;
use super::{imprint_hash, tst_info, TST_INFO_CONTENT_TYPE};
use crate::budget::Budget;
use crate::cms::{
    parse_signed_data, signer_certificate, verify_parsed, CertificateValidation, Encapsulation,
    Indication, SignatureCheck, SignatureCheckKind, SignerIdentity, SubIndication, VerifyContext,
    VerifyProfile,
};
use crate::error::PkiError;
use crate::store::TrustStore;
use crate::verdict::{Outcome, Purpose, RevocationPolicy};

/// What a timestamp token is checked as: the TSTInfo signed by a TSA, which may bind its
/// certificate with the SHA-1 signing-certificate attribute (RFC 3161 §2.4.1), the genTime
/// standing for the time of signing.
const TOKEN_PROFILE: VerifyProfile = VerifyProfile {
    content_type: TST_INFO_CONTENT_TYPE,
    content_type_name: "id-ct-TSTInfo",
    purpose: Purpose::Timestamping,
    signing_certificate_v1: true,
    outside_time_first: true,
};

/// The accuracy of a genTime (RFC 3161 §2.4.2): the true time lies within genTime ± accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimestampAccuracy {
    /// Whole seconds.
    pub seconds: u64,
    /// Milliseconds (0–999).
    pub millis: u16,
    /// Microseconds (0–999).
    pub micros: u16,
}

/// The result of checking a timestamp token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimestampCheck {
    /// Main indication (ETSI EN 319 102-1): TOTAL_PASSED only when the token is intact, its
    /// imprint matches and the TSA certificate is trusted for timestamping.
    pub indication: Indication,
    /// Why it did not pass.
    pub sub_indication: Option<SubIndication>,
    /// One sentence explaining the indication.
    pub summary: String,
    /// The time the TSA states (`genTime`).
    pub gen_time: DateTime<Utc>,
    /// How precise `gen_time` is, when the TSA says.
    pub accuracy: Option<TimestampAccuracy>,
    /// The token's serial number, hex.
    pub serial: String,
    /// The TSA policy the token was issued under, dotted OID.
    pub policy: String,
    /// The nonce echoed from the request, hex.
    pub nonce: Option<String>,
    /// The TSA, from its certificate; `None` when the certificate is neither in the token nor
    /// found.
    pub tsa: Option<SignerIdentity>,
    /// Hash algorithm of the imprint (`SHA256`, `SHA384`, `SHA512`), or its OID when refused.
    pub hash_algorithm: String,
    /// Whether the imprint equals the digest of the timestamped data.
    pub imprint_matches: bool,
    /// Signature algorithm of the token.
    pub signature_algorithm: String,
    /// The TSA certificate's verdicts: at genTime (dates) and at the validation time.
    pub certificate_validations: Vec<CertificateValidation>,
    /// Every check made, in order.
    pub checks: Vec<SignatureCheck>,
    /// The validation time.
    pub validated_at: DateTime<Utc>,
    /// Whether the document's own validation data (its `/DSS`) validates the TSA certificate,
    /// revocation included, without the trust store's CRLs or the network.
    #[serde(default)]
    pub embedded_validation_data: bool,
}

impl TimestampCheck {
    /// Whether the indication is TOTAL_PASSED.
    pub fn is_valid(&self) -> bool {
        self.indication == Indication::TotalPassed
    }
}

/// What the token's imprint is compared with.
#[derive(Clone, Copy)]
enum Timestamped<'a> {
    /// The digest itself, made with the hash the token names.
    Digest(&'a [u8]),
    /// The data, hashed here with the hash the token names.
    Data(&'a [&'a [u8]]),
}

/// Checks `token_der` (a DER `TimeStampToken`, i.e. ContentInfo) as a timestamp of the data
/// whose digest is `imprint`, made with the hash algorithm the token names (SHA-256, SHA-384
/// or SHA-512). The TSA certificate is validated for timestamping with `store`: its dates at
/// the genTime, its revocation at `at` under `policy`.
///
/// Errors are for input that is not a timestamp token at all; every problem with a readable
/// token is reported in the [`TimestampCheck`].
pub fn check_token(
    token_der: &[u8],
    imprint: &[u8],
    store: &TrustStore,
    at: DateTime<Utc>,
    policy: RevocationPolicy,
    budget: &Budget,
) -> Result<TimestampCheck, PkiError> {
    let context = VerifyContext::new(store, &[], at, policy, budget);
    check(token_der, Timestamped::Digest(imprint), &context)
}

/// [`check_token`] over the timestamped data itself (its parts in order, such as a signature
/// value), hashed with the algorithm the token names.
pub fn check_token_over(
    token_der: &[u8],
    data: &[&[u8]],
    store: &TrustStore,
    at: DateTime<Utc>,
    policy: RevocationPolicy,
    budget: &Budget,
) -> Result<TimestampCheck, PkiError> {
    let context = VerifyContext::new(store, &[], at, policy, budget);
    check(token_der, Timestamped::Data(data), &context)
}

/// [`check_token_over`] within a signature's verification: the TSA certificate is validated at
/// `base`'s time with the document's own validation data as well as the store.
pub(crate) fn check_token_within(
    token_der: &[u8],
    data: &[&[u8]],
    base: &VerifyContext<'_>,
) -> Result<TimestampCheck, PkiError> {
    check(token_der, Timestamped::Data(data), base)
}

fn check(
    token_der: &[u8],
    timestamped: Timestamped<'_>,
    base: &VerifyContext<'_>,
) -> Result<TimestampCheck, PkiError> {
    let at = base.validation_time;
    let not_token = |reason: String| PkiError::InvalidTimestamp(reason);
    let parsed = parse_signed_data(token_der).map_err(|error| not_token(error.to_string()))?;
    if parsed.content_type != TST_INFO_CONTENT_TYPE {
        return Err(not_token(format!(
            "the SignedData holds {}, not a TSTInfo",
            parsed.content_type
        )));
    }
    let content = parsed
        .content
        .ok_or_else(|| not_token("the SignedData holds no TSTInfo".into()))?;
    let (info, gen_time) = tst_info::read(content)?;
    let context = VerifyContext {
        claimed_time_outside: Some(gen_time),
        archival_proof: None,
        ..*base
    };
    let report = verify_parsed(
        &parsed,
        &[content],
        Encapsulation::Attached,
        &TOKEN_PROFILE,
        &context,
    )?;
    let embedded_validation_data = signer_certificate(&parsed, base.supplied).is_some_and(|tsa| {
        let extra: Vec<_> = parsed
            .certificates
            .iter()
            .chain(base.supplied)
            .cloned()
            .collect();
        base.validates_offline(tsa, &extra, at, Purpose::Timestamping)
    });
    let imprint = compare_imprint(&info, &timestamped);
    let mut checks = report.checks;
    checks.push(SignatureCheck {
        check: SignatureCheckKind::MessageImprint,
        outcome: if imprint.matches {
            Outcome::Passed
        } else {
            Outcome::Failed
        },
        detail: imprint.detail.clone(),
    });
    let (indication, sub_indication, summary) = if report.indication == Indication::TotalFailed {
        (report.indication, report.sub_indication, report.summary)
    } else if let Some((indication, sub_indication)) = imprint.failure {
        (indication, Some(sub_indication), imprint.detail)
    } else if report.indication == Indication::TotalPassed {
        let tsa = report.signer.as_ref().map_or("", |tsa| tsa.name.as_str());
        (
            Indication::TotalPassed,
            None,
            format!("timestamp of {gen_time} by {tsa}: intact, over this data, and its TSA certificate is trusted"),
        )
    } else {
        (report.indication, report.sub_indication, report.summary)
    };
    Ok(TimestampCheck {
        indication,
        sub_indication,
        summary,
        gen_time,
        accuracy: info.accuracy.as_ref().map(|accuracy| TimestampAccuracy {
            seconds: accuracy.seconds.unwrap_or(0),
            millis: accuracy
                .millis
                .and_then(|ms| u16::try_from(ms).ok())
                .unwrap_or(0),
            micros: accuracy
                .micros
                .and_then(|us| u16::try_from(us).ok())
                .unwrap_or(0),
        }),
        serial: hex::encode(info.serial_number.as_bytes()),
        policy: info.policy.clone(),
        nonce: info
            .nonce
            .as_ref()
            .map(|nonce| hex::encode(nonce.as_bytes())),
        tsa: report.signer,
        hash_algorithm: imprint.hash_name,
        imprint_matches: imprint.matches,
        signature_algorithm: report.signature_algorithm,
        certificate_validations: report.certificate_validations,
        checks,
        validated_at: at,
        embedded_validation_data,
    })
}

/// The comparison of the token's imprint with the timestamped data.
struct ImprintComparison {
    matches: bool,
    hash_name: String,
    detail: String,
    failure: Option<(Indication, SubIndication)>,
}

fn compare_imprint(info: &TstInfo, timestamped: &Timestamped<'_>) -> ImprintComparison {
    let oid = info.message_imprint.hash_algorithm.oid.to_string();
    let claimed = info.message_imprint.hashed_message.as_bytes();
    let Some((hash, length)) = imprint_hash(&oid) else {
        return ImprintComparison {
            matches: false,
            detail: format!(
                "the imprint's hash algorithm {oid} is not accepted (SHA-256, SHA-384 or SHA-512)"
            ),
            hash_name: oid,
            failure: Some((
                Indication::Indeterminate,
                SubIndication::CryptoConstraintsFailure,
            )),
        };
    };
    let actual = match timestamped {
        Timestamped::Digest(digest) => Some(digest.to_vec()),
        Timestamped::Data(parts) => openssl::hash::Hasher::new(hash.message_digest())
            .and_then(|mut hasher| {
                for part in *parts {
                    hasher.update(part)?;
                }
                hasher.finish()
            })
            .ok()
            .map(|digest| digest.to_vec()),
    };
    let matches = claimed.len() == length && actual.as_deref() == Some(claimed);
    let detail = if matches {
        format!("the {} imprint matches the timestamped data", hash.name())
    } else {
        format!(
            "the {} imprint does not match the timestamped data: the token is for other data",
            hash.name()
        )
    };
    ImprintComparison {
        matches,
        hash_name: hash.name().to_owned(),
        detail,
        failure: (!matches).then_some((Indication::TotalFailed, SubIndication::HashFailure)),
    }
}
