//! What verifying a signature needs besides the signature and its content: the trust store,
//! the time, and what the document brought for its own validation.

use chrono::{DateTime, Utc};

use super::long_term::ProofOfExistence;
use crate::budget::Budget;
use crate::parse::Certificate;
use crate::revocation::SuppliedRevocation;
use crate::store::TrustStore;
use crate::verdict::{Purpose, RevocationPolicy, Verdict};

/// What a verification needs besides the signature and content.
#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    pub(crate) store: &'a TrustStore,
    pub(crate) supplied: &'a [Certificate],
    pub(crate) validation_time: DateTime<Utc>,
    pub(crate) policy: RevocationPolicy,
    /// A signing time claimed outside the CMS (a PDF's `/M`), used when the CMS has none.
    pub(crate) claimed_time_outside: Option<DateTime<Utc>>,
    /// Checked while the content is hashed; the verification stops when it runs out.
    pub(crate) budget: &'a Budget,
    /// Certificates and revocation data that came with the document (a PDF's `/DSS`).
    pub(crate) revocation: Option<&'a SuppliedRevocation>,
    /// The time a later document timestamp proves the signature existed at.
    pub(crate) archival_proof: Option<&'a ProofOfExistence>,
    /// The trust store's anchors and intermediates without its CRLs: with `revocation`, it
    /// tells whether the document's own data validates a certificate (B-LT).
    pub(crate) anchors_only: Option<&'a TrustStore>,
}

impl<'a> Context<'a> {
    /// A context with nothing from the document.
    pub(crate) fn new(
        store: &'a TrustStore,
        supplied: &'a [Certificate],
        validation_time: DateTime<Utc>,
        policy: RevocationPolicy,
        budget: &'a Budget,
    ) -> Self {
        Self {
            store,
            supplied,
            validation_time,
            policy,
            claimed_time_outside: None,
            budget,
            revocation: None,
            archival_proof: None,
            anchors_only: None,
        }
    }

    /// The same context validating at `at`.
    pub(crate) fn at(&self, at: DateTime<Utc>) -> Self {
        Self {
            validation_time: at,
            ..*self
        }
    }

    /// `certificate` validated at `at` with the store and the document's own data.
    pub(crate) fn validate(
        &self,
        certificate: &Certificate,
        extra: &[Certificate],
        at: DateTime<Utc>,
        purpose: Purpose,
        policy: RevocationPolicy,
    ) -> Verdict {
        match self.revocation {
            Some(supplied) => {
                self.store
                    .validate_with(certificate, extra, at, purpose, policy, supplied)
            }
            None => self.store.validate(certificate, extra, at, purpose, policy),
        }
    }

    /// Whether the document's own data (with the trusted anchors) validates `certificate` at
    /// `at`, revocation included.
    pub(crate) fn validates_offline(
        &self,
        certificate: &Certificate,
        extra: &[Certificate],
        at: DateTime<Utc>,
        purpose: Purpose,
    ) -> bool {
        match (self.anchors_only, self.revocation) {
            (Some(store), Some(supplied)) => store
                .validate_with(
                    certificate,
                    extra,
                    at,
                    purpose,
                    RevocationPolicy::Require,
                    supplied,
                )
                .is_valid(),
            _ => false,
        }
    }
}
