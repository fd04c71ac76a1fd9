//! OCSP against a real third-party responder (`openssl ocsp`): answers, responder
//! authorisation, nonces, freshness, caching, unreachable hosts, URL rewrites and the
//! allow-list, and the validation data a signature carries.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use common::{days, outcome, TestResult};
use motcua_pki::archival::ValidationData;
use motcua_pki::testpki::{
    CertSpec, CrlSpec, KeySpec, NameSpec, OcspIndex, OpensslOcspResponder, ServeMode,
    StaticHttpServer, TestCert, TestPki,
};
use motcua_pki::{
    check_ocsp_response, CheckKind, OcspCertStatus, Outcome, PkiError, Purpose, RevocationConfig,
    RevocationFetcher, RevocationPolicy, RevocationReason, SuppliedRevocation, TrustStore,
    UrlRewrite, Verdict, VerdictStatus,
};
use tempfile::TempDir;

/// The responder name the test certificates carry; rewritten to the loopback responder.
const INTERNAL_OCSP: &str = "http://ocsp.ca.ptc/";
const CCCD: &str = "024085001234";

/// Whether the openssl command is there; without it the tests are skipped, except in CI.
fn openssl_available() -> bool {
    match std::process::Command::new("openssl")
        .arg("version")
        .output()
    {
        Ok(output) => output.status.success(),
        Err(error) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "openssl is required in CI: {error}"
            );
            eprintln!("skipped: openssl not found ({error})");
            false
        }
    }
}

/// A PKI on the real clock (the responder stamps its answers with it), a store with the root,
/// the issuing CA and a current root CRL, but nothing about the issuing CA's certificates.
struct Setup {
    pki: TestPki,
    store: TrustStore,
    dir: TempDir,
}

impl Setup {
    fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let pki = TestPki::new(KeySpec::EcP256, Utc::now())?;
        let mut store = pki.trust_store()?;
        store.add_crl(&pki.root_crl(&CrlSpec::current(pki.now()))?)?;
        Ok(Self {
            pki,
            store,
            dir: tempfile::tempdir()?,
        })
    }

    fn leaf(&self, name: &str) -> Result<TestCert, PkiError> {
        self.pki
            .issue(&self.pki.individual(name, CCCD).ocsp_url(INTERNAL_OCSP))
    }

    fn responder(
        &self,
        index: &OcspIndex,
        signer: &TestCert,
        next_update_minutes: Option<u32>,
    ) -> Result<OpensslOcspResponder, PkiError> {
        OpensslOcspResponder::start(
            self.dir.path(),
            index,
            &self.pki.issuing_ca,
            signer,
            next_update_minutes,
        )
    }

    async fn validate(&self, leaf: &TestCert, fetcher: &RevocationFetcher) -> Verdict {
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

/// A fetcher that sends the internal responder name to `target`.
fn fetcher_to(target: &str, timeout: Duration) -> Result<RevocationFetcher, PkiError> {
    RevocationFetcher::new(RevocationConfig {
        rewrites: vec![UrlRewrite {
            from: INTERNAL_OCSP.into(),
            to: target.into(),
        }],
        timeout,
        ..RevocationConfig::default()
    })
}

fn revocation_detail(verdict: &Verdict, subject: &str) -> String {
    verdict
        .checks
        .iter()
        .find(|check| check.check == CheckKind::Revocation && check.subject.contains(subject))
        .map(|check| check.detail.clone())
        .unwrap_or_default()
}

fn whole_seconds(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(0)
}

#[tokio::test]
async fn good_revoked_and_unknown_answers_of_the_issuer() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let setup = Setup::new()?;
    let good = setup.leaf("Thân Văn Thuận")?;
    let revoked = setup.leaf("Bị Thu Hồi")?;
    let unknown = setup.leaf("Không Rõ")?;
    let revoked_at = whole_seconds(Utc::now() - days(1));
    let index = OcspIndex::new().valid(good.certificate()).revoked(
        revoked.certificate(),
        revoked_at,
        Some(RevocationReason::KeyCompromise),
    );
    let responder = setup.responder(&index, &setup.pki.issuing_ca, Some(60))?;
    let fetcher = fetcher_to(&responder.url(), Duration::from_secs(10))?;

    let verdict = setup.validate(&good, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    let detail = revocation_detail(&verdict, "Thân Văn Thuận");
    assert!(
        detail.contains("good according to the OCSP response of responder"),
        "{detail}"
    );
    assert!(detail.contains(TestPki::ISSUING_CA_NAME), "{detail}");
    assert!(detail.contains("produced at"), "{detail}");

    let verdict = setup.validate(&revoked, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::Revoked, "{verdict:#?}");
    let revocation = verdict.revocation.clone().ok_or("no revocation info")?;
    assert_eq!(revocation.revoked_at, revoked_at);
    assert_eq!(revocation.reason, Some(RevocationReason::KeyCompromise));
    assert!(revocation_detail(&verdict, "Bị Thu Hồi").contains("according to the OCSP response"));
    // Before the revocation the same answer proves the certificate was good.
    let before = setup
        .store
        .validate_fetching(
            revoked.certificate(),
            &[],
            revoked_at - days(2),
            Purpose::Signing,
            RevocationPolicy::Require,
            &fetcher,
        )
        .await;
    assert_eq!(before.status, VerdictStatus::Valid, "{before:#?}");

    let verdict = setup.validate(&unknown, &fetcher).await;
    assert_eq!(
        verdict.status,
        VerdictStatus::RevocationUnknown,
        "{verdict:#?}"
    );
    assert!(
        verdict.summary.contains("does not know the certificate"),
        "{}",
        verdict.summary
    );

    // The same answers, read by the public check from openssl's own client.
    let answer = check_ocsp_response(
        &responder.query(&setup.pki.issuing_ca, &revoked, true)?,
        revoked.certificate(),
        setup.pki.issuing_ca.certificate(),
        None,
        Utc::now(),
        Duration::from_secs(3600),
    )?;
    assert_eq!(
        answer.status,
        OcspCertStatus::Revoked {
            revoked_at,
            reason: Some(RevocationReason::KeyCompromise)
        }
    );
    assert!(answer.next_update.is_some());
    assert!(answer.responder.contains(TestPki::ISSUING_CA_NAME));
    supplied_answers_decide_offline(&setup, &responder, &good, &revoked, revoked_at)
}

/// The same responder's answers, supplied with a document instead of fetched: a revocation
/// decides; otherwise the freshest of a held CRL and a supplied answer is the one cited.
fn supplied_answers_decide_offline(
    setup: &Setup,
    responder: &OpensslOcspResponder,
    good: &TestCert,
    revoked: &TestCert,
    revoked_at: DateTime<Utc>,
) -> TestResult {
    let issuer = &setup.pki.issuing_ca;
    let supplied = |leaf: &TestCert| -> Result<SuppliedRevocation, PkiError> {
        Ok(SuppliedRevocation::from_validation_data(&ValidationData {
            ocsp_responses: vec![responder.query(issuer, leaf, false)?],
            ..ValidationData::default()
        }))
    };
    let validate = |store: &TrustStore, leaf: &TestCert, supplied: &SuppliedRevocation| {
        store.validate_with(
            leaf.certificate(),
            &[],
            Utc::now(),
            Purpose::Signing,
            RevocationPolicy::Require,
            supplied,
        )
    };
    let verdict = validate(&setup.store, revoked, &supplied(revoked)?);
    assert_eq!(verdict.status, VerdictStatus::Revoked, "{verdict:#?}");
    assert_eq!(
        verdict.revocation.map(|revocation| revocation.revoked_at),
        Some(revoked_at)
    );

    let good_answer = supplied(good)?;
    let mut older_crl = setup.store.clone();
    older_crl.add_crl(&setup.pki.crl(&CrlSpec::current(Utc::now()))?)?;
    let verdict = validate(&older_crl, good, &good_answer);
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    let detail = revocation_detail(&verdict, "Thân Văn Thuận");
    assert!(
        detail.contains("good according to the OCSP response"),
        "{detail}"
    );

    let mut newer_crl = setup.store.clone();
    let mut spec = CrlSpec::current(Utc::now());
    spec.this_update = Utc::now() + TimeDelta::minutes(2);
    newer_crl.add_crl(&setup.pki.crl(&spec)?)?;
    let verdict = validate(&newer_crl, good, &good_answer);
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    let detail = revocation_detail(&verdict, "Thân Văn Thuận");
    assert!(detail.contains("not listed on the CRL"), "{detail}");
    Ok(())
}

#[tokio::test]
async fn delegated_responder_is_accepted_only_with_ocsp_signing_from_the_issuer() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let setup = Setup::new()?;
    let leaf = setup.leaf("Thân Văn Thuận")?;
    let index = OcspIndex::new().valid(leaf.certificate());

    let delegated = setup.pki.issue(&setup.pki.ocsp_responder_spec())?;
    let responder = setup.responder(&index, &delegated, Some(60))?;
    let verdict = setup
        .validate(
            &leaf,
            &fetcher_to(&responder.url(), Duration::from_secs(10))?,
        )
        .await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    assert!(
        revocation_detail(&verdict, "Thân Văn Thuận")
            .contains(&format!("OCSP {}", TestPki::ISSUING_CA_NAME)),
        "{verdict:#?}"
    );

    let mut without_usage = setup.pki.ocsp_responder_spec();
    without_usage.extended_key_usage.clear();
    let unauthorised = setup.pki.issue(&without_usage)?;
    let responder = setup.responder(&index, &unauthorised, Some(60))?;
    let verdict = setup
        .validate(
            &leaf,
            &fetcher_to(&responder.url(), Duration::from_secs(10))?,
        )
        .await;
    assert_eq!(
        verdict.status,
        VerdictStatus::RevocationUnknown,
        "{verdict:#?}"
    );
    assert!(
        verdict.summary.contains("lacks the OCSPSigning"),
        "{}",
        verdict.summary
    );

    let other = TestPki::new(KeySpec::EcP256, Utc::now())?;
    let foreign = other.issue(&other.ocsp_responder_spec())?;
    let responder = setup.responder(&index, &foreign, Some(60))?;
    let verdict = setup
        .validate(
            &leaf,
            &fetcher_to(&responder.url(), Duration::from_secs(10))?,
        )
        .await;
    assert_eq!(
        verdict.status,
        VerdictStatus::RevocationUnknown,
        "{verdict:#?}"
    );
    assert!(
        verdict.summary.contains("not signed by") || verdict.summary.contains("not issued by"),
        "{}",
        verdict.summary
    );
    Ok(())
}

#[tokio::test]
async fn nonces_must_be_echoed_and_stale_answers_are_refused() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let setup = Setup::new()?;
    let leaf = setup.leaf("Thân Văn Thuận")?;
    let issuer = &setup.pki.issuing_ca;
    let index = OcspIndex::new().valid(leaf.certificate());
    let responder = setup.responder(&index, issuer, None)?;
    let hour = Duration::from_secs(3600);
    let check = |der: &[u8], nonce: Option<&[u8]>, now: DateTime<Utc>| {
        check_ocsp_response(
            der,
            leaf.certificate(),
            issuer.certificate(),
            nonce,
            now,
            hour,
        )
    };

    // openssl's client sends a random nonce, which the responder echoes: not ours.
    let nonced = responder.query(issuer, &leaf, true)?;
    let error = check(&nonced, Some(&[7u8; 16]), Utc::now())
        .err()
        .ok_or("a response with another nonce was accepted")?;
    assert!(error.to_string().contains("nonce"), "{error}");
    // Without a nonce in the request there is none in the response.
    let plain = responder.query(issuer, &leaf, false)?;
    let error = check(&plain, Some(&[7u8; 16]), Utc::now())
        .err()
        .ok_or("a response without the nonce was accepted")?;
    assert!(error.to_string().contains("did not echo"), "{error}");
    let answer = check(&plain, None, Utc::now())?;
    assert_eq!(answer.status, OcspCertStatus::Good);
    assert_eq!(answer.next_update, None);

    // No nextUpdate: relied on for the maximum age after thisUpdate, then stale.
    let later = Utc::now() + TimeDelta::hours(2);
    let error = check(&plain, None, later)
        .err()
        .ok_or("a stale response was accepted")?;
    assert!(error.to_string().contains("stale"), "{error}");
    // A thisUpdate in the future (beyond the clock skew) is refused too.
    let earlier = Utc::now() - TimeDelta::hours(1);
    let error = check(&plain, None, earlier)
        .err()
        .ok_or("a response from the future was accepted")?;
    assert!(error.to_string().contains("in the future"), "{error}");
    // Our fetcher sends its own nonce: the responder echoes it and the answer is used.
    let verdict = setup
        .validate(
            &leaf,
            &fetcher_to(&responder.url(), Duration::from_secs(10))?,
        )
        .await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    Ok(())
}

#[tokio::test]
async fn stale_answer_with_next_update_is_refused() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let setup = Setup::new()?;
    let leaf = setup.leaf("Thân Văn Thuận")?;
    let issuer = &setup.pki.issuing_ca;
    let responder =
        setup.responder(&OcspIndex::new().valid(leaf.certificate()), issuer, Some(1))?;
    let der = responder.query(issuer, &leaf, false)?;
    let at = |minutes: i64| Utc::now() + TimeDelta::minutes(minutes);
    let check = |now| {
        check_ocsp_response(
            &der,
            leaf.certificate(),
            issuer.certificate(),
            None,
            now,
            Duration::from_secs(86_400),
        )
    };
    assert!(check(at(0)).is_ok());
    let error = check(at(20))
        .err()
        .ok_or("a response past nextUpdate was accepted")?;
    assert!(error.to_string().contains("stale"), "{error}");
    Ok(())
}

#[tokio::test]
async fn cached_answer_is_used_after_the_responder_stops() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let setup = Setup::new()?;
    let leaf = setup.leaf("Thân Văn Thuận")?;
    let mut responder = setup.responder(
        &OcspIndex::new().valid(leaf.certificate()),
        &setup.pki.issuing_ca,
        Some(60),
    )?;
    let fetcher = fetcher_to(&responder.url(), Duration::from_secs(5))?;
    let verdict = setup.validate(&leaf, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    assert!(!revocation_detail(&verdict, "Thân").contains("cached"));

    responder.stop();
    let verdict = setup.validate(&leaf, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    assert!(
        revocation_detail(&verdict, "Thân").contains("cached OCSP response"),
        "{verdict:#?}"
    );
    // A fresh fetcher has no cache: the stopped responder leaves the status unknown.
    let fresh = fetcher_to(&responder.url(), Duration::from_secs(5))?;
    let verdict = setup.validate(&leaf, &fresh).await;
    assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
    Ok(())
}

#[tokio::test]
async fn hanging_or_garbage_hosts_cost_one_timeout_and_say_so() -> TestResult {
    let setup = Setup::new()?;
    let server = StaticHttpServer::start(ServeMode::Hang).await?;
    // Both sources on the same hanging host: only the first is waited for.
    let leaf = setup.pki.issue(
        &setup
            .pki
            .individual("Thân Văn Thuận", CCCD)
            .ocsp_url(&server.url("ocsp"))
            .crl_url(&server.url("ca.crl")),
    )?;
    let fetcher = RevocationFetcher::new(RevocationConfig {
        timeout: Duration::from_secs(1),
        ..RevocationConfig::default()
    })?;
    let started = Instant::now();
    let verdict = setup.validate(&leaf, &fetcher).await;
    let elapsed = started.elapsed();
    assert_eq!(
        verdict.status,
        VerdictStatus::RevocationUnknown,
        "{verdict:#?}"
    );
    assert!(elapsed < Duration::from_millis(1900), "took {elapsed:?}");
    assert_eq!(server.hits(), 1, "the hanging host was asked twice");
    assert!(
        verdict.summary.contains("timed out") || verdict.summary.contains("timeout"),
        "{}",
        verdict.summary
    );
    assert!(
        verdict.summary.contains("did not answer earlier"),
        "{}",
        verdict.summary
    );

    server.set_mode(ServeMode::Garbage);
    let verdict = setup.validate(&leaf, &fetcher).await;
    assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
    assert!(
        verdict.summary.contains("not a DER OCSPResponse"),
        "{}",
        verdict.summary
    );
    assert!(verdict.summary.contains("CRL from"), "{}", verdict.summary);
    assert_eq!(
        outcome(&verdict, CheckKind::Revocation, "Thân Văn Thuận"),
        Some(Outcome::Failed)
    );

    // Answers beyond the configured size are cut off, whatever the server claims.
    server.set_mode(ServeMode::Files);
    server.serve("ocsp", vec![0x30; 4096]);
    server.serve("ca.crl", vec![0x30; 4096]);
    let small = RevocationFetcher::new(RevocationConfig {
        max_ocsp_bytes: 1024,
        max_crl_bytes: 2048,
        ..RevocationConfig::default()
    })?;
    let verdict = setup.validate(&leaf, &small).await;
    assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
    assert!(
        verdict.summary.contains("larger than 1024 bytes"),
        "{}",
        verdict.summary
    );
    assert!(
        verdict.summary.contains("larger than 2048 bytes"),
        "{}",
        verdict.summary
    );
    Ok(())
}

#[tokio::test]
async fn damaged_responses_are_refused_without_panicking() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let setup = Setup::new()?;
    let leaf = setup.leaf("Thân Văn Thuận")?;
    let issuer = &setup.pki.issuing_ca;
    let responder = setup.responder(
        &OcspIndex::new().valid(leaf.certificate()),
        issuer,
        Some(60),
    )?;
    let der = responder.query(issuer, &leaf, false)?;
    let check = |bytes: &[u8]| {
        check_ocsp_response(
            bytes,
            leaf.certificate(),
            issuer.certificate(),
            None,
            Utc::now(),
            Duration::from_secs(3600),
        )
    };
    assert!(check(&der).is_ok());
    for length in 0..der.len() {
        assert!(
            check(der.get(..length).unwrap_or_default()).is_err(),
            "prefix of {length} bytes accepted"
        );
    }
    // Every single-bit change of the signed response data is refused; elsewhere (e.g. in an
    // included certificate that is not needed) it may not matter, but nothing panics.
    let mut refused = 0;
    for index in 0..der.len() {
        let mut damaged = der.clone();
        if let Some(byte) = damaged.get_mut(index) {
            *byte ^= 0x01;
        }
        if check(&damaged).is_err() {
            refused += 1;
        }
    }
    assert!(
        refused > der.len() / 2,
        "only {refused} of {} changes refused",
        der.len()
    );
    Ok(())
}

#[tokio::test]
async fn allow_list_and_rewrite_decide_which_host_is_asked() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let setup = Setup::new()?;
    let leaf = setup.leaf("Thân Văn Thuận")?;
    let responder = setup.responder(
        &OcspIndex::new().valid(leaf.certificate()),
        &setup.pki.issuing_ca,
        Some(60),
    )?;
    let rewrite = vec![UrlRewrite {
        from: INTERNAL_OCSP.into(),
        to: responder.url(),
    }];

    let allowed = RevocationFetcher::new(RevocationConfig {
        allowed_hosts: Some(vec!["127.0.0.1".into()]),
        rewrites: rewrite.clone(),
        ..RevocationConfig::default()
    })?;
    let verdict = setup.validate(&leaf, &allowed).await;
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");

    // The allow-list applies to the rewritten URL.
    let refused = RevocationFetcher::new(RevocationConfig {
        allowed_hosts: Some(vec!["ocsp.ca.ptc".into(), "ocsp.ca.gov.vn".into()]),
        rewrites: rewrite,
        ..RevocationConfig::default()
    })?;
    let verdict = setup.validate(&leaf, &refused).await;
    assert_eq!(verdict.status, VerdictStatus::RevocationUnknown);
    assert!(
        verdict.summary.contains("is not in the allowed hosts"),
        "{}",
        verdict.summary
    );
    Ok(())
}

/// root → CA (whose CRL distribution point is on a static server) → leaf (OCSP).
struct ThreeLevels {
    root: TestCert,
    ca: TestCert,
    leaf: TestCert,
    store: TrustStore,
}

impl ThreeLevels {
    fn new(root_crl_url: &str) -> Result<Self, PkiError> {
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
                .crl_url(root_crl_url),
        )?;
        let leaf_subject = NameSpec::new().add("C", "VN").add("CN", "Thân Văn Thuận");
        let leaf = ca.issue(&CertSpec::new(leaf_subject, now).ocsp_url(INTERNAL_OCSP))?;
        let mut store = TrustStore::new();
        store.add_root(root.certificate().clone())?;
        store.add_intermediate(ca.certificate().clone())?;
        Ok(Self {
            root,
            ca,
            leaf,
            store,
        })
    }
}

#[tokio::test]
async fn validation_data_of_a_chain_validates_offline() -> TestResult {
    if !openssl_available() {
        return Ok(());
    }
    let server = StaticHttpServer::start(ServeMode::Files).await?;
    let chain = ThreeLevels::new(&server.url("root.crl"))?;
    server.serve("root.crl", chain.root.crl(&CrlSpec::current(Utc::now()))?);
    let dir = tempfile::tempdir()?;
    let responder = OpensslOcspResponder::start(
        dir.path(),
        &OcspIndex::new().valid(chain.leaf.certificate()),
        &chain.ca,
        &chain.ca,
        Some(60),
    )?;
    let fetcher = fetcher_to(&responder.url(), Duration::from_secs(10))?;

    let data = fetcher
        .validation_data(&chain.store, chain.leaf.certificate(), &[])
        .await?;
    assert_eq!(
        data.certificates,
        vec![
            chain.leaf.der().to_vec(),
            chain.ca.der().to_vec(),
            chain.root.der().to_vec()
        ]
    );
    assert_eq!(
        data.ocsp_responses.len(),
        1,
        "one OCSP response for the leaf"
    );
    assert_eq!(data.crls.len(), 1, "one CRL for the CA");
    openssl_accepts(&chain, dir.path(), &data)?;

    // Offline, from the data alone: the store holds no CRL at all.
    let supplied = SuppliedRevocation::from_validation_data(&data);
    assert!(supplied.problems().is_empty(), "{:?}", supplied.problems());
    let verdict = chain.store.validate_with(
        chain.leaf.certificate(),
        &[],
        Utc::now(),
        Purpose::Signing,
        RevocationPolicy::Require,
        &supplied,
    );
    assert_eq!(verdict.status, VerdictStatus::Valid, "{verdict:#?}");
    let without = chain.store.validate_with(
        chain.leaf.certificate(),
        &[],
        Utc::now(),
        Purpose::Signing,
        RevocationPolicy::Require,
        &SuppliedRevocation::default(),
    );
    assert_eq!(without.status, VerdictStatus::RevocationUnknown);

    // Data of another PKI with the same names does not count.
    let other = ThreeLevels::new(&server.url("other.crl"))?;
    let mut foreign = data.clone();
    foreign.crls = vec![other.root.crl(&CrlSpec::current(Utc::now()))?];
    let verdict = chain.store.validate_with(
        chain.leaf.certificate(),
        &[],
        Utc::now(),
        Purpose::Signing,
        RevocationPolicy::Require,
        &SuppliedRevocation::from_validation_data(&foreign),
    );
    assert_eq!(
        verdict.status,
        VerdictStatus::RevocationUnknown,
        "{verdict:#?}"
    );
    assert!(
        verdict.summary.contains(TestPki::ISSUING_CA_NAME),
        "{}",
        verdict.summary
    );

    // Nothing to be had: the error names the certificate and the sources tried.
    drop(responder);
    let cold = fetcher_to("http://127.0.0.1:9/", Duration::from_secs(2))?;
    let error = cold
        .validation_data(&chain.store, chain.leaf.certificate(), &[])
        .await
        .err()
        .ok_or("validation data without revocation data")?;
    let message = error.to_string();
    assert!(message.contains("Thân Văn Thuận"), "{message}");
    assert!(
        message.contains("OCSP request to http://ocsp.ca.ptc/"),
        "{message}"
    );
    Ok(())
}

/// openssl, on its own, accepts the gathered OCSP response (for the leaf) and CRL (the root's).
fn openssl_accepts(
    chain: &ThreeLevels,
    dir: &std::path::Path,
    data: &ValidationData,
) -> TestResult {
    let write = |name: &str, bytes: &[u8]| -> std::io::Result<std::path::PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        Ok(path)
    };
    let response = write(
        "response.der",
        data.ocsp_responses.first().ok_or("no OCSP")?,
    )?;
    let crl = write("root.crl", data.crls.first().ok_or("no CRL")?)?;
    let leaf = write("leaf.pem", chain.leaf.pem().as_bytes())?;
    let ca = write("ca.pem", chain.ca.pem().as_bytes())?;
    let anchors = write(
        "anchors.pem",
        format!("{}{}", chain.root.pem(), chain.ca.pem()).as_bytes(),
    )?;
    let output = std::process::Command::new("openssl")
        .arg("ocsp")
        .arg("-respin")
        .arg(&response)
        .arg("-issuer")
        .arg(&ca)
        .arg("-cert")
        .arg(&leaf)
        .arg("-CAfile")
        .arg(&anchors)
        // The gathered response answers our fetcher's nonce, not one of this command.
        .arg("-no_nonce")
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("Response verify OK"), "{stdout}{stderr}");
    assert!(stdout.contains(": good"), "{stdout}");
    let output = std::process::Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-in"])
        .arg(&crl)
        .arg("-CAfile")
        .arg(&anchors)
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("verify OK"), "{stderr}");
    Ok(())
}
