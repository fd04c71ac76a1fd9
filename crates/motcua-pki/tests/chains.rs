//! The CA certificates a signature carries: the chain from the signer up to, not including, its
//! trust anchor, taken from the trust store and from certificates that came with the signer.

use chrono::Utc;
use motcua_pki::testpki::{CertSpec, KeySpec, NameSpec, TestPki};
use motcua_pki::{Certificate, TrustStore};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fingerprints(certificates: &[Certificate]) -> Vec<String> {
    certificates
        .iter()
        .map(|c| c.info().fingerprint_sha256.clone())
        .collect()
}

fn fingerprint(certificate: &Certificate) -> String {
    certificate.info().fingerprint_sha256.clone()
}

#[test]
fn intermediates_stop_below_the_trust_anchor() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, Utc::now())?;
    let official = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let issuing = pki.issuing_ca.certificate().clone();
    let root = pki.root.certificate().clone();

    // The store knows the issuing CA: it is returned, the root is not.
    let store = pki.trust_store()?;
    let chain = store.intermediates_for(official.certificate(), &[]);
    assert_eq!(fingerprints(&chain), [fingerprint(&issuing)]);
    // Certificates given with the signer (here the whole chain) change nothing.
    let with_extra =
        store.intermediates_for(official.certificate(), &[issuing.clone(), root.clone()]);
    assert_eq!(fingerprints(&with_extra), [fingerprint(&issuing)]);

    // A store of the root alone: the issuing CA comes from the certificates given.
    let mut roots_only = TrustStore::new();
    roots_only.add_root(root)?;
    assert!(roots_only
        .intermediates_for(official.certificate(), &[])
        .is_empty());
    let completed =
        roots_only.intermediates_for(official.certificate(), std::slice::from_ref(&issuing));
    assert_eq!(fingerprints(&completed), [fingerprint(&issuing)]);

    // A certificate issued by a trust anchor directly needs nothing more.
    let direct = pki
        .root
        .issue(&pki.individual("Nguyễn Văn A", "024085001235"))?;
    assert!(store
        .intermediates_for(direct.certificate(), &[])
        .is_empty());
    Ok(())
}

#[test]
fn a_deeper_hierarchy_gives_every_intermediate_issuing_ca_first() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, Utc::now())?;
    let name = NameSpec::new()
        .add("C", "VN")
        .add("O", TestPki::CA_ORGANISATION)
        .add("CN", "CA cấp dưới");
    let mut spec = CertSpec::certificate_authority(name, pki.now(), 1, 5);
    spec.key = KeySpec::EcP256;
    // The test PKI's issuing CA allows no CA below it; this one hangs off the root.
    let sub = pki.root.issue(&spec)?;
    let leaf_spec = pki.individual("Trần Thị B", "024085001236");
    let leaf = sub.issue(&leaf_spec)?;
    let store = pki.trust_store()?;
    // Unknown to the store and not given: the chain stops at the leaf.
    assert!(store.intermediates_for(leaf.certificate(), &[]).is_empty());
    let chain = store.intermediates_for(leaf.certificate(), &[sub.certificate().clone()]);
    assert_eq!(fingerprints(&chain), [fingerprint(sub.certificate())]);

    // Two levels below the root: both intermediates, nearest first.
    let mut deeper_spec = CertSpec::certificate_authority(
        NameSpec::new()
            .add("C", "VN")
            .add("O", TestPki::CA_ORGANISATION)
            .add("CN", "CA cấp ba"),
        pki.now(),
        1,
        4,
    );
    deeper_spec.key = KeySpec::EcP256;
    let deeper = sub.issue(&deeper_spec)?;
    let leaf = deeper.issue(&leaf_spec)?;
    let mut store = pki.trust_store()?;
    store.add_intermediate(sub.certificate().clone())?;
    let chain = store.intermediates_for(leaf.certificate(), &[deeper.certificate().clone()]);
    assert_eq!(
        fingerprints(&chain),
        [
            fingerprint(deeper.certificate()),
            fingerprint(sub.certificate())
        ]
    );
    Ok(())
}
