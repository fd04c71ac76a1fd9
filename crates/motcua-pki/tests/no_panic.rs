//! Property test: no input makes the parser or the validator panic. Arbitrary bytes and
//! mutated (flipped, truncated, extended) certificates and CRLs are fed to both. Bounded to a
//! few seconds so that it runs with the normal tests.

mod common;

use std::sync::OnceLock;

use common::{now, Fixture};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
use motcua_pki::{parse_certificates, Purpose, RevocationPolicy};
use proptest::prelude::*;

struct Samples {
    fixture: Fixture,
    leaf: Vec<u8>,
    chain_pem: Vec<u8>,
    crl: Vec<u8>,
}

/// Built once: key generation is the slow part.
fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let pki = TestPki::new(KeySpec::EcP256, now()).expect("test PKI");
        let leaf = pki
            .issue(
                &pki.individual("Thân Văn Thuận", "024085001234")
                    .crl_url("http://127.0.0.1/ca.crl"),
            )
            .expect("leaf");
        let crl = pki
            .crl(&CrlSpec::current(now()).revoke(pki.root.certificate(), now(), None))
            .expect("CRL");
        let chain_pem = format!("{}{}", leaf.pem(), pki.issuing_ca.pem()).into_bytes();
        let fixture = Fixture::with_crl(pki, &CrlSpec::current(now())).expect("fixture");
        Samples {
            fixture,
            leaf: leaf.der().to_vec(),
            chain_pem,
            crl,
        }
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, mask: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Overwrite { at: usize, byte: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Overwrite { at, byte }),
    ]
}

fn mutate(original: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for mutation in mutations {
        let length = bytes.len().max(1);
        match mutation {
            Mutation::Flip { at, mask } => {
                if let Some(byte) = bytes.get_mut(at % length) {
                    *byte ^= mask;
                }
            }
            Mutation::Truncate { at } => bytes.truncate(at % length),
            Mutation::Insert {
                at,
                bytes: inserted,
            } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, inserted.iter().copied());
            }
            Mutation::Overwrite { at, byte } => {
                if let Some(target) = bytes.get_mut(at % length) {
                    *target = *byte;
                }
            }
        }
    }
    bytes
}

/// Parses `input` as certificates and validates each against the sample store.
fn parse_and_validate(input: &[u8]) {
    let samples = samples();
    if let Ok(certificates) = parse_certificates(input) {
        for certificate in &certificates {
            let info = certificate.info();
            let _ = (&info.subject.text, certificate.identifiers());
            for policy in [RevocationPolicy::Require, RevocationPolicy::BestEffort] {
                let verdict = samples.fixture.store.validate(
                    certificate,
                    &certificates,
                    now(),
                    Purpose::Signing,
                    policy,
                );
                let _ = serde_json::to_string(&verdict);
            }
        }
    }
}

/// Imports `input` as a CRL into a copy of the sample store and validates the leaf with it.
fn import_crl_and_validate(input: &[u8]) {
    let samples = samples();
    let mut store = samples.fixture.store.clone();
    if store.add_crl(input).is_ok() {
        if let Ok(leaf) = parse_certificates(&samples.leaf) {
            for certificate in &leaf {
                let _ = store.validate(
                    certificate,
                    &[],
                    now(),
                    Purpose::Signing,
                    RevocationPolicy::Require,
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_and_validate(&input);
        import_crl_and_validate(&input);
    }

    #[test]
    fn mutated_certificates_never_panic(mutations in prop::collection::vec(mutation(), 1..4)) {
        parse_and_validate(&mutate(&samples().leaf, &mutations));
        parse_and_validate(&mutate(&samples().chain_pem, &mutations));
    }

    #[test]
    fn mutated_crls_never_panic(mutations in prop::collection::vec(mutation(), 1..4)) {
        import_crl_and_validate(&mutate(&samples().crl, &mutations));
    }

    #[test]
    fn der_prefixes_never_panic(cut in any::<usize>(), tail in prop::collection::vec(any::<u8>(), 0..64)) {
        let leaf = &samples().leaf;
        let mut input = leaf.get(..cut % (leaf.len() + 1)).unwrap_or_default().to_vec();
        input.extend(tail);
        parse_and_validate(&input);
    }
}

#[test]
fn test_pki_survives_extreme_reference_times() {
    for reference in [
        chrono::DateTime::<chrono::Utc>::MIN_UTC,
        chrono::DateTime::<chrono::Utc>::MAX_UTC,
    ] {
        // Either a PKI or an error; never a panic.
        let _ = TestPki::new(KeySpec::EcP256, reference);
    }
}
