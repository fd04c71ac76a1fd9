//! What makes a signature last: its signature timestamps (ETSI EN 319 122-1 §5.3), the proof
//! of existence they give, past signature validation (ETSI EN 319 102-1 §5.6.2.4) and the
//! baseline level reached.
//!
//! When a trusted timestamp proves that a signature existed at some time, its certificate is
//! judged at that time with revocation data that covers it, so that a certificate that has
//! since expired, or was revoked after the proof, no longer condemns a signature made while it
//! was good.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse::SignerInfo;
use super::report::{Indication, SignatureCheckKind, SubIndication};
use super::verify::{Context, Findings};
use crate::pades::SignatureLevel;
use crate::tsp::{check_token_within, TimestampCheck};
use crate::verdict::{Outcome, Verdict, VerdictStatus};

/// id-aa-signatureTimeStampToken (RFC 3161 Appendix A).
const SIGNATURE_TIMESTAMP: &str = "1.2.840.113549.1.9.16.2.14";
/// Most signature timestamps checked on one signature.
const MAX_SIGNATURE_TIMESTAMPS: usize = 4;

/// Checks the signature timestamps of `signer`: each must be over its signature value. They
/// are validated at the time a later document timestamp proves they existed, else now.
pub(super) fn signature_timestamps(
    signer: &SignerInfo<'_>,
    context: &Context<'_>,
    findings: &mut Findings,
) -> Vec<TimestampCheck> {
    let kind = SignatureCheckKind::SignatureTimestamp;
    let tokens: Vec<_> = signer
        .unsigned_attributes
        .iter()
        .filter(|attribute| attribute.oid == SIGNATURE_TIMESTAMP)
        .flat_map(|attribute| attribute.values.iter())
        .collect();
    if tokens.len() > MAX_SIGNATURE_TIMESTAMPS {
        findings.push(
            kind,
            Outcome::Failed,
            format!(
                "{} signature timestamps; only the first {MAX_SIGNATURE_TIMESTAMPS} are checked",
                tokens.len()
            ),
        );
    }
    let at = context
        .archival_proof
        .map_or(context.validation_time, |proof| proof.time);
    let token_context = context.at(at);
    let mut checks = Vec::new();
    for token in tokens.into_iter().take(MAX_SIGNATURE_TIMESTAMPS) {
        match check_token_within(token.encoded, &[signer.signature], &token_context) {
            Ok(check) => {
                let outcome = if check.is_valid() {
                    Outcome::Passed
                } else {
                    Outcome::Failed
                };
                findings.push(
                    kind,
                    outcome,
                    format!("signature timestamp: {}", check.summary),
                );
                checks.push(check);
            }
            Err(error) => findings.push(
                kind,
                Outcome::Failed,
                format!("a signature timestamp cannot be read: {error}"),
            ),
        }
    }
    checks
}

/// The earliest proven time: the first valid signature timestamp, or the later document
/// timestamp that covers the signature, whichever is earlier.
pub(super) fn proof_of_existence(
    timestamps: &[TimestampCheck],
    archival: Option<&ProofOfExistence>,
) -> Option<ProofOfExistence> {
    let from_timestamps = timestamps
        .iter()
        .filter(|check| check.is_valid())
        .min_by_key(|check| check.gen_time)
        .map(|check| ProofOfExistence {
            time: check.gen_time,
            source: format!(
                "the signature timestamp of {}",
                check
                    .tsa
                    .as_ref()
                    .map_or("an unnamed TSA", |tsa| tsa.name.as_str())
            ),
        });
    match (from_timestamps, archival) {
        (Some(own), Some(archival)) if archival.time < own.time => Some(archival.clone()),
        (Some(own), _) => Some(own),
        (None, archival) => archival.cloned(),
    }
}

/// The certificate's judgement: `problem` as found at validation time and at the claimed
/// time, revisited at the proven time when there is one.
pub(super) fn decide(
    problem: Option<Problem>,
    now: &Verdict,
    proven: Option<(&Verdict, &ProofOfExistence)>,
    claimed: Option<DateTime<Utc>>,
) -> Result<String, Problem> {
    match (problem, proven) {
        (None, Some((_, proof))) => Ok(format!(
            "{}; {} proves the signature existed at {}",
            now.summary, proof.source, proof.time
        )),
        (None, None) => Ok(now.summary.clone()),
        (Some(problem), Some((at_proof, proof))) if problem.0 == Indication::Indeterminate => {
            judge_at_proof(now, at_proof, proof, claimed)
        }
        (Some(problem), _) => Err(problem),
    }
}

/// Whether a timestamp token is sound whatever the validation time: valid, or in doubt only
/// because of the time-dependent status of its TSA certificate (expired since, revoked after
/// the genTime, no revocation data covering it). A token over other data, badly signed, or
/// signed by a certificate that is not a timestamping authority's (no chain to the trust
/// store, extendedKeyUsage not critical: RFC 3161 §2.3) is not.
pub(crate) fn token_is_sound(check: &TimestampCheck) -> bool {
    match check.indication {
        Indication::TotalPassed => true,
        Indication::TotalFailed => false,
        Indication::Indeterminate => matches!(
            check.sub_indication,
            Some(
                SubIndication::OutOfBoundsNoPoe
                    | SubIndication::RevokedNoPoe
                    | SubIndication::TryLater
            )
        ),
    }
}

/// The PAdES baseline level of the signature's form (ETSI EN 319 142-1 §6.3): B-T with a sound
/// signature timestamp, B-LT when the document also carries revocation data for its own
/// validation (a `/DSS`). B-LTA is decided by the document (a sound document timestamp after
/// the signature). Levels are forms, not verdicts: neither the validation time nor the
/// indication changes them, so that a report can say "B-LTA, indeterminate in 2040" of a
/// signature whose archive timestamp was not renewed.
pub(super) fn level_of_form(
    timestamps: &[TimestampCheck],
    context: &Context<'_>,
) -> SignatureLevel {
    if !timestamps.iter().any(token_is_sound) {
        return SignatureLevel::BaselineB;
    }
    if context
        .revocation
        .is_some_and(|supplied| supplied.holds_revocation_data())
    {
        SignatureLevel::BaselineLt
    } else {
        SignatureLevel::BaselineT
    }
}

/// The earliest time at which a signature is proven to have existed, and what proves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProofOfExistence {
    /// The time proven.
    pub time: DateTime<Utc>,
    /// What proves it, e.g. "the signature timestamp of TSA X".
    pub source: String,
}

/// A certificate problem: the indication, sub-indication and why.
pub(crate) type Problem = (Indication, SubIndication, String);

/// The signer certificate judged at the proven time `proof` (its verdict `at_proof`), with the
/// verdict at validation time `now` and the claimed signing time for the wording and for
/// signatures claiming to have been made after a revocation or expiry. `Ok` holds the sentence
/// saying why the signature passes.
pub(super) fn judge_at_proof(
    now: &Verdict,
    at_proof: &Verdict,
    proof: &ProofOfExistence,
    claimed: Option<DateTime<Utc>>,
) -> Result<String, Problem> {
    use Indication::{Indeterminate, TotalFailed};
    let at = proof.time;
    match at_proof.status {
        VerdictStatus::Valid => Ok(passed_note(now, proof)),
        // Evidence covering the proven time may be missing while current evidence is there.
        VerdictStatus::RevocationUnknown if now.status == VerdictStatus::Valid => {
            Ok(passed_note(now, proof))
        }
        VerdictStatus::RevocationUnknown => Err((
            Indeterminate,
            SubIndication::TryLater,
            format!(
                "no revocation data covers {at}, the time {} proves: {}",
                proof.source, at_proof.summary
            ),
        )),
        VerdictStatus::Revoked => {
            let revoked_at = at_proof.revocation.as_ref().map(|r| r.revoked_at);
            match (revoked_at, claimed) {
                (Some(revoked_at), Some(claimed)) if revoked_at <= claimed => Err((
                    TotalFailed,
                    SubIndication::Revoked,
                    format!(
                        "the certificate was revoked at {revoked_at}, before the claimed signing time {claimed}"
                    ),
                )),
                _ => Err((
                    Indeterminate,
                    SubIndication::RevokedNoPoe,
                    format!(
                        "{}; the earliest proof of existence ({}, {at}) is after the revocation",
                        at_proof.summary, proof.source
                    ),
                )),
            }
        }
        VerdictStatus::Expired => match claimed {
            Some(claimed) if claimed > leaf_not_after(at_proof).unwrap_or(claimed) => Err((
                TotalFailed,
                SubIndication::Expired,
                "the certificate had expired at the claimed signing time".into(),
            )),
            _ => Err((
                Indeterminate,
                SubIndication::OutOfBoundsNoPoe,
                format!(
                    "{}; the earliest proof of existence ({}, {at}) is after the expiry",
                    at_proof.summary, proof.source
                ),
            )),
        },
        VerdictStatus::NotYetValid => Err((
            TotalFailed,
            SubIndication::NotYetValid,
            format!(
                "{} proves the signature existed at {at}, before its certificate was valid",
                proof.source
            ),
        )),
        VerdictStatus::BadSignature
        | VerdictStatus::ConstraintViolation
        | VerdictStatus::WrongKeyUsage => Err((
            Indeterminate,
            SubIndication::ChainConstraintsFailure,
            at_proof.summary.clone(),
        )),
        VerdictStatus::Untrusted => Err((
            Indeterminate,
            SubIndication::NoCertificateChainFound,
            at_proof.summary.clone(),
        )),
    }
}

/// The leaf's notAfter, from the chain the verdict built.
fn leaf_not_after(verdict: &Verdict) -> Option<DateTime<Utc>> {
    verdict.chain.first().map(|leaf| leaf.not_after)
}

fn passed_note(now: &Verdict, proof: &ProofOfExistence) -> String {
    let at = proof.time;
    let since = match now.status {
        VerdictStatus::Valid => String::new(),
        VerdictStatus::Expired => format!(
            "; the certificate has expired since ({}), after that proof",
            leaf_not_after(now).map_or_else(|| "date unknown".into(), |t| t.to_string())
        ),
        VerdictStatus::Revoked => format!(
            "; the certificate was revoked at {}, after that proof",
            now.revocation
                .as_ref()
                .map_or_else(|| "a date unknown".into(), |r| r.revoked_at.to_string())
        ),
        _ => format!("; today: {}", now.summary),
    };
    format!(
        "valid at {at}, when {} proves the signature existed{since}",
        proof.source
    )
}

/// Maps the certificate verdicts onto ETSI indications. A B-B signature has no proof of
/// existence (timestamp), so the claimed time can condemn a signature (the signer states it
/// signed when the certificate was unusable) but never rescue one.
pub(super) fn certificate_problem(
    now: &Verdict,
    at_signing: Option<&Verdict>,
    claimed: Option<DateTime<Utc>>,
) -> Option<(Indication, SubIndication, String)> {
    use Indication::{Indeterminate, TotalFailed};
    let signing_status = at_signing.map(|verdict| verdict.status);
    let summary = now.summary.clone();
    match now.status {
        VerdictStatus::Valid => match signing_status {
            Some(VerdictStatus::Expired) => Some((
                TotalFailed,
                SubIndication::Expired,
                "the certificate had expired at the claimed signing time".into(),
            )),
            Some(VerdictStatus::NotYetValid) => Some((
                TotalFailed,
                SubIndication::NotYetValid,
                "the certificate was not yet valid at the claimed signing time".into(),
            )),
            _ => None,
        },
        VerdictStatus::BadSignature
        | VerdictStatus::ConstraintViolation
        | VerdictStatus::WrongKeyUsage => Some((
            Indeterminate,
            SubIndication::ChainConstraintsFailure,
            summary,
        )),
        VerdictStatus::Untrusted => Some((
            Indeterminate,
            SubIndication::NoCertificateChainFound,
            summary,
        )),
        VerdictStatus::Revoked => {
            let revoked_at = now
                .revocation
                .as_ref()
                .map(|revocation| revocation.revoked_at);
            match (revoked_at, claimed) {
                (Some(revoked_at), Some(claimed)) if revoked_at <= claimed => Some((
                    TotalFailed,
                    SubIndication::Revoked,
                    format!("the certificate was revoked at {revoked_at}, before the claimed signing time {claimed}"),
                )),
                _ => Some((
                    Indeterminate,
                    SubIndication::RevokedNoPoe,
                    format!("{summary}; nothing proves the signature was made before"),
                )),
            }
        }
        VerdictStatus::Expired | VerdictStatus::NotYetValid => match signing_status {
            Some(VerdictStatus::Expired) => Some((
                TotalFailed,
                SubIndication::Expired,
                "the certificate had expired at the claimed signing time".into(),
            )),
            Some(VerdictStatus::NotYetValid) => Some((
                TotalFailed,
                SubIndication::NotYetValid,
                "the certificate was not yet valid at the claimed signing time".into(),
            )),
            Some(VerdictStatus::Revoked) => Some((
                TotalFailed,
                SubIndication::Revoked,
                "the certificate was revoked at the claimed signing time".into(),
            )),
            _ if now.status == VerdictStatus::NotYetValid => {
                Some((TotalFailed, SubIndication::NotYetValid, summary))
            }
            _ => Some((
                Indeterminate,
                SubIndication::OutOfBoundsNoPoe,
                format!("{summary}; no timestamp proves the signature was made while it was valid"),
            )),
        },
        VerdictStatus::RevocationUnknown => Some((Indeterminate, SubIndication::TryLater, summary)),
    }
}
