//! Feeds arbitrary bytes to the PDF signature verification, within a budget of one second: no
//! input may make it panic or run past its budget (libFuzzer's `-timeout` catches the latter).
//!
//! Seed it with real signed PDFs, written by a test of the crate:
//!
//! ```text
//! cd crates/motcua-pki
//! cargo test --test hostile_pdfs -- --ignored write_fuzz_seeds
//! cargo +nightly fuzz run verify_pdf fuzz/corpus/verify_pdf -- -timeout=10
//! ```
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use motcua_pki::pades::{verify_pdf_with, VerifyOptions};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
use motcua_pki::{Budget, RevocationPolicy, TrustStore};

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
    let options = VerifyOptions::new(store(), at(), RevocationPolicy::Require)
        .budget(Budget::new(Duration::from_secs(1)));
    if let Ok(reports) = verify_pdf_with(data, &options) {
        for report in &reports {
            let _ = (
                report.report.summary.len(),
                report.modifications.len(),
                report.changes_after,
            );
        }
    }
});
