//! Runs x509-limbo cases against `TrustStore::validate` as a relying party would, and checks the
//! outcome against `CONFORMANCE.md`.
//!
//! The mapping: `trusted_certs` are the store's roots; `untrusted_intermediates` are the
//! certificates supplied with the leaf, used to build the chain and never trusted; the case's
//! validation time (now when it has none) and its CRLs. The purpose is [`Purpose::Any`], the one
//! that checks no key usage on the leaf: limbo's cases are mostly TLS certificates, which
//! `Purpose::Signing` would refuse for their serverAuth usage, a question of application, not of
//! path validation. What the case asks of the leaf (`extended_key_usage`, `key_usage`) and its
//! `max_chain_depth` are then checked here, as the application would. With CRLs the revocation
//! policy is `Require` (the relying party was handed them to use), without `BestEffort`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::Utc;
use motcua_pki::{parse_certificates, Certificate, Purpose, RevocationPolicy, TrustStore, Verdict};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;

use super::suite::{Expected, Testcase};

/// The families of the suite that concern a document-signing PKI's path validation.
pub const FAMILIES: &[&str] = &[
    "rfc5280",
    "pathlen",
    "crl",
    "pathological",
    "invalid",
    "cve",
];

/// Cases outside those families that concern it too: key and extension encoding.
pub const NAMED_CASES: &[&str] = &["webpki::explicit-curve", "webpki::malformed-aia"];

/// No case may take longer (parsing, store, validation) in an optimised build
/// (`cargo test --release`). Unoptimised code, a plain `cargo test`, parses the pathological
/// certificates (2048 names, 75 KB) about ten times slower, so there the limit is ten times
/// larger.
pub const MAX_CASE_TIME: Duration = if cfg!(debug_assertions) {
    Duration::from_millis(500)
} else {
    Duration::from_millis(50)
};

/// Cases about the peer's host name only: motcua validates who signed a document, not whom a
/// connection reaches.
const HOSTNAME_CASES: &[&str] = &[
    "rfc5280::san::underscore-dns",
    "rfc5280::san::ip-in-dns",
    "rfc5280::ca-as-leaf-wrong-san",
];

pub const HOSTNAME_REASON: &str = "host name matching (expected_peer_name): a TLS question";
pub const DNS_IP_CONSTRAINT_REASON: &str =
    "dNSName / iPAddress name constraints: host name semantics, refused when critical";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    /// What motcua said instead, and why.
    Differs(String),
    Skipped(&'static str),
}

#[derive(Debug, Clone)]
pub struct CaseRun {
    pub id: String,
    pub family: String,
    pub expected: Expected,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

pub fn in_scope(case: &Testcase) -> bool {
    FAMILIES.contains(&case.family()) || NAMED_CASES.contains(&case.id.as_str())
}

pub fn run(case: &Testcase) -> CaseRun {
    let started = Instant::now();
    let outcome = match skip_reason(case) {
        Some(reason) => Outcome::Skipped(reason),
        None => {
            let (actual, detail) = relying_party(case);
            if actual == case.expected_result {
                Outcome::Matched
            } else {
                Outcome::Differs(detail)
            }
        }
    };
    CaseRun {
        id: case.id.clone(),
        family: case.family().to_owned(),
        expected: case.expected_result,
        elapsed: started.elapsed(),
        outcome,
    }
}

fn skip_reason(case: &Testcase) -> Option<&'static str> {
    if HOSTNAME_CASES.contains(&case.id.as_str()) {
        return Some(HOSTNAME_REASON);
    }
    // The pathological cases stay: whatever the name form, they must end fast.
    let suite_family = FAMILIES.contains(&case.family()) && case.family() != "pathological";
    if suite_family && has_dns_or_ip_constraints(case) {
        return Some(DNS_IP_CONSTRAINT_REASON);
    }
    None
}

fn has_dns_or_ip_constraints(case: &Testcase) -> bool {
    case.trusted_certs
        .iter()
        .chain(&case.untrusted_intermediates)
        .chain(std::iter::once(&case.peer_certificate))
        .any(|pem| constrains_dns_or_ip(pem))
}

fn constrains_dns_or_ip(pem: &str) -> bool {
    let Some(Ok(block)) = Pem::iter_from_buffer(pem.as_bytes()).next() else {
        return false;
    };
    let Ok((_, certificate)) = x509_parser::certificate::X509Certificate::from_der(&block.contents)
    else {
        return false;
    };
    certificate.extensions().iter().any(|extension| {
        let ParsedExtension::NameConstraints(constraints) = extension.parsed_extension() else {
            return false;
        };
        constraints
            .permitted_subtrees
            .iter()
            .chain(&constraints.excluded_subtrees)
            .flatten()
            .any(|subtree| {
                matches!(
                    subtree.base,
                    GeneralName::DNSName(_) | GeneralName::IPAddress(_)
                )
            })
    })
}

/// What motcua, used by an application, answers for the case, with the reason.
pub fn relying_party(case: &Testcase) -> (Expected, String) {
    let leaf = match parse_certificates(case.peer_certificate.as_bytes()) {
        Ok(mut certificates) if !certificates.is_empty() => certificates.remove(0),
        Ok(_) => return (Expected::Failure, "no leaf certificate".into()),
        Err(error) => return (Expected::Failure, format!("the leaf is refused: {error}")),
    };
    let mut notes = Vec::new();
    let mut store = TrustStore::new();
    for pem in &case.trusted_certs {
        match parse_certificates(pem.as_bytes()) {
            Ok(certificates) => {
                for certificate in certificates {
                    if let Err(error) = store.add_root(certificate) {
                        notes.push(format!("a trusted certificate is refused: {error}"));
                    }
                }
            }
            Err(error) => notes.push(format!("a trusted certificate is refused: {error}")),
        }
    }
    let mut intermediates = Vec::new();
    for pem in &case.untrusted_intermediates {
        match parse_certificates(pem.as_bytes()) {
            Ok(certificates) => intermediates.extend(certificates),
            Err(error) => notes.push(format!("a supplied intermediate is refused: {error}")),
        }
    }
    for crl in &case.crls {
        if let Err(error) = store.add_crl(crl.as_bytes()) {
            notes.push(format!("a CRL is refused: {error}"));
        }
    }
    let policy = if case.crls.is_empty() {
        RevocationPolicy::BestEffort
    } else {
        RevocationPolicy::Require
    };
    let at = case.validation_time.unwrap_or_else(Utc::now);
    let verdict = store.validate(&leaf, &intermediates, at, Purpose::Any, policy);
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", notes.join("; "))
    };
    if !verdict.is_valid() {
        let status = serde_json::to_value(verdict.status).unwrap_or_default();
        return (
            Expected::Failure,
            format!(
                "{}: {}{notes}",
                status.as_str().unwrap_or("?"),
                verdict.summary
            ),
        );
    }
    match application_checks(case, &leaf, &verdict) {
        Some(problem) => (Expected::Failure, format!("{problem}{notes}")),
        None => (
            Expected::Success,
            format!("valid: {}{notes}", verdict.summary),
        ),
    }
}

/// What the application asks beyond path validation: the leaf's usages and the chain depth.
fn application_checks(case: &Testcase, leaf: &Certificate, verdict: &Verdict) -> Option<String> {
    if let Some(usages) = &leaf.info().extended_key_usage {
        let missing: Vec<&String> = case
            .extended_key_usage
            .iter()
            .filter(|wanted| !usages.contains(wanted))
            .collect();
        if !missing.is_empty() && !usages.iter().any(|usage| usage == "anyExtendedKeyUsage") {
            return Some(format!("the leaf's extendedKeyUsage lacks {missing:?}"));
        }
    }
    if let Some(flags) = &leaf.info().key_usage {
        let names: Vec<String> = flags
            .iter()
            .filter_map(|flag| serde_json::to_value(flag).ok())
            .filter_map(|value| value.as_str().map(|name| name.replace('_', "")))
            .collect();
        let missing: Vec<&String> = case
            .key_usage
            .iter()
            .filter(|wanted| !names.contains(&wanted.to_ascii_lowercase()))
            .collect();
        if !missing.is_empty() {
            return Some(format!("the leaf's keyUsage lacks {missing:?}"));
        }
    }
    let depth = logical_intermediates(verdict);
    match case.max_chain_depth {
        Some(limit) if depth > limit as usize => Some(format!(
            "{depth} intermediate(s), more than the case's max_chain_depth {limit}"
        )),
        _ => None,
    }
}

/// Intermediates of the chain, self-issued ones (key rollover) not counted.
fn logical_intermediates(verdict: &Verdict) -> usize {
    let end = verdict.chain.len().saturating_sub(1);
    verdict
        .chain
        .get(1..end)
        .unwrap_or_default()
        .iter()
        .filter(|entry| entry.subject != entry.issuer)
        .count()
}

/// The ids listed in the markdown table rows (`| \`id\` | …`) of the section `heading`.
pub fn listed_ids(markdown: &str, heading: &str) -> BTreeSet<String> {
    let mut in_section = false;
    let mut ids = BTreeSet::new();
    for line in markdown.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            in_section = title.trim() == heading;
            continue;
        }
        let Some(cell) = line.strip_prefix("| `").filter(|_| in_section) else {
            continue;
        };
        if let Some((id, _)) = cell.split_once('`') {
            ids.insert(id.to_owned());
        }
    }
    ids
}

/// Per family: matched, differing, skipped, slowest case.
pub fn family_table(runs: &[CaseRun]) -> String {
    #[derive(Default)]
    struct Row {
        matched: usize,
        differs: usize,
        skipped: usize,
        slowest: Duration,
        slowest_id: String,
    }
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    for run in runs {
        let row = rows.entry(run.family.as_str()).or_default();
        match run.outcome {
            Outcome::Matched => row.matched += 1,
            Outcome::Differs(_) => row.differs += 1,
            Outcome::Skipped(_) => row.skipped += 1,
        }
        if run.elapsed >= row.slowest {
            row.slowest = run.elapsed;
            row.slowest_id = run.id.clone();
        }
    }
    let mut table = String::from("family        matched differ skipped  slowest\n");
    for (family, row) in &rows {
        table.push_str(&format!(
            "{family:<13} {:>7} {:>6} {:>7} {:>6.2} ms ({})\n",
            row.matched,
            row.differs,
            row.skipped,
            row.slowest.as_secs_f64() * 1000.0,
            row.slowest_id
        ));
    }
    let total: Duration = runs.iter().map(|run| run.elapsed).sum();
    table.push_str(&format!(
        "{} cases in {:.1} ms\n",
        runs.len(),
        total.as_secs_f64() * 1000.0
    ));
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for run in runs {
        if let Outcome::Skipped(reason) = run.outcome {
            *reasons.entry(reason).or_default() += 1;
        }
    }
    for (reason, count) in reasons {
        table.push_str(&format!("skipped {count}: {reason}\n"));
    }
    table
}
