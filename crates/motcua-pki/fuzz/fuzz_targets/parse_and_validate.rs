//! Feeds arbitrary bytes to the certificate parser, the CRL importer and the validator.
#![no_main]

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
use motcua_pki::{parse_certificates, Purpose, RevocationPolicy, TrustStore};

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap_or_default()
}

/// A store with the test hierarchy and its CRLs, built once per fuzzing process.
fn store() -> &'static TrustStore {
    static STORE: OnceLock<TrustStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let build = || -> Result<TrustStore, motcua_pki::PkiError> {
            let pki = TestPki::new(KeySpec::EcP256, at())?;
            let mut store = pki.trust_store()?;
            store.add_crl(&pki.root_crl(&CrlSpec::current(at()))?)?;
            store.add_crl(&pki.crl(&CrlSpec::current(at()))?)?;
            Ok(store)
        };
        build().unwrap_or_default()
    })
}

fuzz_target!(|data: &[u8]| {
    let store = store();
    if let Ok(certificates) = parse_certificates(data) {
        for certificate in &certificates {
            let verdict = store.validate(
                certificate,
                &certificates,
                at(),
                Purpose::Signing,
                RevocationPolicy::Require,
            );
            let _ = verdict.summary.len();
        }
    }
    let mut with_crl = store.clone();
    let _ = with_crl.add_crl(data);
});
