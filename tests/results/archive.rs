//! Archive renewal of stored electronic results: many results (one B-LT PDF stored under as
//! many dossiers, written through the database layer), motcua's own timestamping authority on
//! loopback, the renewal job run as the services and `motcua archive` run it.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine;
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use motcua_core::calendar::WorkingCalendar;
use motcua_core::record_ids::DossierId;
use motcua_db::dossier_results::{self, NewResult};
use motcua_db::{now, write_transaction, DbPool};
use motcua_pki::cms::{Indication, KeySigner};
use motcua_pki::pades::{verify_pdf, PdfSignatureKind, SignatureLevel};
use motcua_pki::testpki::tsa::{TsaServer, TsaServerOptions, TEST_TSA_POLICY};
use motcua_pki::tsp::TimestampAuthority;
use motcua_pki::{RevocationPolicy, TrustStore};
use motcua_testdata::generate::{catalogue, generate_batch, Batch, Rng};
use motcua_tests::signed::SigningPki;
use motcua_tests::{store_organisation_certificate, with_each_backend, Backend, TestApp};
use motcua_web::archival::{Archival, SignatureKind, SigningConfig};
use motcua_web::archive::{
    ArchiveService, ArchiveSettings, RenewalBy, RenewalProgress, RenewalRun,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};

/// The results stored for the large run, on each backend.
const RESULTS: usize = 10_000;

/// A test PKI, a timestamping authority it issued served on loopback (behind a front that can
/// run something before forwarding a request), and the B-LT result PDF stored everywhere.
struct Archive {
    pki: SigningPki,
    store: TrustStore,
    _authority: TsaServer,
    front: TsaFront,
    signing: SigningConfig,
    result_pdf: Vec<u8>,
}

impl Archive {
    async fn new() -> Self {
        let pki = SigningPki::new();
        let tsa = pki.pki.issue(&pki.pki.tsa()).unwrap();
        let signer = KeySigner::new(tsa.private_key().clone(), tsa.certificate().clone()).unwrap();
        let authority = TimestampAuthority::new(
            signer,
            &[pki.pki.issuing_ca.certificate().clone()],
            TEST_TSA_POLICY,
        )
        .unwrap();
        let server = TsaServer::authority(authority, TsaServerOptions::default())
            .await
            .unwrap();
        let front = TsaFront::start(server.url()).await;
        let mut store = TrustStore::new();
        store.add_root(pki.pki.root.certificate().clone()).unwrap();
        store
            .add_intermediate(pki.pki.issuing_ca.certificate().clone())
            .unwrap();
        for crl in pki.crls() {
            store.add_crl(&crl).unwrap();
        }
        let signing = SigningConfig::from_toml(&format!(
            "[levels]\nelectronic_result = \"baseline_lt\"\n[tsa]\n[[tsa.endpoints]]\nurl = \"{}\"\n",
            front.url
        ))
        .unwrap();
        let unit = pki.organisation("UBND XÃ TĂNG TIẾN", "Bộ phận Một cửa", "2400123456");
        let signed_b_b = pki.sign(&unit);
        let finished = Archival::new(signing.clone())
            .unwrap()
            .finish(SignatureKind::ElectronicResult, signed_b_b, &store)
            .await
            .unwrap();
        assert_eq!(finished.level, SignatureLevel::BaselineLt);
        Self {
            pki,
            store,
            _authority: server,
            front,
            signing,
            result_pdf: finished.pdf,
        }
    }

    fn archival(&self) -> Archival {
        Archival::new(self.signing.clone()).unwrap()
    }

    /// One renewal run over the results of `pool`, at most `limit` renewals.
    async fn run(&self, pool: &DbPool, limit: Option<u64>) -> RenewalProgress {
        let archival = self.archival();
        let settings = ArchiveSettings::default();
        let run = RenewalRun {
            db: pool,
            service: ArchiveService::Results,
            archival: &archival,
            store: &self.store,
            settings: &settings,
            by: RenewalBy {
                key_id: None,
                name: "command line: archive renew".into(),
                request_id: "-".into(),
            },
        };
        run.run(limit, |_| {}).await.unwrap()
    }

    /// The indication and level of each signature (not document timestamp) of `pdf`.
    fn verdicts(&self, pdf: &[u8]) -> Vec<(Indication, Option<SignatureLevel>)> {
        verify_pdf(pdf, &self.store, &[], Utc::now(), RevocationPolicy::Require)
            .unwrap()
            .into_iter()
            .filter(|signature| signature.kind == PdfSignatureKind::Signature)
            .map(|signature| (signature.report.indication, signature.report.level))
            .collect()
    }
}

/// What runs before the next request is forwarded.
type Hook = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// A TCP front of the authority that runs a one-time hook when a request arrives, before
/// forwarding it: what a concurrent writer does between the job's read and its write.
struct TsaFront {
    url: String,
    hook: Hook,
}

impl TsaFront {
    async fn start(upstream_url: &str) -> Self {
        let upstream = upstream_url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        let path = upstream_url.splitn(4, '/').nth(3).unwrap_or("").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let hook: Hook = Arc::new(Mutex::new(None));
        let armed = Arc::clone(&hook);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let pending = armed.lock().unwrap().take();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if let Some(hook) = pending {
                        tokio::task::spawn_blocking(hook).await.unwrap();
                    }
                    let mut outbound = TcpStream::connect(upstream).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        Self {
            url: format!("http://{address}/{path}"),
            hook,
        }
    }

    /// Runs `hook` when the next connection arrives.
    fn before_next_request(&self, hook: impl FnOnce() + Send + 'static) {
        *self.hook.lock().unwrap() = Some(Box::new(hook));
    }
}

/// `count` dossiers (generated, without history), each with `pdf` as its electronic result.
fn store_results(pool: &DbPool, pdf: &[u8], signer_der: &[u8], count: usize) -> Vec<DossierId> {
    let mut conn = pool.get().unwrap();
    let seeded = motcua_results::seed::seed_viet_yen(&mut conn).unwrap();
    let (procedures, _) = catalogue(&mut conn).unwrap();
    let day = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
    let batch = Batch {
        units: vec![(seeded.district_desk.id, seeded.district_desk.code.clone())],
        procedures,
        first_day: day(2),
        last_day: day(31),
        channels: [count as u64, 0, 0],
        open_at_end: 0,
        // The results are stored below, one PDF for all.
        electronic_results: 0,
        electronic_since: None,
        reused: (988, 1000),
    };
    let calendar = WorkingCalendar::vietnam_defaults().unwrap();
    generate_batch(&mut conn, &calendar, &batch, &mut Rng::new(17), false, None).unwrap();
    let dossiers: Vec<DossierId> = {
        use motcua_db::schema::dossiers;
        dossiers::table
            .select(dossiers::id)
            .order(dossiers::id)
            .load(&mut *conn)
            .unwrap()
    };
    assert_eq!(dossiers.len(), count);
    let certificate =
        store_organisation_certificate(&mut conn, seeded.district_desk.id, signer_der);
    let sha256 = hex::encode(Sha256::digest(pdf));
    write_transaction(&mut conn, |conn| {
        for dossier in &dossiers {
            dossier_results::insert(
                conn,
                &NewResult {
                    dossier_id: *dossier,
                    pdf: pdf.to_vec(),
                    sha256: sha256.clone(),
                    certificate_id: certificate,
                    signed_at: now(),
                    signed_by: None,
                },
            )?;
        }
        Ok::<_, motcua_db::DbError>(())
    })
    .unwrap();
    dossiers
}

/// Document timestamps in `pdf` (their sub-filter names them).
fn document_timestamps(pdf: &[u8]) -> usize {
    pdf.windows(b"/ETSI.RFC3161".len())
        .filter(|window| *window == b"/ETSI.RFC3161")
        .count()
}

/// Every stored result, a page at a time: (dossier, document timestamps, sha256 stored and
/// recomputed).
fn stored_results(pool: &DbPool) -> Vec<(DossierId, usize, bool)> {
    let mut conn = pool.get().unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = dossier_results::page_after(&mut conn, after, 500).unwrap();
        let Some(last) = page.last() else {
            return seen;
        };
        after = Some(last.id);
        for stored in page {
            let consistent = hex::encode(Sha256::digest(&stored.pdf)) == stored.sha256;
            seen.push((
                stored.dossier_id,
                document_timestamps(&stored.pdf),
                consistent,
            ));
        }
    }
}

fn result_pdf(pool: &DbPool, dossier: DossierId) -> Vec<u8> {
    let mut conn = pool.get().unwrap();
    dossier_results::find_pdf(&mut conn, dossier)
        .unwrap()
        .unwrap()
}

fn renewal_records(pool: &DbPool) -> i64 {
    use motcua_db::schema::audit_events;
    let mut conn = pool.get().unwrap();
    audit_events::table
        .filter(audit_events::action.eq("archive.renewed"))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

async fn every_result_is_renewed_once_and_a_second_run_renews_none(backend: Backend) {
    let archive = Archive::new().await;
    let app = TestApp::start(backend).await;
    let count = RESULTS;
    let started = Instant::now();
    let pool = app.pool.clone();
    let pdf = archive.result_pdf.clone();
    let signer = certificate_der(&archive);
    let dossiers = tokio::task::spawn_blocking(move || store_results(&pool, &pdf, &signer, count))
        .await
        .unwrap();
    eprintln!(
        "{backend:?}: {count} results stored in {:?}",
        started.elapsed()
    );
    let sample = [dossiers[0], dossiers[count / 2], dossiers[count - 1]];
    let before: Vec<_> = sample
        .iter()
        .map(|dossier| archive.verdicts(&result_pdf(&app.pool, *dossier)))
        .collect();

    let started = Instant::now();
    let first = archive.run(&app.pool, None).await;
    eprintln!(
        "{backend:?}: first run over {count} results in {:?}",
        started.elapsed()
    );
    assert_eq!(first.examined, count as u64, "{first:?}");
    assert_eq!(first.renewed, count as u64, "{first:?}");
    assert!(first.failed.is_empty(), "{:?}", first.failed.first());
    assert_eq!(
        (first.not_needed, first.skipped_changed, first.remaining),
        (0, 0, 0)
    );
    // Each renewed once: one document timestamp in every stored result, its sha256 updated,
    // and one audit record each.
    let stored = stored_results(&app.pool);
    assert_eq!(stored.len(), count);
    assert!(stored
        .iter()
        .all(|(_, stamps, consistent)| *stamps == 1 && *consistent));
    assert_eq!(renewal_records(&app.pool), count as i64);

    for (dossier, before) in sample.iter().zip(before) {
        let after = archive.verdicts(&result_pdf(&app.pool, *dossier));
        assert_eq!(before.len(), 1);
        assert_eq!(
            before[0],
            (Indication::TotalPassed, Some(SignatureLevel::BaselineLt))
        );
        assert_eq!(
            after,
            vec![(Indication::TotalPassed, Some(SignatureLevel::BaselineLta))]
        );
    }

    let started = Instant::now();
    let second = archive.run(&app.pool, None).await;
    eprintln!("{backend:?}: second run in {:?}", started.elapsed());
    assert_eq!(second.examined, count as u64, "{second:?}");
    assert_eq!((second.renewed, second.not_needed), (0, count as u64));
    assert!(second.failed.is_empty());
    assert_eq!(renewal_records(&app.pool), count as i64);
}

fn certificate_der(archive: &Archive) -> Vec<u8> {
    archive.pki.pki.issuing_ca.der().to_vec()
}

async fn a_limited_run_is_resumed_by_the_next(backend: Backend) {
    let archive = Archive::new().await;
    let app = TestApp::start(backend).await;
    let pool = app.pool.clone();
    let pdf = archive.result_pdf.clone();
    let signer = certificate_der(&archive);
    tokio::task::spawn_blocking(move || store_results(&pool, &pdf, &signer, 250))
        .await
        .unwrap();
    let limited = archive.run(&app.pool, Some(120)).await;
    assert_eq!(
        (limited.examined, limited.renewed, limited.remaining),
        (120, 120, 130)
    );
    let resumed = archive.run(&app.pool, None).await;
    assert_eq!(
        (
            resumed.examined,
            resumed.not_needed,
            resumed.renewed,
            resumed.remaining
        ),
        (250, 120, 130, 0)
    );
    let stored = stored_results(&app.pool);
    assert!(stored.iter().all(|(_, stamps, _)| *stamps == 1));
    assert_eq!(renewal_records(&app.pool), 250);
}

async fn a_result_changed_during_its_renewal_is_not_overwritten(backend: Backend) {
    let archive = Archive::new().await;
    let app = TestApp::start(backend).await;
    let pool = app.pool.clone();
    let pdf = archive.result_pdf.clone();
    let signer = certificate_der(&archive);
    let dossiers = tokio::task::spawn_blocking(move || store_results(&pool, &pdf, &signer, 3))
        .await
        .unwrap();
    // While the first result is with the authority, another writer replaces it.
    let replacement = b"%PDF-1.7 replaced by another writer".to_vec();
    let replacement_sha = hex::encode(Sha256::digest(&replacement));
    let pool = app.pool.clone();
    let first = dossiers[0];
    let written = replacement.clone();
    let written_sha = replacement_sha.clone();
    archive.front.before_next_request(move || {
        use motcua_db::schema::dossier_results as table;
        let mut conn = pool.get().unwrap();
        diesel::update(table::table.filter(table::dossier_id.eq(first)))
            .set((table::pdf.eq(written), table::sha256.eq(written_sha)))
            .execute(&mut *conn)
            .unwrap();
    });
    let run = archive.run(&app.pool, None).await;
    assert_eq!((run.renewed, run.skipped_changed), (2, 1), "{run:?}");
    assert_eq!(result_pdf(&app.pool, first), replacement);
    assert_eq!(renewal_records(&app.pool), 2);
    // The next run finds the other writer's document (unsigned): nothing to renew.
    let next = archive.run(&app.pool, None).await;
    assert_eq!((next.renewed, next.not_needed), (0, 2), "{next:?}");
    assert_eq!(next.failed.len(), 1, "{next:?}");
}

async fn the_archive_endpoints_are_for_admins_and_resume(backend: Backend) {
    let archive = Archive::new().await;
    let signing = archive.signing.clone();
    let roots = archive.pki.roots_dir();
    let app = TestApp::start_with(backend, move |config| {
        config.signing = signing;
        config.trust_roots_dir = Some(roots);
    })
    .await;
    for crl in archive.pki.crls() {
        let encoded = base64::engine::general_purpose::STANDARD.encode(crl);
        let (status, body) = app.post("/crls", &json!({ "crl": encoded })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let pool = app.pool.clone();
    let pdf = archive.result_pdf.clone();
    let signer = certificate_der(&archive);
    tokio::task::spawn_blocking(move || store_results(&pool, &pdf, &signer, 5))
        .await
        .unwrap();

    let (status, body) = app.get("/archive").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 5);
    assert_eq!(body["no_document_timestamp"], 5);

    let auditor = app.key("auditor", None, &[]).await;
    for (method, path) in [
        (Method::GET, "/archive"),
        (Method::POST, "/archive/renewals"),
    ] {
        let (status, body) = app
            .call(method, path, Some(&auditor), Some(&json!({ "limit": 2 })))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let (status, body) = app.post("/archive/renewals", &json!({ "limit": 0 })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    let (status, body) = app.post("/archive/renewals", &json!({ "limit": 2 })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["renewed"].as_u64(), body["remaining"].as_u64()),
        (Some(2), Some(3)),
        "{body}"
    );
    let (status, body) = app.post("/archive/renewals", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["renewed"].as_u64(), body["not_needed"].as_u64()),
        (Some(3), Some(2)),
        "{body}"
    );
    let (_, body) = app.get("/archive").await;
    assert_eq!(
        (body["not_needed"].as_u64(), body["total"].as_u64()),
        (Some(5), Some(5))
    );
}

with_each_backend!(
    every_result_is_renewed_once_and_a_second_run_renews_none,
    a_limited_run_is_resumed_by_the_next,
    a_result_changed_during_its_renewal_is_not_overwritten,
    the_archive_endpoints_are_for_admins_and_resume,
);
