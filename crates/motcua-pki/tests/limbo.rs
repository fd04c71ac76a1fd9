//! Path validation measured against x509-limbo (C2SP/x509-limbo), the suite rustls-webpki,
//! pyca/cryptography, Go and OpenSSL are measured against.
//!
//! With `MOTCUA_LIMBO_SUITE=/path/to/limbo.json` (generated as `CONFORMANCE.md` says) every case
//! of the families in [`runner::FAMILIES`] is run; the test prints per-family figures and fails
//! if a case differs without being listed in `CONFORMANCE.md`, is skipped without being listed,
//! is listed but now matches, or takes longer than 50 ms (500 ms unoptimised). Without it, the
//! same harness runs on limbo-style cases built here with the `openssl` command line; the
//! `regressions` module tests each fix and each documented choice on its own.
//!
//! ```sh
//! MOTCUA_LIMBO_SUITE=/work/limbo/limbo.json \
//!   cargo test --release -p motcua-pki --test limbo -- --nocapture limbo_suite
//! ```

#[path = "limbo/openssl_pki.rs"]
mod openssl_pki;
#[path = "limbo/regressions.rs"]
mod regressions;
#[path = "limbo/runner.rs"]
mod runner;
#[path = "limbo/suite.rs"]
mod suite;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use motcua_pki::parse_certificates;
use openssl_pki::{Error, Issued, OpensslPki, Spec};
use runner::{CaseRun, Outcome};
use suite::{Expected, Suite, Testcase, ValidationKind};

const CONFORMANCE: &str = include_str!("../CONFORMANCE.md");
const DIFFER_SECTION: &str = "Cases that differ";
const SET_ASIDE_SECTION: &str = "Cases set aside";

#[test]
fn limbo_suite() -> Result<(), Error> {
    let (cases, source) = match std::env::var_os("MOTCUA_LIMBO_SUITE") {
        Some(path) => {
            let suite: Suite = serde_json::from_slice(&std::fs::read(&path)?)?;
            let in_scope: Vec<Testcase> = suite
                .testcases
                .into_iter()
                .filter(runner::in_scope)
                .collect();
            (
                in_scope,
                format!("x509-limbo suite {}", path.to_string_lossy()),
            )
        }
        None => (
            built_cases()?,
            "limbo-style cases built with openssl".to_owned(),
        ),
    };
    let full_suite = !source.starts_with("limbo-style");
    let runs: Vec<CaseRun> = cases.iter().map(runner::run).collect();
    println!("{source}\n{}", runner::family_table(&runs));
    for run in &runs {
        if let Outcome::Differs(detail) = &run.outcome {
            println!(
                "differs: {} (expected {:?}): {detail}",
                run.id, run.expected
            );
        }
    }
    let problems = if full_suite {
        suite_problems(&runs)
    } else {
        runs.iter()
            .filter_map(|run| match &run.outcome {
                Outcome::Matched => None,
                other => Some(format!("{}: {other:?}", run.id)),
            })
            .collect()
    };
    let slow: Vec<String> = runs
        .iter()
        .filter(|run| run.elapsed > runner::MAX_CASE_TIME)
        .map(|run| format!("{} took {:?}", run.id, run.elapsed))
        .collect();
    let all: Vec<String> = problems.into_iter().chain(slow).collect();
    assert!(all.is_empty(), "{}", all.join("\n"));
    Ok(())
}

/// Cases that differ or are skipped without being listed in CONFORMANCE.md, and listings that
/// no longer hold.
fn suite_problems(runs: &[CaseRun]) -> Vec<String> {
    let differ_listed = runner::listed_ids(CONFORMANCE, DIFFER_SECTION);
    let aside_listed = runner::listed_ids(CONFORMANCE, SET_ASIDE_SECTION);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for run in runs {
        seen.insert(run.id.clone());
        let (differs, skipped) = match run.outcome {
            Outcome::Matched => (false, false),
            Outcome::Differs(_) => (true, false),
            Outcome::Skipped(_) => (false, true),
        };
        if differs != differ_listed.contains(&run.id) {
            problems.push(format!(
                "{}: {} but {} under \"{DIFFER_SECTION}\"",
                run.id,
                if differs {
                    "differs"
                } else {
                    "does not differ"
                },
                if differs { "not listed" } else { "listed" }
            ));
        }
        if skipped != aside_listed.contains(&run.id) {
            problems.push(format!(
                "{}: {} but {} under \"{SET_ASIDE_SECTION}\"",
                run.id,
                if skipped { "skipped" } else { "run" },
                if skipped { "not listed" } else { "listed" }
            ));
        }
    }
    for id in differ_listed.iter().chain(&aside_listed) {
        if !seen.contains(id) {
            problems.push(format!(
                "{id}: listed in CONFORMANCE.md but not in the suite"
            ));
        }
    }
    problems
}

fn case(
    id: &str,
    trusted: &[&Issued],
    intermediates: &[&Issued],
    leaf: &Issued,
    expected: Expected,
) -> Testcase {
    Testcase {
        id: id.to_owned(),
        features: Vec::new(),
        description: String::new(),
        validation_kind: ValidationKind::Client,
        trusted_certs: trusted.iter().map(|issued| issued.pem.clone()).collect(),
        untrusted_intermediates: intermediates
            .iter()
            .map(|issued| issued.pem.clone())
            .collect(),
        peer_certificate: leaf.pem.clone(),
        validation_time: None,
        crls: Vec::new(),
        max_chain_depth: None,
        extended_key_usage: Vec::new(),
        key_usage: Vec::new(),
        expected_peer_name: None,
        expected_result: expected,
    }
}

/// A root and a leaf it issued with `leaf` as spec, expected to end as `expected`.
fn leaf_case(
    pki: &mut OpensslPki,
    id: &str,
    leaf: &Spec<'_>,
    expected: Expected,
) -> Result<Testcase, Error> {
    let root = pki.root(&Spec::ca("/C=VN/O=Limbo/CN=Root"))?;
    let leaf = pki.issue(leaf, &root)?;
    Ok(case(id, &[&root], &[], &leaf, expected))
}

fn not_after(issued: &Issued) -> Result<DateTime<Utc>, Error> {
    let certificate = parse_certificates(issued.pem.as_bytes())?.remove(0);
    Ok(certificate.info().not_after)
}

/// One limbo-style case for each rule the harness must see enforced or accepted; the ids name
/// the suite's case each mirrors.
fn built_cases() -> Result<Vec<Testcase>, Error> {
    let mut pki = OpensslPki::new()?;
    let mut cases = Vec::new();

    let root = pki.root(&Spec::ca("/C=VN/O=Limbo/CN=Root"))?;
    let ica = pki.issue(&Spec::ca("/C=VN/O=Limbo/CN=Issuing CA"), &root)?;
    let leaf = pki.issue(&Spec::leaf("/C=VN/O=Limbo/CN=Signer"), &ica)?;
    cases.push(case(
        "built::valid-chain",
        &[&root],
        &[&ica],
        &leaf,
        Expected::Success,
    ));
    cases.push(case(
        "built::untrusted-root",
        &[],
        &[&root, &ica],
        &leaf,
        Expected::Failure,
    ));

    let explicit_root = pki.root(&Spec::ca("/C=VN/CN=Explicit Root").explicit_curve())?;
    let explicit_leaf = pki.issue(
        &Spec::leaf("/C=VN/CN=Explicit").explicit_curve(),
        &explicit_root,
    )?;
    cases.push(case(
        "webpki::explicit-curve",
        &[&explicit_root],
        &[],
        &explicit_leaf,
        Expected::Failure,
    ));

    let empty_root = pki.root(&Spec::ca("/"))?;
    let under_empty = pki.issue(&Spec::leaf("/CN=Under an empty root"), &empty_root)?;
    cases.push(case(
        "rfc5280::ca-empty-subject",
        &[&empty_root],
        &[],
        &under_empty,
        Expected::Failure,
    ));

    let malformed = [
        (
            "rfc5280::san::malformed",
            "subjectAltName = DER:30:03:82:01",
        ),
        ("webpki::malformed-aia", "authorityInfoAccess = DER:30:00"),
        ("rfc5280::eku::ee-eku-empty", "extendedKeyUsage = DER:30:00"),
    ];
    for (id, extension) in malformed {
        let spec = Spec::leaf("/CN=Malformed").with(extension);
        cases.push(leaf_case(&mut pki, id, &spec, Expected::Failure)?);
    }

    let mut fractional = case(
        "rfc5280::validity::notafter-fractional",
        &[&root],
        &[&ica],
        &leaf,
        Expected::Success,
    );
    fractional.validation_time = Some(not_after(&leaf)? + Duration::milliseconds(5));
    cases.push(fractional);
    let mut expired = case(
        "rfc5280::validity::expired-1-second",
        &[&root],
        &[&ica],
        &leaf,
        Expected::Failure,
    );
    expired.validation_time = Some(not_after(&leaf)? + Duration::seconds(1));
    cases.push(expired);

    cases.extend(pathlen_cases(&mut pki)?);
    cases.extend(name_constraint_cases(&mut pki)?);
    cases.extend(crl_cases(&mut pki)?);
    Ok(cases)
}

fn pathlen_cases(pki: &mut OpensslPki) -> Result<Vec<Testcase>, Error> {
    let root = pki.root(&Spec::ca("/CN=Pathlen Root"))?;
    let pathlen = |limit: u32| format!("basicConstraints = critical,CA:TRUE,pathlen:{limit}");
    let first = pki.issue(&Spec::ca("/CN=ICA").replacing(&pathlen(1)), &root)?;
    let rollover = pki.issue(&Spec::ca("/CN=ICA").replacing(&pathlen(1)), &first)?;
    let last = pki.issue(&Spec::ca("/CN=ICA2").replacing(&pathlen(0)), &rollover)?;
    let leaf = pki.issue(&Spec::leaf("/CN=Pathlen leaf"), &last)?;
    let mut cases = vec![case(
        "pathlen::self-issued-certs-pathlen",
        &[&root],
        &[&first, &rollover, &last],
        &leaf,
        Expected::Success,
    )];
    let zero = pki.issue(&Spec::ca("/CN=Zero").replacing(&pathlen(0)), &root)?;
    let below = pki.issue(&Spec::ca("/CN=Below zero"), &zero)?;
    let leaf = pki.issue(&Spec::leaf("/CN=Too deep"), &below)?;
    cases.push(case(
        "pathlen::intermediate-violates-pathlen-0",
        &[&root],
        &[&zero, &below],
        &leaf,
        Expected::Failure,
    ));
    Ok(cases)
}

/// directoryName and rfc822Name constraints on a root (RFC 5280 §4.2.1.10).
fn name_constraint_cases(pki: &mut OpensslPki) -> Result<Vec<Testcase>, Error> {
    let dn_root = pki.root(
        &Spec::ca("/C=VN/O=Limbo/CN=DN Root")
            .with("nameConstraints = critical,permitted;dirName:permitted_dn,excluded;dirName:excluded_dn")
            .section("[permitted_dn]\nC = VN\nO = Limbo")
            .section("[excluded_dn]\nC = VN\nO = Limbo\nOU = Revoked unit"),
    )?;
    let inside = pki.issue(&Spec::leaf("/C=VN/O=Limbo/OU=Unit/CN=Inside"), &dn_root)?;
    let outside = pki.issue(&Spec::leaf("/C=VN/O=Other/CN=Outside"), &dn_root)?;
    let excluded = pki.issue(
        &Spec::leaf("/C=VN/O=Limbo/OU=Revoked unit/CN=Excluded"),
        &dn_root,
    )?;
    let mut cases = vec![
        case(
            "rfc5280::nc::permitted-dn-match",
            &[&dn_root],
            &[],
            &inside,
            Expected::Success,
        ),
        case(
            "rfc5280::nc::permitted-dn-mismatch",
            &[&dn_root],
            &[],
            &outside,
            Expected::Failure,
        ),
        case(
            "rfc5280::nc::excluded-dn-match",
            &[&dn_root],
            &[],
            &excluded,
            Expected::Failure,
        ),
    ];
    let email_root = pki.root(
        &Spec::ca("/C=VN/CN=Mail Root").with("nameConstraints = critical,permitted;email:.gov.vn"),
    )?;
    let official = pki.issue(
        &Spec::leaf("/C=VN/CN=Official").with("subjectAltName = email:an@hanoi.gov.vn"),
        &email_root,
    )?;
    let private = pki.issue(
        &Spec::leaf("/C=VN/CN=Private").with("subjectAltName = email:an@example.com"),
        &email_root,
    )?;
    let subject_mail = pki.issue(
        &Spec::leaf("/C=VN/CN=Subject mail/emailAddress=an@example.com"),
        &email_root,
    )?;
    cases.push(case(
        "rfc5280::nc::nc-permits-email-domain",
        &[&email_root],
        &[],
        &official,
        Expected::Success,
    ));
    cases.push(case(
        "built::nc-email-mismatch",
        &[&email_root],
        &[],
        &private,
        Expected::Failure,
    ));
    cases.push(case(
        "built::nc-email-in-subject",
        &[&email_root],
        &[],
        &subject_mail,
        Expected::Failure,
    ));
    let dns_root = pki.root(
        &Spec::ca("/C=VN/CN=DNS Root").with("nameConstraints = critical,permitted;DNS:example.vn"),
    )?;
    let under_dns = pki.issue(&Spec::leaf("/C=VN/CN=Under DNS"), &dns_root)?;
    cases.push(case(
        "built::nc-critical-dns-refused",
        &[&dns_root],
        &[],
        &under_dns,
        Expected::Failure,
    ));
    Ok(cases)
}

fn crl_cases(pki: &mut OpensslPki) -> Result<Vec<Testcase>, Error> {
    let root = pki.root(&Spec::ca("/C=VN/CN=CRL Root"))?;
    let revoked = pki.issue(&Spec::leaf("/C=VN/CN=Revoked"), &root)?;
    let kept = pki.issue(&Spec::leaf("/C=VN/CN=Kept"), &root)?;
    let crl = pki.crl(&root, &[&revoked])?;
    let mut cases = vec![
        case(
            "crl::revoked-certificate-with-crl",
            &[&root],
            &[],
            &revoked,
            Expected::Failure,
        ),
        case(
            "crl::certificate-not-on-crl",
            &[&root],
            &[],
            &kept,
            Expected::Success,
        ),
    ];
    for case in &mut cases {
        case.crls.push(crl.clone());
    }
    Ok(cases)
}
