//! One test for each disagreement with x509-limbo that motcua fixed, for each choice on the
//! RFC 5280 rules left to CAs (`CONFORMANCE.md`), for name constraints and for the summary of a
//! pathological chain; certificates made with the `openssl` command line.

use chrono::{DateTime, Duration, Utc};
use motcua_pki::cms::KeySigner;
use motcua_pki::{
    parse_certificates, Certificate, CheckKind, Outcome, PkiError, Purpose, RevocationPolicy,
    TrustStore, Verdict, VerdictStatus,
};
use openssl::pkey::PKey;

use super::openssl_pki::{CrlNumber, Error, Issued, OpensslPki, Spec};

fn certificate(issued: &Issued) -> Result<Certificate, Error> {
    Ok(parse_certificates(issued.pem.as_bytes())?.remove(0))
}

fn refusal(issued: &Issued) -> String {
    match parse_certificates(issued.pem.as_bytes()) {
        Ok(_) => "accepted".to_owned(),
        Err(error) => error.to_string(),
    }
}

/// `leaf` validated for any purpose against `root`, with `chain` supplied.
fn validate_at(
    root: &Issued,
    chain: &[&Issued],
    leaf: &Issued,
    at: DateTime<Utc>,
) -> Result<Verdict, Error> {
    let mut store = TrustStore::new();
    store.add_root(certificate(root)?)?;
    let supplied = chain
        .iter()
        .map(|issued| certificate(issued))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(store.validate(
        &certificate(leaf)?,
        &supplied,
        at,
        Purpose::Any,
        RevocationPolicy::BestEffort,
    ))
}

fn validate(root: &Issued, chain: &[&Issued], leaf: &Issued) -> Result<Verdict, Error> {
    validate_at(root, chain, leaf, Utc::now())
}

fn failed_detail(verdict: &Verdict, kind: CheckKind) -> Option<&str> {
    verdict
        .checks
        .iter()
        .find(|check| check.check == kind && check.outcome == Outcome::Failed)
        .map(|check| check.detail.as_str())
}

fn root(pki: &mut OpensslPki) -> Result<Issued, Error> {
    pki.root(&Spec::ca("/C=VN/O=Limbo/CN=Root"))
}

#[test]
fn explicit_curve_parameters_are_refused_in_certificates_and_keys() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let explicit_root = pki.root(&Spec::ca("/CN=Explicit Root").explicit_curve())?;
    assert!(refusal(&explicit_root).contains("explicit curve parameters"));
    let named_root = root(&mut pki)?;
    let explicit_leaf = pki.issue(&Spec::leaf("/CN=Explicit").explicit_curve(), &named_root)?;
    assert!(refusal(&explicit_leaf).contains("RFC 5480"));

    // The same key once with named, once with explicit parameters: the certificate names the
    // curve, the private key handed to the signer does not.
    let named_leaf = pki.issue(&Spec::leaf("/CN=Named"), &named_root)?;
    let explicit_key_file = pki.dir().join("explicit-copy.key");
    let status = std::process::Command::new("openssl")
        .args(["ec", "-param_enc", "explicit", "-in"])
        .arg(named_leaf.key_file())
        .arg("-out")
        .arg(&explicit_key_file)
        .status()?;
    assert!(status.success());
    let named_key = PKey::private_key_from_pem(&std::fs::read(named_leaf.key_file())?)?;
    let explicit_key = PKey::private_key_from_pem(&std::fs::read(&explicit_key_file)?)?;
    assert!(KeySigner::new(named_key, certificate(&named_leaf)?).is_ok());
    match KeySigner::new(explicit_key, certificate(&named_leaf)?) {
        Err(PkiError::SignatureRefused(reason)) => assert!(reason.contains("explicit"), "{reason}"),
        other => panic!(
            "an explicit-parameter key was not refused: {:?}",
            other.err()
        ),
    }
    Ok(())
}

#[test]
fn a_ca_with_an_empty_subject_cannot_issue() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let empty_root = pki.root(&Spec::ca("/"))?;
    let leaf = pki.issue(&Spec::leaf("/CN=Under an empty root"), &empty_root)?;
    let verdict = validate(&empty_root, &[], &leaf)?;
    assert_eq!(verdict.status, VerdictStatus::ConstraintViolation);
    let detail = failed_detail(&verdict, CheckKind::BasicConstraints).unwrap_or_default();
    assert!(detail.contains("empty subject"), "{detail}");
    Ok(())
}

#[test]
fn malformed_or_empty_extensions_make_the_certificate_malformed() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let root = root(&mut pki)?;
    let cases = [
        ("subjectAltName = DER:30:03:82:01", "2.5.29.17"),
        ("authorityInfoAccess = DER:30:00", "authorityInfoAccess"),
        ("extendedKeyUsage = DER:30:00", "extendedKeyUsage"),
        ("certificatePolicies = DER:30:00", "certificatePolicies"),
    ];
    for (extension, named) in cases {
        let leaf = pki.issue(&Spec::leaf("/CN=Malformed").with(extension), &root)?;
        let refusal = refusal(&leaf);
        assert!(refusal.contains(named), "{extension}: {refusal}");
    }
    let sound = pki.issue(
        &Spec::leaf("/CN=Sound")
            .with("authorityInfoAccess = caIssuers;URI:http://ca.example.vn/ca.crt"),
        &root,
    )?;
    assert_eq!(refusal(&sound), "accepted");
    Ok(())
}

#[test]
fn validity_is_compared_in_whole_seconds() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let root = root(&mut pki)?;
    let leaf = pki.issue(&Spec::leaf("/CN=Seconds"), &root)?;
    let info = certificate(&leaf)?.info().clone();
    let status = |at| validate_at(&root, &[], &leaf, at).map(|verdict| verdict.status);
    assert_eq!(
        status(info.not_after + Duration::milliseconds(5))?,
        VerdictStatus::Valid
    );
    assert_eq!(
        status(info.not_after + Duration::milliseconds(999))?,
        VerdictStatus::Valid
    );
    assert_eq!(
        status(info.not_after + Duration::seconds(1))?,
        VerdictStatus::Expired
    );
    assert_eq!(status(info.not_before)?, VerdictStatus::Valid);
    assert_eq!(
        status(info.not_before - Duration::milliseconds(5))?,
        VerdictStatus::NotYetValid
    );
    Ok(())
}

#[test]
fn self_issued_certificates_do_not_count_against_path_length() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let root = root(&mut pki)?;
    let pathlen = |limit: u32| format!("basicConstraints = critical,CA:TRUE,pathlen:{limit}");
    let first = pki.issue(&Spec::ca("/CN=ICA").replacing(&pathlen(1)), &root)?;
    let rollover = pki.issue(&Spec::ca("/CN=ICA").replacing(&pathlen(1)), &first)?;
    let last = pki.issue(&Spec::ca("/CN=ICA2").replacing(&pathlen(0)), &rollover)?;
    let leaf = pki.issue(&Spec::leaf("/CN=Leaf"), &last)?;
    let verdict = validate(&root, &[&first, &rollover, &last], &leaf)?;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{}", verdict.summary);
    assert_eq!(verdict.chain.len(), 5);

    // A CA that is not self-issued still counts.
    let other = pki.issue(&Spec::ca("/CN=ICA other").replacing(&pathlen(1)), &first)?;
    let below = pki.issue(&Spec::ca("/CN=ICA3").replacing(&pathlen(0)), &other)?;
    let leaf = pki.issue(&Spec::leaf("/CN=Leaf too deep"), &below)?;
    let verdict = validate(&root, &[&first, &other, &below], &leaf)?;
    assert_eq!(verdict.status, VerdictStatus::ConstraintViolation);
    assert!(failed_detail(&verdict, CheckKind::PathLength).is_some());
    Ok(())
}

#[test]
fn the_summary_of_a_same_subject_chain_says_what_was_tried() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    // 100 CAs of one name, each with its own key, none under a trusted root.
    let mut chain = vec![pki.root(&Spec::ca("/CN=Same name"))?];
    for _ in 1..100 {
        let next = pki.issue(&Spec::ca("/CN=Same name"), chain.last().ok_or("empty")?)?;
        chain.push(next);
    }
    let leaf = pki.issue(&Spec::leaf("/CN=Leaf"), chain.last().ok_or("empty")?)?;
    let unrelated = root(&mut pki)?;
    let supplied: Vec<&Issued> = chain.iter().collect();
    let started = std::time::Instant::now();
    let verdict = validate(&unrelated, &supplied, &leaf)?;
    let elapsed = started.elapsed();
    assert_eq!(verdict.status, VerdictStatus::Untrusted);
    assert!(
        verdict
            .summary
            .contains("100 candidate issuer certificate(s) were tried"),
        "{}",
        verdict.summary
    );
    assert!(!verdict
        .summary
        .contains("neither in the trust store nor supplied"));
    assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
    Ok(())
}

/// The RFC 5280 rules a CA must follow, each with the choice `CONFORMANCE.md` records: which
/// the government profile enforces, which it leaves to the CA.
#[test]
fn ca_side_rules_are_enforced_or_accepted_as_documented() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let root = root(&mut pki)?;
    let ica = pki.issue(&Spec::ca("/C=VN/O=Limbo/CN=ICA"), &root)?;
    let leaf_spec = || Spec::leaf("/C=VN/CN=Leaf");
    // (rule, leaf under the root, leaf under the intermediate, enforced)
    let under_root: Vec<(&str, Spec<'_>, bool)> = vec![
        ("serial zero", leaf_spec().serial("0"), true),
        ("serial negative", leaf_spec().serial("-5"), true),
        (
            "serial of 21 octets",
            leaf_spec().serial(&format!("0x7f{}", "ab".repeat(20))),
            false,
        ),
        (
            "no authorityKeyIdentifier, issued by a root",
            leaf_spec().without("authorityKeyIdentifier"),
            false,
        ),
        (
            "critical authorityKeyIdentifier",
            leaf_spec().replacing("authorityKeyIdentifier = critical,keyid"),
            false,
        ),
        (
            "keyCertSign outside a CA",
            leaf_spec().replacing("keyUsage = critical,digitalSignature,keyCertSign"),
            true,
        ),
        (
            "empty subject, non-critical subjectAltName",
            Spec::leaf("/").with("subjectAltName = email:an@gov.vn"),
            true,
        ),
        (
            "empty subject, critical subjectAltName",
            Spec::leaf("/").with("subjectAltName = critical,email:an@gov.vn"),
            false,
        ),
        (
            "critical authorityInfoAccess",
            leaf_spec()
                .with("authorityInfoAccess = critical,caIssuers;URI:http://ca.example.vn/ca.crt"),
            false,
        ),
    ];
    for (rule, spec, enforced) in under_root {
        let leaf = pki.issue(&spec, &root)?;
        let verdict = validate(&root, &[], &leaf)?;
        assert_rule(rule, &verdict, enforced);
    }
    let under_ica = pki.issue(&leaf_spec().without("authorityKeyIdentifier"), &ica)?;
    let verdict = validate(&root, &[&ica], &under_ica)?;
    assert_rule(
        "no authorityKeyIdentifier, issued by an intermediate",
        &verdict,
        true,
    );

    // (rule, CA, whether a leaf under it can carry the key identifier motcua requires)
    let ca_rules: Vec<(&str, Spec<'_>, bool)> = vec![
        (
            "intermediate without subjectKeyIdentifier",
            Spec::ca("/CN=No SKI").without("subjectKeyIdentifier"),
            false,
        ),
        (
            "intermediate with non-critical basicConstraints",
            Spec::ca("/CN=Soft BC").replacing("basicConstraints = CA:TRUE"),
            true,
        ),
        (
            "intermediate with non-critical policyConstraints",
            Spec::ca("/CN=PC").with("policyConstraints = requireExplicitPolicy:0"),
            true,
        ),
    ];
    for (rule, spec, identifiable) in ca_rules {
        let ca = pki.issue(&spec, &root)?;
        assert_rule(rule, &validate(&root, &[], &ca)?, false);
        if identifiable {
            let leaf = pki.issue(&leaf_spec(), &ca)?;
            assert_rule(rule, &validate(&root, &[&ca], &leaf)?, false);
        } else {
            // Its certificates cannot name its key, which is required under an intermediate.
            let leaf = pki.issue(&leaf_spec().without("authorityKeyIdentifier"), &ca)?;
            assert_rule(rule, &validate(&root, &[&ca], &leaf)?, true);
        }
    }
    let soft_root = pki.root(
        &Spec::ca("/CN=Root without SKI, soft BC")
            .without("subjectKeyIdentifier")
            .without("authorityKeyIdentifier")
            .replacing("basicConstraints = CA:TRUE"),
    )?;
    // Without the root's key identifier the leaf can carry none either.
    let leaf = pki.issue(&leaf_spec().without("authorityKeyIdentifier"), &soft_root)?;
    assert_rule(
        "root without subjectKeyIdentifier, non-critical basicConstraints",
        &validate(&soft_root, &[], &leaf)?,
        false,
    );
    Ok(())
}

fn assert_rule(rule: &str, verdict: &Verdict, enforced: bool) {
    if enforced {
        assert_eq!(
            verdict.status,
            VerdictStatus::ConstraintViolation,
            "{rule}: {}",
            verdict.summary
        );
        assert!(
            failed_detail(verdict, CheckKind::Profile).is_some(),
            "{rule}: {}",
            verdict.summary
        );
    } else {
        assert_eq!(
            verdict.status,
            VerdictStatus::Valid,
            "{rule}: {}",
            verdict.summary
        );
    }
}

#[test]
fn crl_numbers_are_required_but_their_criticality_is_not_checked() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let root = root(&mut pki)?;
    let mut store = TrustStore::new();
    store.add_root(certificate(&root)?)?;
    let standard = pki.crl_numbered(&root, &[], CrlNumber::Standard)?;
    assert!(store.add_crl(standard.as_bytes())?.number.is_some());
    let missing = pki.crl_numbered(&root, &[], CrlNumber::Missing)?;
    let refusal = store
        .add_crl(missing.as_bytes())
        .map(|_| ())
        .map_err(|error| error.to_string());
    assert!(
        refusal
            .as_ref()
            .is_err_and(|reason| reason.contains("cRLNumber")),
        "{refusal:?}"
    );
    let critical = pki.crl_numbered(&root, &[], CrlNumber::Critical)?;
    assert!(store.add_crl(critical.as_bytes()).is_ok());
    Ok(())
}

/// A root constraining directory names and emails, an intermediate narrowing them, and leaves.
#[test]
fn directory_and_email_name_constraints() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let root = pki.root(
        &Spec::ca("/C=VN/O=Chinh phu/CN=Root")
            .with("nameConstraints = critical,permitted;dirName:vn,permitted;email:.gov.vn,excluded;dirName:blocked")
            .section("[vn]\nC = VN")
            .section("[blocked]\nC = VN\nO = Blocked"),
    )?;
    let province = pki.issue(
        &Spec::ca("/C=VN/O=Tinh Bac Ninh/CN=Provincial CA")
            .with("nameConstraints = critical,permitted;dirName:province,permitted;email:bacninh.gov.vn")
            .section("[province]\nC = VN\nO = Tinh Bac Ninh"),
        &root,
    )?;
    let cases: Vec<(&str, Spec<'_>, VerdictStatus)> = vec![
        (
            "inside both",
            Spec::leaf("/C=VN/O=Tinh Bac Ninh/OU=So Y te/CN=An"),
            VerdictStatus::Valid,
        ),
        (
            "case and spaces differ",
            Spec::leaf("/C=vn/O=TINH  BAC NINH/CN=An"),
            VerdictStatus::Valid,
        ),
        (
            "outside the intermediate",
            Spec::leaf("/C=VN/O=Tinh Bac Giang/CN=An"),
            VerdictStatus::ConstraintViolation,
        ),
        (
            "email on the permitted host",
            Spec::leaf("/C=VN/O=Tinh Bac Ninh/CN=An")
                .with("subjectAltName = email:an@bacninh.gov.vn"),
            VerdictStatus::Valid,
        ),
        (
            "email under the root's domain only",
            Spec::leaf("/C=VN/O=Tinh Bac Ninh/CN=An")
                .with("subjectAltName = email:an@hanoi.gov.vn"),
            VerdictStatus::ConstraintViolation,
        ),
        (
            "email in the subject",
            Spec::leaf("/C=VN/O=Tinh Bac Ninh/CN=An/emailAddress=an@example.com"),
            VerdictStatus::ConstraintViolation,
        ),
        (
            "directoryName in subjectAltName",
            Spec::leaf("/C=VN/O=Tinh Bac Ninh/CN=An")
                .with("subjectAltName = dirName:elsewhere")
                .section("[elsewhere]\nC = US"),
            VerdictStatus::ConstraintViolation,
        ),
    ];
    for (name, spec, expected) in cases {
        let leaf = pki.issue(&spec, &province)?;
        let verdict = validate(&root, &[&province], &leaf)?;
        assert_eq!(verdict.status, expected, "{name}: {}", verdict.summary);
        if expected != VerdictStatus::Valid {
            assert!(
                failed_detail(&verdict, CheckKind::NameConstraints).is_some(),
                "{name}"
            );
        }
    }
    // The root's excluded subtree reaches through the intermediate.
    let blocked_ca = pki.issue(&Spec::ca("/C=VN/O=Blocked/CN=Blocked CA"), &root)?;
    let leaf = pki.issue(&Spec::leaf("/C=VN/O=Blocked/CN=An"), &blocked_ca)?;
    let verdict = validate(&root, &[&blocked_ca], &leaf)?;
    assert_eq!(verdict.status, VerdictStatus::ConstraintViolation);
    assert!(
        failed_detail(&verdict, CheckKind::NameConstraints).is_some_and(|d| d.contains("excluded"))
    );
    Ok(())
}

#[test]
fn self_issued_intermediates_are_not_held_to_name_constraints() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let root = pki.root(
        &Spec::ca("/C=VN/CN=Root")
            .with("nameConstraints = critical,permitted;dirName:vn")
            .section("[vn]\nC = VN"),
    )?;
    // Outside the constraint but self-issued (a rollover), then a leaf inside it.
    let outside = pki.issue(&Spec::ca("/C=US/CN=Old name"), &root)?;
    let rollover = pki.issue(&Spec::ca("/C=US/CN=Old name"), &outside)?;
    let verdict = validate(&root, &[&outside], &rollover)?;
    assert_eq!(
        verdict.status,
        VerdictStatus::ConstraintViolation,
        "the final certificate is checked"
    );
    let leaf = pki.issue(&Spec::leaf("/C=VN/CN=Leaf"), &rollover)?;
    let verdict = validate(&root, &[&outside, &rollover], &leaf)?;
    let skipped = verdict.checks.iter().any(|check| {
        check.check == CheckKind::NameConstraints && check.outcome == Outcome::Skipped
    });
    assert!(skipped, "{:?}", verdict.checks);
    // `outside` itself is checked, and is outside.
    assert_eq!(verdict.status, VerdictStatus::ConstraintViolation);
    Ok(())
}

#[test]
fn other_name_forms_are_refused_when_critical_and_ignored_otherwise() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    let critical = pki.root(
        &Spec::ca("/CN=Critical DNS").with("nameConstraints = critical,permitted;DNS:example.vn"),
    )?;
    let leaf = pki.issue(&Spec::leaf("/CN=Leaf"), &critical)?;
    let verdict = validate(&critical, &[], &leaf)?;
    assert_eq!(verdict.status, VerdictStatus::ConstraintViolation);
    assert!(failed_detail(&verdict, CheckKind::CriticalExtensions)
        .is_some_and(|d| d.contains("2.5.29.30")));

    let mixed = pki.root(
        &Spec::ca("/C=VN/CN=Mixed")
            .with("nameConstraints = permitted;DNS:example.vn,permitted;dirName:vn")
            .section("[vn]\nC = VN"),
    )?;
    let inside = pki.issue(&Spec::leaf("/C=VN/CN=Inside"), &mixed)?;
    assert_eq!(validate(&mixed, &[], &inside)?.status, VerdictStatus::Valid);
    let outside = pki.issue(&Spec::leaf("/C=US/CN=Outside"), &mixed)?;
    assert_eq!(
        validate(&mixed, &[], &outside)?.status,
        VerdictStatus::ConstraintViolation
    );
    Ok(())
}

#[test]
fn name_constraint_work_is_bounded() -> Result<(), Error> {
    let mut pki = OpensslPki::new()?;
    // 200 permitted subtrees against a leaf with 100 email names: 20 000 comparisons at most,
    // more than the 16 384 allowed, refused at once rather than compared.
    let subtrees: Vec<String> = (0..200)
        .map(|i| format!("permitted;email:host{i}.gov.vn"))
        .collect();
    let root = pki.root(&Spec::ca("/CN=Many").with(&format!(
        "nameConstraints = critical,{}",
        subtrees.join(",")
    )))?;
    let names: Vec<String> = (0..100)
        .map(|i| format!("email:a{i}@host0.gov.vn"))
        .collect();
    let leaf = pki.issue(
        &Spec::leaf("/CN=Many names").with(&format!("subjectAltName = {}", names.join(","))),
        &root,
    )?;
    let started = std::time::Instant::now();
    let verdict = validate(&root, &[], &leaf)?;
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    assert_eq!(verdict.status, VerdictStatus::ConstraintViolation);
    let detail = failed_detail(&verdict, CheckKind::NameConstraints).unwrap_or_default();
    assert!(detail.contains("comparisons"), "{detail}");
    Ok(())
}
