//! Every verdict status, built with the test PKI.

mod common;

use common::{days, now, outcome, Fixture, TestResult};
use motcua_pki::testpki::{CertSpec, CrlSpec, KeySpec, NameSpec, TestPki};
use motcua_pki::{
    CheckKind, HashAlg, IdentifierKind, Outcome, PkiError, Purpose, RevocationPolicy,
    RevocationReason, TrustStore, VerdictStatus,
};

#[test]
fn individual_rsa_certificate_is_valid() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let official = fixture.official()?;
    let verdict = fixture.validate(official.certificate());
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    assert_eq!(verdict.chain.len(), 3);
    assert!(verdict.chain[2].trust_anchor);
    assert!(verdict.chain[0].subject.contains("CN=Thân Văn Thuận"));
    assert!(verdict.failures().next().is_none());
    for subject in ["Thân Văn Thuận", TestPki::ISSUING_CA_NAME] {
        assert_eq!(
            outcome(&verdict, CheckKind::Signature, subject),
            Some(Outcome::Passed)
        );
        assert_eq!(
            outcome(&verdict, CheckKind::Revocation, subject),
            Some(Outcome::Passed)
        );
    }
    assert_eq!(
        outcome(&verdict, CheckKind::TrustAnchor, TestPki::ROOT_NAME),
        Some(Outcome::Passed)
    );
    assert!(verdict.summary.starts_with("valid at"));
    Ok(())
}

#[test]
fn organisation_ecdsa_p256_certificate_is_valid() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let spec = fixture
        .pki
        .organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
        .identifier(IdentifierKind::TaxCode, "2400123456")
        .key(KeySpec::EcP256);
    let commune = fixture.pki.issue(&spec)?;
    let verdict = fixture.validate(commune.certificate());
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    assert_eq!(
        commune.certificate().info().key_curve.as_deref(),
        Some("P-256")
    );
    Ok(())
}

#[test]
fn ecdsa_p384_with_sha384_is_valid() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP384)?;
    let mut spec = fixture
        .pki
        .individual("Vũ Thị Lan", "001190004568")
        .key(KeySpec::EcP384);
    spec.digest = HashAlg::Sha384;
    let leaf = fixture.pki.issue(&spec)?;
    let info = leaf.certificate().info();
    assert_eq!(info.signature_algorithm, "ecdsa-with-SHA384");
    assert_eq!(info.key_curve.as_deref(), Some("P-384"));
    assert_eq!(
        fixture.validate(leaf.certificate()).status,
        VerdictStatus::Valid
    );
    Ok(())
}

#[test]
fn rsa_pss_and_sha384_signatures_verify() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let mut spec = fixture
        .pki
        .individual("Nguyễn Thị Hoa", "001190004567")
        .rsa_pss();
    spec.digest = HashAlg::Sha384;
    let leaf = fixture.pki.issue(&spec)?;
    assert!(leaf
        .certificate()
        .info()
        .signature_algorithm
        .contains("PSS"));
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");

    let mut spec = fixture.pki.individual("Nguyễn Thị Hoa", "001190004567");
    spec.digest = HashAlg::Sha512;
    let leaf = fixture.pki.issue(&spec)?;
    assert_eq!(
        fixture.validate(leaf.certificate()).status,
        VerdictStatus::Valid
    );
    Ok(())
}

#[test]
fn rsa_3072_hierarchy_is_valid() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa3072)?;
    let leaf = fixture.pki.issue(
        &fixture
            .pki
            .individual("Lê Văn Tám", "024085009999")
            .key(KeySpec::Rsa3072),
    )?;
    assert_eq!(leaf.certificate().info().key_bits, Some(3072));
    assert_eq!(
        fixture.validate(leaf.certificate()).status,
        VerdictStatus::Valid
    );
    Ok(())
}

#[test]
fn expired_certificate() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let leaf = fixture.pki.issue(
        &fixture
            .pki
            .individual("Trần Văn Cũ", "001085000001")
            .expired(),
    )?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::Expired);
    assert_eq!(
        outcome(&verdict, CheckKind::Validity, "Trần Văn Cũ"),
        Some(Outcome::Failed)
    );
    assert!(verdict.summary.contains("expired"), "{}", verdict.summary);
    // It was valid while it was valid.
    let before = fixture.validate_at(leaf.certificate(), now() - days(30));
    assert_eq!(before.status, VerdictStatus::Valid, "{before:#?}");
    Ok(())
}

#[test]
fn not_yet_valid_certificate() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let leaf = fixture.pki.issue(
        &fixture
            .pki
            .individual("Phạm Văn Mới", "001085000002")
            .not_yet_valid(),
    )?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::NotYetValid);
    Ok(())
}

#[test]
fn revoked_certificate() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Đỗ Thị Thu", "001085000003"))?;
    let revoked_at = now() - days(2);
    let crl = CrlSpec::current(now()).revoke(
        leaf.certificate(),
        revoked_at,
        Some(RevocationReason::KeyCompromise),
    );
    let fixture = Fixture::with_crl(pki, &crl)?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::Revoked);
    let revocation = verdict
        .revocation
        .as_ref()
        .ok_or("revocation info missing")?;
    assert_eq!(revocation.revoked_at, revoked_at);
    assert_eq!(revocation.reason, Some(RevocationReason::KeyCompromise));
    assert_eq!(revocation.serial, leaf.certificate().info().serial);
    assert!(
        verdict.summary.contains("key_compromise"),
        "{}",
        verdict.summary
    );
    Ok(())
}

#[test]
fn certificate_from_unknown_issuer_is_untrusted() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let leaf = fixture
        .pki
        .issue_by_unknown_ca(&fixture.pki.individual("Vô Danh", "001085000004"))?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::Untrusted, "{verdict:#?}");
    assert_eq!(verdict.chain.len(), 1);
    assert_eq!(
        outcome(&verdict, CheckKind::TrustAnchor, "Vô Danh"),
        Some(Outcome::Failed)
    );
    assert_eq!(
        outcome(&verdict, CheckKind::Signature, "Vô Danh"),
        Some(Outcome::Skipped)
    );
    Ok(())
}

#[test]
fn self_signed_certificate_is_untrusted_even_when_supplied() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let name = NameSpec::new()
        .add("C", "VN")
        .add("CN", "RootCA chuyên dùng Chính phủ G2");
    let impostor = motcua_pki::testpki::TestCert::self_signed(&CertSpec::certificate_authority(
        name,
        now(),
        1,
        5,
    ))?;
    let leaf = impostor.issue(&fixture.pki.individual("Giả Mạo", "001085000005"))?;
    let verdict = fixture.store.validate(
        leaf.certificate(),
        &[impostor.certificate().clone()],
        now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(verdict.status, VerdictStatus::Untrusted, "{verdict:#?}");
    assert_eq!(verdict.chain.len(), 2);
    assert!(!verdict.chain[1].trust_anchor);
    Ok(())
}

#[test]
fn corrupted_signature_is_bad_signature() -> TestResult {
    let fixture = Fixture::new(KeySpec::Rsa2048)?;
    let leaf = fixture.pki.issue(
        &fixture
            .pki
            .individual("Lỗi Chữ Ký", "001085000006")
            .bad_signature(),
    )?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::BadSignature, "{verdict:#?}");
    assert_eq!(
        outcome(&verdict, CheckKind::Signature, "Lỗi Chữ Ký"),
        Some(Outcome::Failed)
    );
    // The chain is still shown, up to the root.
    assert_eq!(verdict.chain.len(), 3);
    Ok(())
}

#[test]
fn wrong_key_usage_for_signing() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let leaf = fixture.pki.issue(
        &fixture
            .pki
            .individual("Mã Hóa", "001085000007")
            .wrong_key_usage(),
    )?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::WrongKeyUsage);
    assert_eq!(
        outcome(&verdict, CheckKind::KeyUsage, "Mã Hóa"),
        Some(Outcome::Failed)
    );
    // The chain itself is sound.
    let any = fixture.store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Any,
        RevocationPolicy::Require,
    );
    assert_eq!(any.status, VerdictStatus::Valid, "{any:#?}");
    Ok(())
}

#[test]
fn extended_key_usage_allow_list() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let cases = [
        (vec!["1.3.6.1.5.5.7.3.3"], VerdictStatus::WrongKeyUsage), // codeSigning
        (
            vec!["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
            VerdictStatus::WrongKeyUsage,
        ), // TLS
        (vec!["1.3.6.1.5.5.7.3.36"], VerdictStatus::Valid),        // documentSigning
        (
            vec!["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4"],
            VerdictStatus::Valid,
        ), // clientAuth + emailProtection
        (vec!["2.5.29.37.0"], VerdictStatus::Valid),               // anyExtendedKeyUsage
    ];
    for (usages, expected) in cases {
        let spec = fixture
            .pki
            .individual("Kiểm Tra EKU", "001085000008")
            .extended_key_usage(&usages);
        let leaf = fixture.pki.issue(&spec)?;
        let verdict = fixture.validate(leaf.certificate());
        assert_eq!(verdict.status, expected, "{usages:?}: {}", verdict.summary);
    }
    Ok(())
}

#[test]
fn missing_crl_is_revocation_unknown_unless_best_effort() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Không CRL", "001085000009"))?;
    let mut store = pki.trust_store()?;
    store.add_crl(&pki.root_crl(&CrlSpec::current(now()))?)?;
    let required = store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(required.status, VerdictStatus::RevocationUnknown);
    assert_eq!(
        outcome(&required, CheckKind::Revocation, "Không CRL"),
        Some(Outcome::Failed)
    );

    let best_effort = store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(best_effort.status, VerdictStatus::Valid);
    assert_eq!(
        outcome(&best_effort, CheckKind::Revocation, "Không CRL"),
        Some(Outcome::Skipped)
    );
    assert!(
        best_effort.summary.contains("revocation not checked"),
        "{}",
        best_effort.summary
    );
    Ok(())
}

#[test]
fn unknown_critical_extension_is_a_constraint_violation() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let leaf = fixture.pki.issue(
        &fixture
            .pki
            .individual("Mở Rộng Lạ", "001085000010")
            .unknown_critical_extension(),
    )?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::ConstraintViolation);
    assert_eq!(
        outcome(&verdict, CheckKind::CriticalExtensions, "Mở Rộng Lạ"),
        Some(Outcome::Failed)
    );
    Ok(())
}

#[test]
fn end_entity_cannot_issue_certificates() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let official = fixture.official()?;
    let forged = official.issue(&fixture.pki.individual("Cấp Sai", "001085000011"))?;
    let verdict = fixture.store.validate(
        forged.certificate(),
        &[official.certificate().clone()],
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(
        verdict.status,
        VerdictStatus::ConstraintViolation,
        "{verdict:#?}"
    );
    assert_eq!(
        outcome(&verdict, CheckKind::BasicConstraints, "Thân Văn Thuận"),
        Some(Outcome::Failed)
    );
    assert_eq!(
        outcome(&verdict, CheckKind::KeyUsage, "Thân Văn Thuận"),
        Some(Outcome::Failed)
    );
    Ok(())
}

#[test]
fn path_length_constraint_is_enforced() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    // The issuing CA has pathLenConstraint 0: it may not certify another CA.
    let name = NameSpec::new().add("C", "VN").add("CN", "CA cấp dưới");
    let sub_ca = fixture
        .pki
        .issue(&CertSpec::certificate_authority(name, now(), 1, 5))?;
    let leaf = sub_ca.issue(&fixture.pki.individual("Sâu Quá", "001085000012"))?;
    let verdict = fixture.store.validate(
        leaf.certificate(),
        &[sub_ca.certificate().clone()],
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(
        verdict.status,
        VerdictStatus::ConstraintViolation,
        "{verdict:#?}"
    );
    assert_eq!(
        outcome(&verdict, CheckKind::PathLength, TestPki::ISSUING_CA_NAME),
        Some(Outcome::Failed)
    );
    Ok(())
}

#[test]
fn precedence_between_problems() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let revoked_and_expired = pki.issue(&pki.individual("Hai Lỗi", "001085000013").expired())?;
    let forged_and_expired = pki.issue(
        &pki.individual("Ba Lỗi", "001085000014")
            .expired()
            .bad_signature(),
    )?;
    let crl =
        CrlSpec::current(now()).revoke(revoked_and_expired.certificate(), now() - days(100), None);
    let fixture = Fixture::with_crl(pki, &crl)?;

    let verdict = fixture.validate(revoked_and_expired.certificate());
    assert_eq!(verdict.status, VerdictStatus::Revoked);
    assert_eq!(
        outcome(&verdict, CheckKind::Validity, "Hai Lỗi"),
        Some(Outcome::Failed)
    );

    let verdict = fixture.validate(forged_and_expired.certificate());
    assert_eq!(verdict.status, VerdictStatus::BadSignature);
    assert!(VerdictStatus::BadSignature < VerdictStatus::Untrusted);
    assert!(VerdictStatus::Revoked < VerdictStatus::Expired);
    assert!(VerdictStatus::Expired < VerdictStatus::RevocationUnknown);
    Ok(())
}

#[test]
fn expired_issuing_ca_fails_the_leaf() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let name = NameSpec::new().add("C", "VN").add("CN", "CA hết hạn");
    let expired_ca = fixture
        .pki
        .root
        .issue(&CertSpec::certificate_authority(name, now(), 3, 1).expired())?;
    let leaf = expired_ca.issue(&fixture.pki.individual("Nạn Nhân", "001085000015"))?;
    let verdict = fixture.store.validate(
        leaf.certificate(),
        &[expired_ca.certificate().clone()],
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(verdict.status, VerdictStatus::Expired);
    assert_eq!(
        outcome(&verdict, CheckKind::Validity, "CA hết hạn"),
        Some(Outcome::Failed)
    );
    assert_eq!(
        outcome(&verdict, CheckKind::Validity, "Nạn Nhân"),
        Some(Outcome::Passed)
    );
    Ok(())
}

#[test]
fn intermediates_supplied_with_the_leaf() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Kèm Chuỗi", "001085000016"))?;
    let mut store = TrustStore::new();
    store.add_root(pki.root.certificate().clone())?;
    store.add_crl(&pki.root_crl(&CrlSpec::current(now()))?)?;
    let supplied = [pki.issuing_ca.certificate().clone()];

    let without = store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(without.status, VerdictStatus::Untrusted);

    let verdict = store.validate(
        leaf.certificate(),
        &supplied,
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    assert_eq!(verdict.chain.len(), 3);
    // The issuing CA's CRL cannot be imported without the CA in the store, so under the
    // default policy the leaf's revocation status is unknown.
    let required = store.validate(
        leaf.certificate(),
        &supplied,
        now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(required.status, VerdictStatus::RevocationUnknown);
    Ok(())
}

#[test]
fn rekeyed_issuing_ca_is_chosen_by_key_identifier() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let name = NameSpec::new()
        .add("C", "VN")
        .add("O", TestPki::CA_ORGANISATION)
        .add("CN", TestPki::ISSUING_CA_NAME);
    let rekeyed = fixture
        .pki
        .root
        .issue(&CertSpec::certificate_authority(name, now(), 1, 10))?;
    let leaf = rekeyed.issue(&fixture.pki.individual("Khóa Mới", "001085000017"))?;
    let mut store = fixture.store.clone();
    store.add_intermediate(rekeyed.certificate().clone())?;
    store.add_crl(&rekeyed.crl(&CrlSpec::current(now()))?)?;
    let verdict = store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    assert_eq!(
        verdict.chain[1].fingerprint_sha256,
        rekeyed.certificate().info().fingerprint_sha256
    );
    // The old CA's certificates still validate too.
    let old = fixture.official()?;
    assert_eq!(
        store
            .validate(
                old.certificate(),
                &[],
                now(),
                Purpose::Signing,
                RevocationPolicy::Require
            )
            .status,
        VerdictStatus::Valid
    );
    Ok(())
}

#[test]
fn verdict_serializes_in_snake_case() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Đỗ Thị Thu", "001085000018"))?;
    let crl = CrlSpec::current(now()).revoke(
        leaf.certificate(),
        now() - days(1),
        Some(RevocationReason::CessationOfOperation),
    );
    let fixture = Fixture::with_crl(pki, &crl)?;
    let json = serde_json::to_value(fixture.validate(leaf.certificate()))?;
    assert_eq!(json["status"], "revoked");
    assert_eq!(json["revocation"]["reason"], "cessation_of_operation");
    assert_eq!(json["purpose"], "signing");
    assert_eq!(json["revocation_policy"], "require");
    let checks = json["checks"].as_array().ok_or("checks is not an array")?;
    assert!(checks
        .iter()
        .any(|check| check["check"] == "revocation" && check["outcome"] == "failed"));
    assert!(checks
        .iter()
        .any(|check| check["check"] == "trust_anchor" && check["outcome"] == "passed"));
    let status: VerdictStatus = serde_json::from_str("\"not_yet_valid\"")?;
    assert_eq!(status, VerdictStatus::NotYetValid);
    let status: VerdictStatus = serde_json::from_str("\"revocation_unknown\"")?;
    assert_eq!(status, VerdictStatus::RevocationUnknown);
    Ok(())
}

#[test]
fn store_validates_concurrently() -> TestResult {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<TrustStore>();
    assert_send_sync::<motcua_pki::Certificate>();
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let official = fixture.official()?;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    (0..20)
                        .map(|_| fixture.validate(official.certificate()).status)
                        .all(|status| status == VerdictStatus::Valid)
                })
            })
            .collect();
        for worker in workers {
            assert!(worker.join().unwrap_or(false));
        }
    });
    Ok(())
}

#[test]
fn only_ca_certificates_enter_the_store() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let official = fixture.official()?;
    let mut store = TrustStore::new();
    let error = store
        .add_root(official.certificate().clone())
        .err()
        .ok_or("accepted a leaf as root")?;
    assert!(matches!(error, PkiError::NotCa { .. }), "{error}");
    assert!(error.to_string().contains("Thân Văn Thuận"));
    Ok(())
}

/// A self-signed certificate carrying the trusted root's name and another key: it cannot enter
/// the store (not as a second root, not as an intermediate), and a leaf it issued is untrusted,
/// with a reason that says the chain ends at a look-alike of the root.
#[test]
fn look_alike_root_is_refused_and_named() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let pki = &fixture.pki;
    let root_name = NameSpec::new()
        .add("C", "VN")
        .add("O", TestPki::CA_ORGANISATION)
        .add("CN", TestPki::ROOT_NAME);
    let look_alike = motcua_pki::testpki::TestCert::self_signed(&CertSpec::certificate_authority(
        root_name,
        now(),
        5,
        20,
    ))?;
    let leaf = look_alike.issue(&pki.individual("Giả Mạo", "001085000099"))?;

    let verdict = fixture.store.validate(
        leaf.certificate(),
        &[look_alike.certificate().clone()],
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(verdict.status, VerdictStatus::Untrusted, "{verdict:#?}");
    assert!(
        verdict.summary.contains(&format!(
            "named like the trusted root CN={}, O={}, C=VN but with another key",
            TestPki::ROOT_NAME,
            TestPki::CA_ORGANISATION
        )) && verdict
            .summary
            .contains(&look_alike.certificate().info().fingerprint_sha256),
        "{}",
        verdict.summary
    );
    // The signatures that were checked all verify: nothing is blamed on the real root.
    assert_eq!(verdict.chain.len(), 2);
    assert!(verdict
        .failures()
        .all(|check| check.check == CheckKind::TrustAnchor));

    let mut store = fixture.store.clone();
    let collision = store.add_root(look_alike.certificate().clone());
    assert!(
        matches!(&collision, Err(PkiError::AnchorCollision { held_fingerprint, .. })
            if *held_fingerprint == pki.root.certificate().info().fingerprint_sha256),
        "{collision:?}"
    );
    let as_intermediate = store.add_intermediate(look_alike.certificate().clone());
    assert!(
        matches!(
            as_intermediate,
            Err(PkiError::SelfSignedIntermediate { .. })
        ),
        "{as_intermediate:?}"
    );
    // The real root again is no collision.
    store.add_root(pki.root.certificate().clone())?;
    Ok(())
}

/// A leaf whose own signature is damaged still fails as a bad signature on the anchored chain,
/// not as an untrusted partial chain.
#[test]
fn damaged_leaf_signature_is_still_a_bad_signature() -> TestResult {
    let fixture = Fixture::new(KeySpec::EcP256)?;
    let leaf = fixture.pki.issue(
        &fixture
            .pki
            .individual("Hỏng Chữ Ký", "001085000098")
            .bad_signature(),
    )?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::BadSignature, "{verdict:#?}");
    assert_eq!(verdict.chain.len(), 3);
    Ok(())
}
