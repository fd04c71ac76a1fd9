//! Past signature validation (ETSI EN 319 102-1 §5.6.2.4): when a trusted timestamp proves
//! that a signature existed at some time, its certificate is judged at that time with revocation
//! data that covers it, so that a certificate that has since expired, or was revoked after the
//! proof, no longer condemns a signature made while it was good.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::report::{Indication, SubIndication};
use crate::verdict::{Verdict, VerdictStatus};

/// The earliest time at which a signature is proven to have existed, and what proves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProofOfExistence {
    /// The time proven.
    pub time: DateTime<Utc>,
    /// What proves it, e.g. "the signature timestamp of TSA X".
    pub source: String,
}

/// A certificate problem: the indication, sub-indication and why.
pub(super) type Problem = (Indication, SubIndication, String);

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
