//! Revocation: CRL import rules, validation at past times, and CRL download over HTTP.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{SubsecRound, TimeDelta, Utc};
use common::{days, now, outcome, Fixture, TestResult};
use motcua_pki::testpki::{
    CertSpec, CrlSpec, KeySpec, NameSpec, ServeMode, StaticHttpServer, TestCert, TestPki,
};
use motcua_pki::{
    CheckKind, CrlRefresh, CrlRefreshOutcome, Outcome, PkiError, Purpose, RevocationConfig,
    RevocationFetcher, RevocationPolicy, RevocationReason, TrustStore, VerdictStatus,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[test]
fn revoked_after_signing_time_was_valid_when_it_signed() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let signed_at = now() - days(10);
    let revoked_at = now() - days(2);
    let crl = CrlSpec::current(now()).revoke(
        leaf.certificate(),
        revoked_at,
        Some(RevocationReason::Superseded),
    );
    let fixture = Fixture::with_crl(pki, &crl)?;

    let then = fixture.validate_at(leaf.certificate(), signed_at);
    assert_eq!(then.status, VerdictStatus::Valid, "{then:#?}");
    let detail = &then
        .checks
        .iter()
        .find(|check| check.check == CheckKind::Revocation && check.subject.contains("Thuận"))
        .ok_or("no revocation check")?
        .detail;
    assert!(detail.contains("after the validation time"), "{detail}");

    let today = fixture.validate(leaf.certificate());
    assert_eq!(today.status, VerdictStatus::Revoked);
    let revocation = today.revocation.ok_or("no revocation info")?;
    assert_eq!(revocation.revoked_at, revoked_at);
    assert_eq!(revocation.reason, Some(RevocationReason::Superseded));
    Ok(())
}

#[test]
fn stale_crl_gives_revocation_unknown() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let fixture = Fixture::with_crl(pki, &CrlSpec::stale(now()))?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(
        verdict.status,
        VerdictStatus::RevocationUnknown,
        "{verdict:#?}"
    );
    assert!(verdict.summary.contains("stale"), "{}", verdict.summary);
    // The same CRL was current two days before it went stale.
    let earlier = fixture.validate_at(leaf.certificate(), now() - days(3));
    assert_eq!(earlier.status, VerdictStatus::Valid, "{earlier:#?}");
    let best_effort = fixture.store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::BestEffort,
    );
    assert_eq!(best_effort.status, VerdictStatus::Valid);
    Ok(())
}

#[test]
fn crl_signed_by_the_wrong_key_is_not_accepted() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let mut store = pki.trust_store()?;
    store.add_crl(&pki.root_crl(&CrlSpec::current(now()))?)?;
    let impostor_key = KeySpec::EcP256.generate()?;
    let forged = pki
        .issuing_ca
        .crl_signed_with(&CrlSpec::current(now()), &impostor_key)?;
    let error = store.add_crl(&forged).err().ok_or("forged CRL accepted")?;
    assert!(
        matches!(error, PkiError::CrlNotSignedByIssuer { .. }),
        "{error}"
    );
    let verdict = store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
    Ok(())
}

#[test]
fn crl_of_an_unknown_issuer_is_refused() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let other = TestPki::new(KeySpec::EcP256, now())?;
    let mut store = TrustStore::new();
    store.add_root(pki.root.certificate().clone())?;
    let error = store
        .add_crl(&pki.crl(&CrlSpec::current(now()))?)
        .err()
        .ok_or("CRL of an absent CA accepted")?;
    assert!(
        matches!(error, PkiError::CrlIssuerUnknown { .. }),
        "{error}"
    );
    assert!(error.to_string().contains(TestPki::ISSUING_CA_NAME));
    // Same names, other keys: refused by signature.
    let error = store
        .add_crl(&other.root_crl(&CrlSpec::current(now()))?)
        .err()
        .ok_or("CRL of a look-alike root accepted")?;
    assert!(
        matches!(error, PkiError::CrlNotSignedByIssuer { .. }),
        "{error}"
    );
    assert!(matches!(
        store.add_crl(b"not a CRL"),
        Err(PkiError::InvalidCrl(_))
    ));
    Ok(())
}

#[test]
fn newest_crl_per_issuer_is_kept() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let mut older = CrlSpec::current(now());
    older.this_update = now() - days(2);
    let mut newer = CrlSpec::current(now()).revoke(leaf.certificate(), now() - days(1), None);
    newer.number = 2;
    let mut store = pki.trust_store()?;
    store.add_crl(&pki.root_crl(&CrlSpec::current(now()))?)?;

    let info = store.add_crl(&pki.crl(&newer)?)?;
    assert!(info.current);
    assert_eq!(info.revoked_count, 1);
    assert_eq!(info.number.as_deref(), Some("02"));
    let info = store.add_crl(&pki.crl(&older)?)?;
    assert!(!info.current, "an older CRL must not replace a newer one");
    let verdict = store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(verdict.status, VerdictStatus::Revoked);
    Ok(())
}

#[test]
fn pem_crls_and_revoked_issuing_ca() -> TestResult {
    let pki = TestPki::new(KeySpec::Rsa2048, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let mut store = pki.trust_store()?;
    let root_crl = CrlSpec::current(now()).revoke(
        pki.issuing_ca.certificate(),
        now() - days(5),
        Some(RevocationReason::CaCompromise),
    );
    let pem = openssl::x509::X509Crl::from_der(&pki.root_crl(&root_crl)?)?.to_pem()?;
    store.add_crl(&pem)?;
    store.add_crl(&pki.crl(&CrlSpec::current(now()))?)?;
    let verdict = store.validate(
        leaf.certificate(),
        &[],
        now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(verdict.status, VerdictStatus::Revoked);
    let revocation = verdict.revocation.ok_or("no revocation info")?;
    assert!(revocation.subject.contains(TestPki::ISSUING_CA_NAME));
    assert_eq!(revocation.reason, Some(RevocationReason::CaCompromise));
    Ok(())
}

#[test]
fn certificate_on_hold_is_revoked_while_listed() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Tạm Dừng", "024085001235"))?;
    let crl = CrlSpec::current(now()).revoke(
        leaf.certificate(),
        now() - days(1),
        Some(RevocationReason::CertificateHold),
    );
    let fixture = Fixture::with_crl(pki, &crl)?;
    let verdict = fixture.validate(leaf.certificate());
    assert_eq!(verdict.status, VerdictStatus::Revoked);
    assert_eq!(
        verdict.revocation.and_then(|revocation| revocation.reason),
        Some(RevocationReason::CertificateHold)
    );
    Ok(())
}

fn fetcher(timeout: Duration) -> Result<RevocationFetcher, PkiError> {
    RevocationFetcher::new(RevocationConfig {
        timeout,
        ..RevocationConfig::default()
    })
}

/// A one-route HTTP server on 127.0.0.1 serving a CRL at `/ca.crl` (404 elsewhere) and counting
/// the requests it answers. The body can be set after the URL is known, since the certificates
/// that name the URL must exist before the CRL that lists them.
struct CrlServer {
    base: String,
    hits: Arc<AtomicUsize>,
    body: Arc<Mutex<Vec<u8>>>,
}

impl CrlServer {
    async fn start() -> Result<Self, std::io::Error> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let server = Self {
            base: format!("http://{}", listener.local_addr()?),
            hits: Arc::new(AtomicUsize::new(0)),
            body: Arc::new(Mutex::new(Vec::new())),
        };
        let hits = Arc::clone(&server.hits);
        let body = Arc::clone(&server.body);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                hits.fetch_add(1, Ordering::SeqCst);
                let content = if request.starts_with(b"GET /ca.crl ") {
                    Some(body.lock().map(|body| body.clone()).unwrap_or_default())
                } else {
                    None
                };
                let status = if content.is_some() {
                    "200 OK"
                } else {
                    "404 Not Found"
                };
                let content = content.unwrap_or_default();
                let header = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/pkix-crl\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    content.len()
                );
                let _ = socket.write_all(header.as_bytes()).await;
                let _ = socket.write_all(&content).await;
                let _ = socket.shutdown().await;
            }
        });
        Ok(server)
    }

    fn url(&self) -> String {
        format!("{}/ca.crl", self.base)
    }

    fn serve(&self, crl: Vec<u8>) {
        if let Ok(mut body) = self.body.lock() {
            *body = crl;
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A PKI at the real current time (the fetch cache runs on the real clock), a store with the
/// root and its CRL but no CRL for the issuing CA, and two leaves pointing at `url`.
struct Online {
    pki: TestPki,
    store: TrustStore,
}

impl Online {
    fn new() -> Result<Self, PkiError> {
        let pki = TestPki::new(KeySpec::EcP256, Utc::now())?;
        let mut store = pki.trust_store()?;
        store.add_crl(&pki.root_crl(&CrlSpec::current(pki.now()))?)?;
        Ok(Self { pki, store })
    }

    fn leaf(&self, name: &str, url: &str) -> Result<TestCert, PkiError> {
        self.pki
            .issue(&self.pki.individual(name, "024085001234").crl_url(url))
    }

    async fn validate(&self, leaf: &TestCert, fetcher: &RevocationFetcher) -> motcua_pki::Verdict {
        self.store
            .validate_fetching(
                leaf.certificate(),
                &[],
                Utc::now(),
                Purpose::Signing,
                RevocationPolicy::Require,
                fetcher,
            )
            .await
    }
}

#[tokio::test]
async fn crl_is_fetched_once_and_cached_until_next_update() -> TestResult {
    let online = Online::new()?;
    let server = CrlServer::start().await?;
    let good = online.leaf("Thân Văn Thuận", &server.url())?;
    let revoked = online.leaf("Bị Thu Hồi", &server.url())?;
    server.serve(online.pki.crl(&CrlSpec::current(Utc::now()).revoke(
        revoked.certificate(),
        Utc::now() - days(1),
        Some(RevocationReason::KeyCompromise),
    ))?);
    let fetcher = fetcher(Duration::from_secs(5))?;

    for _ in 0..3 {
        let verdict = online.validate(&good, &fetcher).await;
        assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    }
    assert_eq!(server.hits(), 1, "the CRL must be downloaded once");

    // The cached CRL also answers for another certificate with the same distribution point.
    let verdict = online.validate(&revoked, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::Revoked, "{verdict:#?}");
    assert_eq!(
        verdict.revocation.and_then(|revocation| revocation.reason),
        Some(RevocationReason::KeyCompromise)
    );
    assert_eq!(server.hits(), 1);

    // Without the fetcher the store alone knows nothing about the issuing CA's CRL.
    let offline = online.store.validate(
        good.certificate(),
        &[],
        Utc::now(),
        Purpose::Signing,
        RevocationPolicy::Require,
    );
    assert_eq!(offline.status, VerdictStatus::RevocationUnknown);
    Ok(())
}

#[tokio::test]
async fn failed_or_forged_downloads_give_revocation_unknown() -> TestResult {
    let online = Online::new()?;
    let server = CrlServer::start().await?;
    let impostor_key = KeySpec::EcP256.generate()?;
    server.serve(
        online
            .pki
            .issuing_ca
            .crl_signed_with(&CrlSpec::current(Utc::now()), &impostor_key)?,
    );
    let fetcher = fetcher(Duration::from_secs(5))?;

    let forged_leaf = online.leaf("Thân Văn Thuận", &server.url())?;
    let verdict = online.validate(&forged_leaf, &fetcher).await;
    assert_eq!(
        verdict.status,
        VerdictStatus::RevocationUnknown,
        "{verdict:#?}"
    );
    assert!(
        verdict.summary.contains("not accepted"),
        "{}",
        verdict.summary
    );

    let missing_leaf = online.leaf("Thân Văn Thuận", &format!("{}/missing.crl", server.base))?;
    let verdict = online.validate(&missing_leaf, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
    assert!(verdict.summary.contains("404"), "{}", verdict.summary);
    assert_eq!(
        outcome(&verdict, CheckKind::Revocation, "Thân Văn Thuận"),
        Some(Outcome::Failed)
    );
    assert_eq!(server.hits(), 2);

    let closed = TcpListener::bind("127.0.0.1:0").await?;
    let closed_url = format!("http://{}/ca.crl", closed.local_addr()?);
    drop(closed);
    let unreachable_leaf = online.leaf("Thân Văn Thuận", &closed_url)?;
    let verdict = online.validate(&unreachable_leaf, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
    assert!(verdict.summary.contains(&closed_url), "{}", verdict.summary);
    Ok(())
}

#[tokio::test]
async fn stale_downloaded_crl_is_not_cached() -> TestResult {
    let online = Online::new()?;
    let server = CrlServer::start().await?;
    server.serve(online.pki.crl(&CrlSpec::stale(Utc::now()))?);
    let leaf = online.leaf("Thân Văn Thuận", &server.url())?;
    let fetcher = fetcher(Duration::from_secs(5))?;
    for attempt in 1..=2 {
        let verdict = online.validate(&leaf, &fetcher).await;
        assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
        assert_eq!(server.hits(), attempt);
    }
    Ok(())
}

/// A listing proves revocation whatever the CRL's age: only the proof of *non*-revocation needs
/// a fresh CRL. Best effort never turns a listed serial into `valid`.
#[test]
fn stale_crl_listing_the_serial_proves_revocation() -> TestResult {
    let pki = TestPki::new(KeySpec::EcP256, now())?;
    let leaf = pki.issue(&pki.individual("Thân Văn Thuận", "024085001234"))?;
    let revoked_at = now() - days(20);
    let stale = CrlSpec::stale(now()).revoke(leaf.certificate(), revoked_at, None);
    let fixture = Fixture::with_crl(pki, &stale)?;
    for policy in [RevocationPolicy::Require, RevocationPolicy::BestEffort] {
        let verdict =
            fixture
                .store
                .validate(leaf.certificate(), &[], now(), Purpose::Signing, policy);
        assert_eq!(
            verdict.status,
            VerdictStatus::Revoked,
            "{policy:?}: {verdict:#?}"
        );
        assert_eq!(
            verdict.revocation.as_ref().map(|r| r.revoked_at),
            Some(revoked_at)
        );
        let detail = &verdict
            .checks
            .iter()
            .find(|check| check.check == CheckKind::Revocation && check.outcome == Outcome::Failed)
            .ok_or("no failed revocation check")?
            .detail;
        // Says which CRL proved it.
        assert!(detail.contains("next update"), "{detail}");
        assert!(detail.contains(TestPki::ISSUING_CA_NAME), "{detail}");
    }
    Ok(())
}

/// The refresh finds the root's CRL through the distribution point of the CA it issued, and the
/// CA's CRL through the URL a validation fetched it from.
#[tokio::test]
async fn refresh_store_crls_fetches_newer_crls() -> TestResult {
    let server = StaticHttpServer::start(ServeMode::Files).await?;
    let now = Utc::now();
    let name = |common_name: &str| {
        NameSpec::new()
            .add("C", "VN")
            .add("O", TestPki::CA_ORGANISATION)
            .add("CN", common_name)
    };
    let root = TestCert::self_signed(&CertSpec::certificate_authority(
        name(TestPki::ROOT_NAME),
        now,
        5,
        20,
    ))?;
    let ca = root.issue(
        &CertSpec::certificate_authority(name(TestPki::ISSUING_CA_NAME), now, 3, 10)
            .crl_url(&server.url("root.crl")),
    )?;
    let mut store = TrustStore::new();
    store.add_root(root.certificate().clone())?;
    store.add_intermediate(ca.certificate().clone())?;
    let mut older = CrlSpec::current(now);
    older.this_update = now - days(2);
    store.add_crl(&root.crl(&older)?)?;
    let mut newer = CrlSpec::current(now);
    newer.number = 2;
    server.serve("root.crl", root.crl(&newer)?);
    let fetcher = fetcher(Duration::from_secs(5))?;

    let report = fetcher.refresh_store_crls(&mut store).await;
    let of = |report: &[CrlRefresh], issuer: &str| {
        report
            .iter()
            .find(|entry| entry.issuer.contains(issuer))
            .cloned()
    };
    let for_root = of(&report, TestPki::ROOT_NAME).ok_or("no report for the root")?;
    assert_eq!(
        for_root.outcome,
        CrlRefreshOutcome::Refreshed,
        "{report:#?}"
    );
    assert_eq!(
        for_root.this_update,
        Some(newer.this_update.trunc_subsecs(0))
    );
    let for_ca = of(&report, TestPki::ISSUING_CA_NAME).ok_or("no report for the CA")?;
    assert!(
        matches!(&for_ca.outcome, CrlRefreshOutcome::Failed(reason) if reason.contains("no CRL distribution point")),
        "{for_ca:#?}"
    );
    let again = fetcher.refresh_store_crls(&mut store).await;
    assert_eq!(
        of(&again, TestPki::ROOT_NAME).map(|entry| entry.outcome),
        Some(CrlRefreshOutcome::Unchanged)
    );

    // A validation teaches the fetcher where the CA publishes its CRL.
    let leaf_subject = NameSpec::new().add("C", "VN").add("CN", "Thân Văn Thuận");
    let leaf = ca.issue(&CertSpec::new(leaf_subject, now).crl_url(&server.url("ca.crl")))?;
    server.serve("ca.crl", ca.crl(&CrlSpec::current(now))?);
    let verdict = store
        .validate_fetching(
            leaf.certificate(),
            &[],
            Utc::now(),
            Purpose::Signing,
            RevocationPolicy::Require,
            &fetcher,
        )
        .await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    let mut newer_ca = CrlSpec::current(now);
    newer_ca.number = 2;
    newer_ca.this_update = now - TimeDelta::minutes(1);
    server.serve("ca.crl", ca.crl(&newer_ca)?);
    let report = fetcher.refresh_store_crls(&mut store).await;
    assert_eq!(
        of(&report, TestPki::ISSUING_CA_NAME).map(|entry| entry.outcome),
        Some(CrlRefreshOutcome::Refreshed),
        "{report:#?}"
    );

    server.set_mode(ServeMode::Garbage);
    let report = fetcher.refresh_store_crls(&mut store).await;
    let for_root = of(&report, TestPki::ROOT_NAME).ok_or("no report for the root")?;
    assert!(
        matches!(&for_root.outcome, CrlRefreshOutcome::Failed(reason) if reason.contains("root.crl")),
        "{for_root:#?}"
    );
    // The CRL held stays in use and is still reported.
    assert_eq!(
        for_root.this_update,
        Some(newer.this_update.trunc_subsecs(0))
    );
    Ok(())
}

/// A CRL past its nextUpdate is downloaded again each time, but when its host is down it still
/// answers for a validation time it covers, and the verdict says the cached copy was used.
#[tokio::test]
async fn cached_crl_answers_for_an_earlier_time_when_the_host_is_down() -> TestResult {
    let online = Online::new()?;
    let server = StaticHttpServer::start(ServeMode::Files).await?;
    let leaf = online.leaf("Thân Văn Thuận", &server.url("ca.crl"))?;
    server.serve("ca.crl", online.pki.crl(&CrlSpec::stale(Utc::now()))?);
    let fetcher = fetcher(Duration::from_secs(1))?;
    let signed_at = Utc::now() - days(3);
    let validate = || {
        online.store.validate_fetching(
            leaf.certificate(),
            &[],
            signed_at,
            Purpose::Signing,
            RevocationPolicy::Require,
            &fetcher,
        )
    };
    let verdict = validate().await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");

    server.set_mode(ServeMode::Hang);
    let verdict = validate().await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    let detail = verdict
        .checks
        .iter()
        .find(|check| check.check == CheckKind::Revocation && check.subject.contains("Thân"))
        .map(|check| check.detail.clone())
        .unwrap_or_default();
    assert!(
        detail.contains("cached from an earlier download"),
        "{detail}"
    );
    assert!(detail.contains("timed out"), "{detail}");
    assert_eq!(server.hits(), 2);
    Ok(())
}
