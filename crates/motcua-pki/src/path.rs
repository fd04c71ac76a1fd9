//! Chain building: from the leaf up to a trusted root, trying every candidate issuer (same
//! name, compatible key identifier) so that re-keyed or cross-certified CAs are handled.

use std::collections::HashSet;

use crate::memo::Memo;
use crate::parse::Certificate;
use crate::signature::verify;
use crate::store::TrustStore;

/// Longest chain considered, leaf and root included.
pub(crate) const MAX_CHAIN_LENGTH: usize = 8;
/// Most signature checks spent on one chain search, so hostile inputs (many certificates with
/// the same name) cannot make a validation slow.
pub(crate) const MAX_SIGNATURE_CHECKS: usize = 32;

/// What the chain search tried, so that a failure can say so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SearchEffort {
    /// Distinct certificates (store or supplied) that bore the name of an issuer sought.
    pub(crate) candidates: usize,
    /// Whether a chain reached [`MAX_CHAIN_LENGTH`] with issuers still to try.
    pub(crate) length_limit_reached: bool,
    /// Whether [`MAX_SIGNATURE_CHECKS`] ran out.
    pub(crate) signature_checks_exhausted: bool,
    /// Certificates named like the issuer of the chain's last certificate: when some exist, the
    /// chain did not end for want of an issuer but because none of them led anywhere.
    pub(crate) named_like_last_issuer: usize,
}

impl SearchEffort {
    /// Whether the chain ended with issuers at hand: tried and failed, or cut by a limit.
    pub(crate) fn issuers_were_there(&self) -> bool {
        self.named_like_last_issuer > 0
            || self.length_limit_reached
            || self.signature_checks_exhausted
    }
}

/// A chain, leaf first.
#[derive(Debug, Clone)]
pub(crate) struct Path<'a> {
    pub(crate) certificates: Vec<&'a Certificate>,
    /// `signatures[i]` is the check of `certificates[i]`'s signature with the key of
    /// `certificates[i + 1]`.
    pub(crate) signatures: Vec<Result<(), String>>,
    /// Whether the last certificate is a trust anchor of the store.
    pub(crate) anchored: bool,
    /// When the chain ends, unanchored, at a self-signed certificate named like a trust anchor
    /// of the store: that anchor (another key, so an impersonation or an unknown re-key).
    pub(crate) impersonated_anchor: Option<&'a Certificate>,
    /// What the whole search (not only this chain) tried.
    pub(crate) effort: SearchEffort,
}

impl<'a> Path<'a> {
    fn last(&self) -> Option<&'a Certificate> {
        self.certificates.last().copied()
    }

    fn signatures_verify(&self) -> bool {
        self.signatures.iter().all(Result::is_ok)
    }

    /// Higher is better: sound signatures first, then reaching a root, then length. A chain
    /// whose signatures verify tells who really issued each certificate; an anchored chain with
    /// a broken link only says that a certificate claims a trusted issuer it does not have, and
    /// is kept when nothing better exists (a forged or damaged certificate).
    fn rank(&self) -> (bool, bool, usize) {
        (
            self.signatures_verify(),
            self.anchored,
            self.certificates.len(),
        )
    }

    fn contains(&self, certificate: &Certificate) -> bool {
        self.certificates
            .iter()
            .any(|held| held.fingerprint == certificate.fingerprint)
    }
}

/// Builds the best chain for `leaf`: one that reaches a root with every signature verifying if
/// there is one, else the best partial or broken chain, which the verdict then explains.
pub(crate) fn build<'a>(
    store: &'a TrustStore,
    leaf: &'a Certificate,
    extra_intermediates: &'a [Certificate],
) -> Path<'a> {
    let mut search = Search {
        store,
        extra_intermediates,
        signature_checks_left: MAX_SIGNATURE_CHECKS,
        best: None,
        candidates: HashSet::new(),
        effort: SearchEffort::default(),
    };
    let mut path = Path {
        certificates: vec![leaf],
        signatures: Vec::new(),
        anchored: false,
        impersonated_anchor: None,
        effort: SearchEffort::default(),
    };
    search.extend(&mut path);
    let mut best = search.best.unwrap_or(path);
    best.impersonated_anchor = impersonated_anchor(store, &best);
    best.effort = SearchEffort {
        candidates: search.candidates.len(),
        named_like_last_issuer: best.last().map_or(0, |last| {
            named_like_issuer(store, extra_intermediates, last)
        }),
        ..search.effort
    };
    best
}

fn named_like_issuer(store: &TrustStore, extra: &[Certificate], child: &Certificate) -> usize {
    let supplied = extra
        .iter()
        .filter(|candidate| candidate.subject_der == child.issuer_der)
        .filter(|candidate| !store.contains(candidate))
        .filter(|candidate| candidate.fingerprint != child.fingerprint)
        .count();
    let stored = store
        .certificates_named(&child.issuer_der)
        .filter(|candidate| candidate.fingerprint != child.fingerprint)
        .count();
    supplied + stored
}

/// The trust anchor whose name the unanchored, self-signed end of `path` carries.
fn impersonated_anchor<'a>(store: &'a TrustStore, path: &Path<'a>) -> Option<&'a Certificate> {
    let last = path.last().filter(|_| !path.anchored)?;
    if !is_self_signed(last) {
        return None;
    }
    store
        .certificates_named(&last.subject_der)
        .find(|anchor| store.is_anchor(anchor) && anchor.fingerprint != last.fingerprint)
}

/// Whether `certificate` names itself as issuer and its own key verifies its signature: the
/// end of any chain, whether or not it is trusted.
pub(crate) fn is_self_signed(certificate: &Certificate) -> bool {
    certificate.subject_der == certificate.issuer_der
        && check_signature(certificate, certificate).is_ok()
}

struct Search<'a> {
    store: &'a TrustStore,
    extra_intermediates: &'a [Certificate],
    signature_checks_left: usize,
    best: Option<Path<'a>>,
    /// Fingerprints of the certificates named like an issuer sought.
    candidates: HashSet<[u8; 32]>,
    effort: SearchEffort,
}

impl<'a> Search<'a> {
    /// Depth-first search; returns `true` once a perfect chain is found.
    fn extend(&mut self, path: &mut Path<'a>) -> bool {
        let Some(current) = path.last() else {
            return false;
        };
        if self.store.is_anchor(current) {
            let mut anchored = path.clone();
            anchored.anchored = true;
            let perfect = anchored.signatures_verify();
            self.offer(anchored);
            return perfect;
        }
        // A self-signed certificate that is not an anchor ends the chain: another certificate
        // of the same name (a trusted root it imitates) did not sign it.
        let candidates = if is_self_signed(current) {
            Vec::new()
        } else {
            self.issuers_of(current, path)
        };
        if candidates.is_empty() || path.certificates.len() >= MAX_CHAIN_LENGTH {
            self.effort.length_limit_reached |= !candidates.is_empty();
            self.offer(path.clone());
            return false;
        }
        for issuer in candidates {
            if self.signature_checks_left == 0 {
                self.effort.signature_checks_exhausted = true;
                self.offer(path.clone());
                return false;
            }
            self.signature_checks_left -= 1;
            let signature = match self.store.link(current, issuer) {
                Some(known) => known.clone(),
                None => check_signature(current, issuer),
            };
            path.signatures.push(signature);
            path.certificates.push(issuer);
            if self.extend(path) {
                return true;
            }
            path.certificates.pop();
            path.signatures.pop();
        }
        false
    }

    fn offer(&mut self, candidate: Path<'a>) {
        if self
            .best
            .as_ref()
            .is_none_or(|best| candidate.rank() > best.rank())
        {
            self.best = Some(candidate);
        }
    }

    /// Possible issuers of `child`: store certificates first (roots before intermediates), then
    /// those supplied with the leaf.
    fn issuers_of(&mut self, child: &Certificate, path: &Path<'a>) -> Vec<&'a Certificate> {
        let store = self.store;
        let supplied = self
            .extra_intermediates
            .iter()
            .filter(|candidate| candidate.subject_der == child.issuer_der)
            .filter(|candidate| !store.contains(candidate));
        let named: Vec<&'a Certificate> = store
            .certificates_named(&child.issuer_der)
            .chain(supplied)
            .collect();
        self.candidates
            .extend(named.iter().map(|candidate| candidate.fingerprint));
        let mut candidates: Vec<&'a Certificate> = named
            .into_iter()
            .filter(|candidate| !path.contains(candidate))
            .filter(|candidate| key_identifiers_compatible(child, candidate))
            .collect();
        candidates.sort_by_key(|candidate| !store.is_anchor(candidate));
        candidates
    }
}

/// RFC 5280 §4.2.1.1: when both identifiers are present they must match.
fn key_identifiers_compatible(child: &Certificate, issuer: &Certificate) -> bool {
    match (&child.authority_key_id, &issuer.subject_key_id) {
        (Some(authority), Some(subject)) => authority == subject,
        _ => true,
    }
}

/// Signature checks already made, by child certificate and issuer (name and key).
static CHECKED_SIGNATURES: Memo<([u8; 32], [u8; 32]), Result<(), String>> = Memo::new(4096);

/// Whether `issuer`'s key signed `child` (once per process for each pair).
pub(crate) fn check_signature(child: &Certificate, issuer: &Certificate) -> Result<(), String> {
    CHECKED_SIGNATURES.get_or_compute((child.fingerprint, issuer.signer_id), || {
        verify_signature(child, issuer)
    })
}

fn verify_signature(child: &Certificate, issuer: &Certificate) -> Result<(), String> {
    let key = issuer
        .public_key()
        .map_err(|reason| format!("the issuer key cannot be used: {reason}"))?;
    verify(
        &child.signature_algorithm,
        key,
        &child.tbs,
        &child.signature,
    )
}
