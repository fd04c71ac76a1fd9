//! Organisation signing through SoftHSM2 against the same key in software, with SoftHSM2's own
//! raw `C_Sign` rate measured in the same run.
//!
//! `cargo bench -p motcua-keys --bench pkcs11` (set `MOTCUA_BENCH_SECS` for longer rounds). For
//! each key (ECDSA P-256, RSA 2048), with as many threads as the pool has sessions:
//! - raw: each thread its own logged-in session calling `C_Sign` over a digest, nothing else;
//! - pool: `DeviceSigner::sign` (SHA-256 of the signed attributes, the queue, the session);
//! - software: `KeySigner::sign` with the same key in memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use motcua_keys::pkcs11::tokens::{fresh_softhsm_token, import_private_key};
use motcua_keys::pkcs11::{modules, pool, DeviceKey, DeviceSigner, PinSource};
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::testpki::{KeySpec, TestPki};

const THREADS: usize = 2;

/// The mechanism a raw `C_Sign` uses (made in each thread: it borrows nothing).
type MakeMechanism = fn() -> Mechanism<'static>;

fn round() -> Duration {
    let secs = std::env::var("MOTCUA_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

/// Signatures per second of `THREADS` threads each running `sign` for one round.
fn rate<F: Fn() + Send + Sync + 'static>(sign: F) -> f64 {
    let sign = Arc::new(sign);
    let started = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let sign = sign.clone();
            std::thread::spawn(move || {
                let mut count = 0u64;
                while started.elapsed() < round() {
                    sign();
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

/// `C_Sign` alone: a session per thread, logged in, the key found once.
fn raw_rate(device: &DeviceKey, mechanism: MakeMechanism, input: &[u8]) -> f64 {
    let started = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (device, input) = (device.clone(), input.to_vec());
            std::thread::spawn(move || {
                let module = modules::module(&device.module).unwrap();
                let slot = pool::find_token(&module, &device).unwrap();
                let session = modules::open_ro_session(&module, slot).unwrap();
                let pin = PinSource::parse(&device.pin_source)
                    .unwrap()
                    .read()
                    .unwrap();
                let _ = session.login(UserType::User, Some(&AuthPin::from(pin)));
                let label = device.key_label.clone().unwrap().into_bytes();
                let key = session
                    .find_objects(&[
                        Attribute::Class(ObjectClass::PRIVATE_KEY),
                        Attribute::Label(label),
                    ])
                    .unwrap()[0];
                let mechanism = mechanism();
                let mut count = 0u64;
                while started.elapsed() < round() {
                    session.sign(&mechanism, key, &input).unwrap();
                    count += 1;
                }
                count
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let pki = TestPki::new(KeySpec::EcP256, chrono::Utc::now()).unwrap();
    let to_be_signed = vec![0x31u8; 220]; // about the size of CMS signed attributes
    let digest = motcua_pki::cms::sha256(&to_be_signed).to_vec();
    let mut digest_info = vec![
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    digest_info.extend_from_slice(&digest);
    println!("threads: {THREADS}, round: {:?}", round());
    println!(
        "| key | raw C_Sign/s (before, after) | pool (DeviceSigner)/s | pool / raw | software (KeySigner)/s |"
    );
    println!("|---|---|---|---|---|");
    let cases: [(&str, KeySpec, MakeMechanism, Vec<u8>); 2] = [
        (
            "ECDSA P-256",
            KeySpec::EcP256,
            || Mechanism::Ecdsa,
            digest.clone(),
        ),
        (
            "RSA 2048",
            KeySpec::Rsa2048,
            || Mechanism::RsaPkcs,
            digest_info,
        ),
    ];
    for (name, spec, mechanism, input) in cases {
        let unit = pki
            .issue(
                &pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
                    .key(spec),
            )
            .unwrap();
        let label = format!("bench-{}", name.replace(' ', "-").to_lowercase());
        let mut device = fresh_softhsm_token(&label, "unit-key").unwrap();
        device.sessions = Some(THREADS as u32);
        import_private_key(&device, unit.private_key()).unwrap();

        let raw_before = raw_rate(&device, mechanism, &input);
        let signer = DeviceSigner::new(device.clone(), unit.certificate().clone()).unwrap();
        signer.probe().unwrap();
        let data = to_be_signed.clone();
        let pooled = rate(move || {
            signer.sign(&data).unwrap();
        });
        let software =
            KeySigner::new(unit.private_key().clone(), unit.certificate().clone()).unwrap();
        let data = to_be_signed.clone();
        let in_memory = rate(move || {
            software.sign(&data).unwrap();
        });
        // Measured on both sides of the others: the machine's load changes during a run.
        let raw_after = raw_rate(&device, mechanism, &input);
        let raw = (raw_before + raw_after) / 2.0;
        println!(
            "| {name} | {raw_before:.0}, {raw_after:.0} | {pooled:.0} | {:.0} % | {in_memory:.0} |",
            100.0 * pooled / raw
        );
    }
}
