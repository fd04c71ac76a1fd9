//! Signing and verification throughput of PDF results (PAdES B-B, RSA 2048, 100 KB documents),
//! in process on every core, against `openssl speed -multi <cores> rsa2048` measured in
//! alternating rounds of the same run; and the peak memory of signing a 50 MB document.
//!
//! ```text
//! cargo bench -p motcua-pki --bench signing
//! ```

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use motcua_pki::cms::KeySigner;
use motcua_pki::pades::{sign_pdf, verify_pdf, PdfSignatureOptions};
use motcua_pki::testpki::{sample_pdf, KeySpec, TestPki};
use motcua_pki::RevocationPolicy;

/// The allocator of the service binaries, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rounds of signing, each followed by `openssl speed` for as long.
const SIGNING_ROUNDS: usize = 9;

/// Length of each throughput measurement (and of each `openssl speed` run): 2 s, or
/// `SIGNING_BENCH_SECONDS` (shorter runs under a profiler such as valgrind).
fn run_length() -> Duration {
    let seconds = std::env::var("SIGNING_BENCH_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(seconds)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let Ok(path) = std::env::var(MEMORY_CHILD) {
        return sign_large(&path);
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pki = TestPki::new(KeySpec::Rsa2048, Utc::now())?;
    let leader = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let unit =
        pki.issue(&pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"))?;
    let chain = vec![pki.issuing_ca.certificate().clone()];
    let document = document_of_size(100 * 1024);
    println!(
        "document: {} bytes, {cores} threads, {} s per measurement",
        document.len(),
        run_length().as_secs_f64()
    );

    // The machine's speed drifts (other work, frequency, a shared host's steal time): our rate
    // and openssl's are measured in alternating rounds. `openssl speed` divides by the CPU time
    // its processes used, so the ratio that compares like with like is ours per CPU second
    // (user and system time of the signing threads, which is stricter); the wall-clock rate is
    // printed beside it.
    let mut cpu_ratios = Vec::new();
    let mut wall_ratios = Vec::new();
    for round in 1..=SIGNING_ROUNDS {
        let signed = throughput(cores, || {
            let signer = KeySigner::new(unit.private_key().clone(), unit.certificate().clone())
                .expect("a signer");
            let (document, chain) = (document.clone(), chain.clone());
            move || {
                sign_pdf(
                    &document,
                    &signer,
                    &chain,
                    &PdfSignatureOptions::new(Utc::now()),
                )
                .expect("signed");
            }
        });
        match openssl_sign_rate(cores) {
            Some(limit) => {
                println!(
                    "round {round}: sign 100 KB PDF {:.0}/s of CPU time ({:.0}/s of wall time); openssl speed -multi {cores} rsa2048 {limit:.0} sign/s; {:.0} % ({:.0} % by wall time)",
                    signed.per_cpu_second,
                    signed.per_wall_second,
                    100.0 * signed.per_cpu_second / limit,
                    100.0 * signed.per_wall_second / limit,
                );
                cpu_ratios.push(signed.per_cpu_second / limit);
                wall_ratios.push(signed.per_wall_second / limit);
            }
            None => println!(
                "round {round}: sign 100 KB PDF {:.0}/s (openssl speed not available)",
                signed.per_cpu_second
            ),
        }
    }
    if let (Some(cpu), Some(wall)) = (median(&mut cpu_ratios), median(&mut wall_ratios)) {
        println!(
            "sign 100 KB PDF: median {:.0} % of openssl speed over {} rounds, by CPU time like openssl (lowest {:.0} %, highest {:.0} %); by wall time {:.0} %",
            100.0 * cpu,
            cpu_ratios.len(),
            100.0 * cpu_ratios.first().copied().unwrap_or_default(),
            100.0 * cpu_ratios.last().copied().unwrap_or_default(),
            100.0 * wall,
        );
    }

    let leader_signer = KeySigner::new(leader.private_key().clone(), leader.certificate().clone())?;
    let unit_signer = KeySigner::new(unit.private_key().clone(), unit.certificate().clone())?;
    let once = sign_pdf(
        &document,
        &leader_signer,
        &chain,
        &PdfSignatureOptions::new(Utc::now()),
    )?;
    let twice = sign_pdf(
        &once,
        &unit_signer,
        &chain,
        &PdfSignatureOptions::new(Utc::now()),
    )?;
    let mut store = pki.trust_store()?;
    store.add_crl(&pki.root_crl(&motcua_pki::testpki::CrlSpec::current(pki.now()))?)?;
    store.add_crl(&pki.crl(&motcua_pki::testpki::CrlSpec::current(pki.now()))?)?;
    let verified = throughput(cores, || {
        let (twice, store) = (twice.clone(), store.clone());
        move || {
            let reports = verify_pdf(&twice, &store, &[], Utc::now(), RevocationPolicy::Require)
                .expect("verified");
            assert_eq!(reports.len(), 2);
        }
    });
    println!(
        "verify 100 KB PDF with two signatures: {:.0}/s of wall time ({:.0}/s of CPU time on {cores} cores)",
        verified.per_wall_second, verified.per_cpu_second
    );

    // In a process of its own: this one's allocator keeps the memory it freed, which would
    // hide what signing takes.
    let large = tempfile::NamedTempFile::new()?;
    std::fs::write(large.path(), document_of_size(50 * 1024 * 1024))?;
    let child = Command::new(std::env::current_exe()?)
        .env(MEMORY_CHILD, large.path())
        .output()?;
    print!("{}", String::from_utf8_lossy(&child.stdout));
    Ok(())
}

/// Set in the process that signs the 50 MB document, to the document's path.
const MEMORY_CHILD: &str = "SIGNING_BENCH_MEMORY_OF";

/// Signs the document at `path` and prints how much the peak resident memory grew meanwhile.
fn sign_large(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let pki = TestPki::new(KeySpec::Rsa2048, Utc::now())?;
    let unit =
        pki.issue(&pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"))?;
    let signer = KeySigner::new(unit.private_key().clone(), unit.certificate().clone())?;
    let chain = vec![pki.issuing_ca.certificate().clone()];
    let large = std::fs::read(path)?;
    // Forget the peak reached before (Linux: "5" resets VmHWM).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_rss_kib();
    let signed = sign_pdf(
        &large,
        &signer,
        &chain,
        &PdfSignatureOptions::new(Utc::now()),
    )?;
    let after = peak_rss_kib();
    println!(
        "sign 50 MB PDF: peak RSS grew by {:.0} MiB while signing ({:.1} × the file), output {} MiB",
        (after.saturating_sub(before)) as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 * 1024.0 / large.len() as f64,
        signed.len() / (1024 * 1024)
    );
    Ok(())
}

/// A one-page PDF of about `size` bytes (a long text line).
fn document_of_size(size: usize) -> Vec<u8> {
    sample_pdf(&"VIET YEN ".repeat(size / 9))
}

/// How fast some work ran on every core.
struct Rate {
    /// Operations per second of elapsed time.
    per_wall_second: f64,
    /// Operations per second of CPU time on each core (cores × operations ÷ CPU seconds of the
    /// workers), the way `openssl speed -multi` adds up its processes' rates.
    per_cpu_second: f64,
}

/// Runs one worker per core, each built by `make`, for [`run_length`].
fn throughput<W: FnMut() + Send + 'static>(cores: usize, mut make: impl FnMut() -> W) -> Rate {
    let run = run_length();
    let started = Instant::now();
    let workers: Vec<_> = (0..cores)
        .map(|_| {
            let mut work = make();
            std::thread::spawn(move || {
                let cpu_before = thread_cpu_seconds();
                let mut count = 0u64;
                while started.elapsed() < run {
                    work();
                    count += 1;
                }
                (count, thread_cpu_seconds() - cpu_before)
            })
        })
        .collect();
    let (count, cpu_seconds) = workers
        .into_iter()
        .map(|worker| worker.join().unwrap_or((0, 0.0)))
        .fold((0u64, 0.0), |(count, cpu), (n, seconds)| {
            (count + n, cpu + seconds)
        });
    Rate {
        per_wall_second: count as f64 / started.elapsed().as_secs_f64(),
        per_cpu_second: cores as f64 * count as f64 / cpu_seconds.max(f64::EPSILON),
    }
}

/// CPU time (user and system) of the calling thread, from the Linux scheduler's statistics.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |nanoseconds| nanoseconds / 1e9)
}

/// Sorts `values` and returns the middle one.
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

fn openssl_sign_rate(cores: usize) -> Option<f64> {
    let output = Command::new("openssl")
        .args([
            "speed",
            "-multi",
            &cores.to_string(),
            "-seconds",
            &run_length().as_secs().max(1).to_string(),
            "rsa2048",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("rsa 2048 bits") || l.starts_with("rsa  2048 bits"))?;
    line.split_whitespace().rev().nth(1)?.parse().ok()
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
