//! Validation throughput of a three-level chain (root → issuing CA → leaf) against a 10 000-entry
//! CRL, on one thread, compared with the `openssl verify` command.
//!
//! Run with:
//!
//! ```text
//! cargo bench -p motcua-pki --bench validate
//! ```
//!
//! The `openssl verify` figures include starting a process and loading the files each time; the
//! batch figure verifies many certificates in one process, which is the fairer comparison.

use std::error::Error;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
use motcua_pki::{
    Certificate, Purpose, RevocationPolicy, RevocationReason, TrustStore, VerdictStatus,
};
use openssl::x509::X509Crl;

const CRL_ENTRIES: u32 = 10_000;
const MEASURE_FOR: Duration = Duration::from_secs(3);
const CLI_RUNS: u32 = 50;
const CLI_BATCH: usize = 200;

fn main() -> Result<(), Box<dyn Error>> {
    let now = Utc::now();
    println!("motcua-pki validation benchmark (one thread)");
    for key in [KeySpec::Rsa2048, KeySpec::EcP256] {
        bench_key_type(key, now)?;
    }
    Ok(())
}

fn bench_key_type(key: KeySpec, now: DateTime<Utc>) -> Result<(), Box<dyn Error>> {
    println!("\n== CA keys {key:?}, CRL of {CRL_ENTRIES} entries ==");
    let pki = TestPki::new(key, now)?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;

    let started = Instant::now();
    let issuing_crl = pki.crl(&large_crl(now))?;
    let root_crl = pki.root_crl(&CrlSpec::current(now))?;
    println!(
        "CRL built and signed:            {:>10.1} ms ({} KiB)",
        millis(started.elapsed()),
        issuing_crl.len() / 1024
    );
    let mut store = pki.trust_store()?;
    store.add_crl(&root_crl)?;
    let started = Instant::now();
    store.add_crl(&issuing_crl)?;
    println!(
        "CRL imported (parse, verify, index): {:>5.1} ms",
        millis(started.elapsed())
    );

    let (count, elapsed) = measure(&store, leaf.certificate(), now)?;
    let per_second = count as f64 / elapsed.as_secs_f64();
    println!(
        "motcua-pki validate:             {per_second:>10.0} validations/s ({:.1} µs each, {count} runs)",
        1e6 / per_second
    );

    let directory = tempfile::tempdir()?;
    let files = directory.path();
    std::fs::write(files.join("root.pem"), pki.root.pem())?;
    std::fs::write(files.join("ca.pem"), pki.issuing_ca.pem())?;
    let mut crls = X509Crl::from_der(&root_crl)?.to_pem()?;
    crls.extend(X509Crl::from_der(&issuing_crl)?.to_pem()?);
    std::fs::write(files.join("crls.pem"), crls)?;
    std::fs::write(files.join("leaf.pem"), leaf.pem())?;

    let started = Instant::now();
    for _ in 0..CLI_RUNS {
        openssl_verify(files, &["leaf.pem".to_owned()])?;
    }
    let per_run = started.elapsed() / CLI_RUNS;
    println!(
        "openssl verify, one process per certificate: {:>6.2} ms per certificate ({CLI_RUNS} runs, includes process start and CRL loading)",
        millis(per_run)
    );

    let mut names = Vec::with_capacity(CLI_BATCH);
    for index in 0..CLI_BATCH {
        let spec = pki
            .individual("Thân Văn Thuận", &format!("{index:012}"))
            .key(KeySpec::EcP256);
        let name = format!("leaf-{index}.pem");
        std::fs::write(files.join(&name), pki.issue(&spec)?.pem())?;
        names.push(name);
    }
    let started = Instant::now();
    openssl_verify(files, &names)?;
    let batch = started.elapsed();
    println!(
        "openssl verify, {CLI_BATCH} certificates in one process: {:>6.3} ms per certificate ({:.0} certificates/s)",
        millis(batch) / CLI_BATCH as f64,
        CLI_BATCH as f64 / batch.as_secs_f64()
    );
    Ok(())
}

/// A current CRL of the issuing CA listing `CRL_ENTRIES` other serials.
fn large_crl(now: DateTime<Utc>) -> CrlSpec {
    (0..CRL_ENTRIES).fold(CrlSpec::current(now), |spec, index| {
        let mut serial = vec![0x5a; 12];
        serial.extend_from_slice(&index.to_be_bytes());
        spec.revoke_serial(
            serial,
            now - chrono::Duration::days(1),
            Some(RevocationReason::Superseded),
        )
    })
}

/// Validates repeatedly for `MEASURE_FOR`; returns the count and the time taken.
fn measure(
    store: &TrustStore,
    leaf: &Certificate,
    now: DateTime<Utc>,
) -> Result<(u64, Duration), Box<dyn Error>> {
    let validate = || store.validate(leaf, &[], now, Purpose::Signing, RevocationPolicy::Require);
    let verdict = validate();
    if verdict.status != VerdictStatus::Valid {
        return Err(format!("benchmark chain is not valid: {}", verdict.summary).into());
    }
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < MEASURE_FOR {
        for _ in 0..100 {
            std::hint::black_box(validate());
        }
        count += 100;
    }
    Ok((count, started.elapsed()))
}

fn openssl_verify(files: &Path, leaves: &[String]) -> Result<(), Box<dyn Error>> {
    let output = Command::new("openssl")
        .current_dir(files)
        .args([
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "ca.pem",
            "-crl_check_all",
            "-CRLfile",
            "crls.pem",
            "-purpose",
            "any",
        ])
        .args(leaves)
        .output()?;
    let ok = String::from_utf8_lossy(&output.stdout)
        .matches(": OK")
        .count();
    if !output.status.success() || ok != leaves.len() {
        return Err(format!(
            "openssl verify failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(())
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
