//! Long-term signatures (PAdES B-LT and B-LTA) of 100 KB electronic results, RSA 2048 keys:
//!
//! - (a) B-LT signing per document against B-B in the same run, by CPU time of the signing
//!   thread, with motcua's `TimestampAuthority` in process and the validation data prepared in
//!   memory; then the same with the authority behind HTTP on loopback, to show the wait;
//! - (b) archive renewal (`renew_archive_timestamp`) on 2 worker threads with the authority on
//!   loopback, against `openssl speed -seconds 3 rsa2048` measured in the same run;
//! - (c) verification of B-LTA documents on 2 threads, no network.
//!
//! ```text
//! cargo bench -p motcua-pki --bench long_term      # LONG_TERM_BENCH_SECONDS=3 by default
//! ```

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use der::{Decode, Encode};
use motcua_pki::archival::{ArchivalServices, ValidationData};
use motcua_pki::cms::KeySigner;
use motcua_pki::pades::{renew_archive_timestamp, verify_pdf, SignatureLevel, SignatureRequest};
use motcua_pki::testpki::tsa::{TsaServer, TsaServerOptions};
use motcua_pki::testpki::{sample_pdf, CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::tsp::{timestamp_request, TimestampAuthority, TsaClient, TsaConfig, TsaEndpoint};
use motcua_pki::{Certificate, PkiError, RevocationPolicy, TrustStore};
use tokio::runtime::Runtime;

/// The allocator of the service binaries, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Worker threads of (b) and (c), as the brief of the measurement asks: the machine's cores.
const THREADS: usize = 2;
/// Alternating rounds of B-B and B-LT signing in (a).
const SIGNING_ROUNDS: usize = 5;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Length of each measurement: 3 s, or `LONG_TERM_BENCH_SECONDS`.
fn run_length() -> Duration {
    let seconds = std::env::var("LONG_TERM_BENCH_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(seconds)
}

/// The test PKI, the unit's signing certificate, a timestamping authority and the validation
/// data a signer would have fetched: the chains and current CRLs.
struct Scene {
    pki: TestPki,
    unit: TestCert,
    tsa_certificate: TestCert,
    validation_data: ValidationData,
    store: TrustStore,
    document: Vec<u8>,
}

impl Scene {
    fn new() -> Result<Self, Failure> {
        let now = Utc::now();
        let pki = TestPki::new(KeySpec::Rsa2048, now - chrono::Duration::days(30))?;
        let unit =
            pki.issue(&pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"))?;
        let tsa_certificate = pki.issue(&pki.tsa().key(KeySpec::Rsa2048))?;
        let crls = vec![
            pki.crl(&CrlSpec::current(now))?,
            pki.root_crl(&CrlSpec::current(now))?,
        ];
        let mut store = pki.trust_store()?;
        for crl in &crls {
            store.add_crl(crl)?;
        }
        let validation_data = ValidationData {
            certificates: vec![
                pki.issuing_ca.der().to_vec(),
                pki.root.der().to_vec(),
                tsa_certificate.der().to_vec(),
            ],
            crls,
            ocsp_responses: Vec::new(),
        };
        Ok(Self {
            document: sample_pdf(&"VIET YEN ".repeat(100 * 1024 / 9)),
            pki,
            unit,
            tsa_certificate,
            validation_data,
            store,
        })
    }

    fn authority(&self) -> Result<TimestampAuthority, PkiError> {
        TimestampAuthority::new(
            KeySigner::new(
                self.tsa_certificate.private_key().clone(),
                self.tsa_certificate.certificate().clone(),
            )?,
            &[self.pki.issuing_ca.certificate().clone()],
            "1.3.6.1.4.1.55555.2.1",
        )
    }

    fn signer(&self) -> Result<KeySigner, PkiError> {
        KeySigner::new(
            self.unit.private_key().clone(),
            self.unit.certificate().clone(),
        )
    }

    fn request(&self, level: SignatureLevel) -> SignatureRequest {
        SignatureRequest::new(Utc::now())
            .level(level)
            .chain(vec![self.pki.issuing_ca.certificate().clone()])
    }
}

/// The authority called in process, the validation data from memory: CPU only.
struct InProcess<'a> {
    authority: &'a TimestampAuthority,
    validation_data: &'a ValidationData,
}

impl ArchivalServices for InProcess<'_> {
    async fn timestamp(&self, imprint: [u8; 32]) -> Result<Vec<u8>, PkiError> {
        let request = timestamp_request(&imprint, None)?;
        let reply = self.authority.respond(&request.der, Utc::now());
        let invalid = |error: der::Error| PkiError::InvalidTimestamp(error.to_string());
        x509_tsp::TimeStampResp::from_der(&reply)
            .map_err(invalid)?
            .time_stamp_token
            .ok_or_else(|| PkiError::InvalidTimestamp("no token granted".into()))?
            .to_der()
            .map_err(invalid)
    }

    async fn validation_data(
        &self,
        _leaf: &Certificate,
        _extra: &[Certificate],
    ) -> Result<ValidationData, PkiError> {
        Ok(self.validation_data.clone())
    }
}

/// The authority over HTTP on loopback, asked and checked by the services' `TsaClient`.
struct OverHttp<'a> {
    client: TsaClient,
    store: &'a TrustStore,
    validation_data: &'a ValidationData,
}

impl<'a> OverHttp<'a> {
    fn new(url: &str, scene: &'a Scene) -> Result<Self, PkiError> {
        let client = TsaClient::new(TsaConfig {
            endpoints: vec![TsaEndpoint {
                url: url.to_owned(),
                credentials: None,
            }],
            timeout: Duration::from_secs(10),
            policy: None,
            max_response_bytes: 1024 * 1024,
            max_clock_skew: Duration::from_secs(60),
        })?;
        Ok(Self {
            client,
            store: &scene.store,
            validation_data: &scene.validation_data,
        })
    }
}

impl ArchivalServices for OverHttp<'_> {
    async fn timestamp(&self, imprint: [u8; 32]) -> Result<Vec<u8>, PkiError> {
        Ok(self.client.timestamp(imprint, self.store).await?.token)
    }

    async fn validation_data(
        &self,
        _leaf: &Certificate,
        _extra: &[Certificate],
    ) -> Result<ValidationData, PkiError> {
        Ok(self.validation_data.clone())
    }
}

fn main() -> Result<(), Failure> {
    let scene = Arc::new(Scene::new()?);
    let authority = scene.authority()?;
    println!(
        "document: {} bytes, RSA 2048 signer and TSA, {} s per measurement",
        scene.document.len(),
        run_length().as_secs_f64()
    );
    // The authority's HTTP server runs on a runtime of its own, as a separate service would.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .enable_all()
        .build()?;
    let server = server_runtime.block_on(TsaServer::authority(
        scene.authority()?,
        TsaServerOptions::default(),
    ))?;

    signing_per_document(&scene, &authority, server.url())?;
    let archived = archived_document(&scene, &authority)?;
    renewal_rate(&scene, &authority, &archived, server.url())?;
    verification_rate(&scene, &archived)?;
    Ok(())
}

/// A current-thread runtime for one worker: the futures of the seam run on it.
fn worker_runtime() -> Result<Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// (a) B-B and B-LT by CPU time per document, in alternating rounds on one thread; then B-LT
/// with the authority over HTTP.
fn signing_per_document(
    scene: &Scene,
    authority: &TimestampAuthority,
    url: &str,
) -> Result<(), Failure> {
    let runtime = worker_runtime()?;
    let signer = scene.signer()?;
    let in_process = InProcess {
        authority,
        validation_data: &scene.validation_data,
    };
    let basic = scene.request(SignatureLevel::BaselineB);
    let long_term = scene.request(SignatureLevel::BaselineLt);
    let (mut b_costs, mut lt_costs) = (Vec::new(), Vec::new());
    for round in 1..=SIGNING_ROUNDS {
        let b = measure_one_thread(|| {
            basic.sign(&scene.document, &signer)?;
            Ok(())
        })?;
        let lt = measure_one_thread(|| {
            let signed = long_term.sign(&scene.document, &signer)?;
            runtime.block_on(long_term.extend(signed, &in_process))?;
            Ok(())
        })?;
        println!(
            "(a) round {round}: B-B {:.0} µs, B-LT {:.0} µs of CPU per document: {:.2} ×",
            b.cpu_micros(),
            lt.cpu_micros(),
            lt.cpu_micros() / b.cpu_micros()
        );
        b_costs.push(b.cpu_micros());
        lt_costs.push(lt.cpu_micros());
    }
    let (b, lt) = (median(&mut b_costs), median(&mut lt_costs));
    println!(
        "(a) B-LT signing, TSA in process: median {lt:.0} µs of CPU per document, B-B {b:.0} µs: {:.2} × B-B (goal ≤ 2 ×)",
        lt / b
    );

    let over_http = OverHttp::new(url, scene)?;
    let in_process_wall = measure_one_thread(|| {
        let signed = long_term.sign(&scene.document, &signer)?;
        runtime.block_on(long_term.extend(signed, &in_process))?;
        Ok(())
    })?;
    let http = measure_one_thread(|| {
        let signed = long_term.sign(&scene.document, &signer)?;
        runtime.block_on(long_term.extend(signed, &over_http))?;
        Ok(())
    })?;
    println!(
        "(a) B-LT signing, TSA over loopback HTTP: {:.0} µs of wall time per document ({:.0} µs of CPU on the signing thread); in process {:.0} µs: the authority's answer over HTTP adds {:.0} µs, of which {:.0} µs the signing thread waits",
        http.wall_micros(),
        http.cpu_micros(),
        in_process_wall.wall_micros(),
        http.wall_micros() - in_process_wall.wall_micros(),
        http.wall_micros() - http.cpu_micros(),
    );
    Ok(())
}

/// A B-LTA electronic result, made once for (b) and (c).
fn archived_document(scene: &Scene, authority: &TimestampAuthority) -> Result<Vec<u8>, Failure> {
    let runtime = worker_runtime()?;
    let request = scene.request(SignatureLevel::BaselineLta);
    let signed = request.sign(&scene.document, &scene.signer()?)?;
    let services = InProcess {
        authority,
        validation_data: &scene.validation_data,
    };
    Ok(runtime.block_on(request.extend(signed, &services))?)
}

/// (b) Renewals per second on [`THREADS`] threads with the authority on loopback, then the
/// CPU cost of one renewal in process, and `openssl speed rsa2048`.
fn renewal_rate(
    scene: &Arc<Scene>,
    authority: &TimestampAuthority,
    archived: &[u8],
    url: &str,
) -> Result<(), Failure> {
    let rate = throughput(THREADS, |_| {
        let runtime = worker_runtime().expect("a runtime");
        let services = OverHttp::new(url, scene).expect("a client");
        move || {
            runtime
                .block_on(renew_archive_timestamp(archived, &services))
                .expect("renewed");
        }
    });
    let runtime = worker_runtime()?;
    let in_process = InProcess {
        authority,
        validation_data: &scene.validation_data,
    };
    let one = measure_one_thread(|| {
        runtime.block_on(renew_archive_timestamp(archived, &in_process))?;
        Ok(())
    })?;
    let openssl = openssl_rsa2048(&[]);
    let openssl_multi = openssl_rsa2048(&["-multi", &THREADS.to_string()]);
    println!(
        "(b) archive renewal, TSA on loopback, {THREADS} threads: {:.0} documents/s (goal ≥ 1000); openssl speed -seconds 3 rsa2048: {} sign/s, with -multi {THREADS}: {} sign/s",
        rate.per_wall_second,
        openssl.map_or("n/a".into(), |rate| format!("{rate:.0}")),
        openssl_multi.map_or("n/a".into(), |rate| format!("{rate:.0}")),
    );
    println!(
        "(b) one renewal in process (TSA signature included, no HTTP): {:.0} µs of CPU, i.e. at most {:.0} documents/s on {THREADS} cores",
        one.cpu_micros(),
        THREADS as f64 * 1e6 / one.cpu_micros()
    );
    Ok(())
}

/// (c) B-LTA verifications per second on [`THREADS`] threads, offline.
fn verification_rate(scene: &Arc<Scene>, archived: &[u8]) -> Result<(), Failure> {
    let reports = verify_pdf(
        archived,
        &scene.store,
        &[],
        Utc::now(),
        RevocationPolicy::Require,
    )?;
    if !reports.iter().all(|report| report.report.is_valid()) || reports.len() != 2 {
        return Err(format!("the B-LTA document does not verify: {reports:#?}").into());
    }
    let rate = throughput(THREADS, |_| {
        let scene = Arc::clone(scene);
        let archived = archived.to_vec();
        move || {
            let reports = verify_pdf(
                &archived,
                &scene.store,
                &[],
                Utc::now(),
                RevocationPolicy::Require,
            )
            .expect("verified");
            assert_eq!(reports.len(), 2);
        }
    });
    println!(
        "(c) verify a B-LTA document (signature, signature timestamp, DSS, document timestamp), {THREADS} threads: {:.0}/s of wall time ({:.0}/s per CPU second on {THREADS} cores; goal ≥ 1500/s)",
        rate.per_wall_second, rate.per_cpu_second
    );
    Ok(())
}

/// Wall and CPU time of some work repeated on this thread for [`run_length`].
struct Cost {
    count: u64,
    wall: Duration,
    cpu_seconds: f64,
}

impl Cost {
    fn cpu_micros(&self) -> f64 {
        1e6 * self.cpu_seconds / self.count.max(1) as f64
    }

    fn wall_micros(&self) -> f64 {
        1e6 * self.wall.as_secs_f64() / self.count.max(1) as f64
    }
}

fn measure_one_thread(mut work: impl FnMut() -> Result<(), Failure>) -> Result<Cost, Failure> {
    let run = run_length();
    let started = Instant::now();
    let cpu_before = thread_cpu_seconds();
    let mut count = 0u64;
    while started.elapsed() < run {
        work()?;
        count += 1;
    }
    Ok(Cost {
        count,
        wall: started.elapsed(),
        cpu_seconds: thread_cpu_seconds() - cpu_before,
    })
}

/// How fast some work ran on several threads.
struct Rate {
    per_wall_second: f64,
    /// Threads × operations ÷ CPU seconds of the workers.
    per_cpu_second: f64,
}

/// Runs `threads` workers, each built by `make` on its own thread, for [`run_length`].
fn throughput<W: FnMut()>(threads: usize, make: impl Fn(usize) -> W + Sync) -> Rate {
    let run = run_length();
    let started = Instant::now();
    let (count, cpu_seconds) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|index| {
                let make = &make;
                scope.spawn(move || {
                    let mut work = make(index);
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
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or((0, 0.0)))
            .fold((0u64, 0.0), |(count, cpu), (n, seconds)| {
                (count + n, cpu + seconds)
            })
    });
    Rate {
        per_wall_second: count as f64 / started.elapsed().as_secs_f64(),
        per_cpu_second: threads as f64 * count as f64 / cpu_seconds.max(f64::EPSILON),
    }
}

/// CPU time (user and system) of the calling thread, from the Linux scheduler's statistics.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |nanoseconds| nanoseconds / 1e9)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// `openssl speed -seconds 3 rsa2048` (with `extra` options): RSA 2048 signatures per second.
fn openssl_rsa2048(extra: &[&str]) -> Option<f64> {
    let output = Command::new("openssl")
        .arg("speed")
        .args(extra)
        .args(["-seconds", "3", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("rsa 2048 bits") || l.starts_with("rsa  2048 bits"))?;
    line.split_whitespace().rev().nth(1)?.parse().ok()
}
