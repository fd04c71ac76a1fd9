//! RFC 3161 timestamps against the reference implementation: tokens made by `openssl ts -reply`
//! are checked by `check_token`, tokens of our `TimestampAuthority` by `openssl ts -verify`, and
//! the client is run against both over HTTP, including failing and misbehaving authorities.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use der::{Decode, Encode};
use motcua_pki::cms::{Indication, KeySigner, SignatureCheckKind, SubIndication};
use motcua_pki::testpki::tsa::{
    RequiredAuth, TsaBehaviour, TsaServer, TsaServerOptions, TEST_TSA_POLICY,
};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestCert, TestPki};
use motcua_pki::tsp::{
    check_token, check_token_over, TimestampAuthority, TimestampCheck, TsaClient, TsaConfig,
    TsaCredentials, TsaEndpoint,
};
use motcua_pki::{Budget, Outcome, PkiError, RevocationPolicy, TrustStore};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Whether `openssl` can be run; outside CI a missing program skips the test.
fn openssl_present() -> Result<bool, Box<dyn std::error::Error>> {
    match Command::new("openssl").arg("version").output() {
        Ok(_) => Ok(true),
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound && std::env::var_os("CI").is_none() =>
        {
            eprintln!("openssl is not installed; skipped");
            Ok(false)
        }
        Err(error) => Err(error.into()),
    }
}

fn openssl(args: &[&str], dir: &Path) -> Result<Output, Box<dyn std::error::Error>> {
    Ok(Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()?)
}

/// A PKI on the real clock (openssl stamps the current time), its store with current CRLs,
/// and a TSA certificate.
struct Fixture {
    pki: TestPki,
    store: TrustStore,
    tsa: TestCert,
}

impl Fixture {
    fn new() -> Result<Self, PkiError> {
        let now = Utc::now();
        let pki = TestPki::new(KeySpec::Rsa2048, now)?;
        let mut store = pki.trust_store()?;
        store.add_crl(&pki.root_crl(&CrlSpec::current(now))?)?;
        store.add_crl(&pki.crl(&CrlSpec::current(now))?)?;
        let tsa = pki.issue(&pki.tsa())?;
        Ok(Self { pki, store, tsa })
    }

    async fn openssl_tsa(&self, options: TsaServerOptions) -> Result<TsaServer, PkiError> {
        TsaServer::openssl(&self.tsa, &[&self.pki.issuing_ca], options).await
    }

    fn authority(&self) -> Result<TimestampAuthority, PkiError> {
        let signer = KeySigner::new(
            self.tsa.private_key().clone(),
            self.tsa.certificate().clone(),
        )?;
        TimestampAuthority::new(
            signer,
            &[self.pki.issuing_ca.certificate().clone()],
            TEST_TSA_POLICY,
        )
    }

    fn check(&self, token: &[u8], imprint: &[u8]) -> Result<TimestampCheck, PkiError> {
        check_token(
            token,
            imprint,
            &self.store,
            Utc::now(),
            RevocationPolicy::Require,
            &Budget::unlimited(),
        )
    }
}

fn config(endpoints: &[(&str, Option<TsaCredentials>)]) -> TsaConfig {
    TsaConfig {
        endpoints: endpoints
            .iter()
            .map(|(url, credentials)| TsaEndpoint {
                url: (*url).to_owned(),
                credentials: credentials.clone(),
            })
            .collect(),
        timeout: Duration::from_secs(5),
        policy: None,
        max_response_bytes: 64 * 1024,
        max_clock_skew: Duration::from_secs(60),
    }
}

fn client(endpoints: &[(&str, Option<TsaCredentials>)]) -> Result<TsaClient, PkiError> {
    TsaClient::new(config(endpoints))
}

fn imprint_of(text: &str) -> [u8; 32] {
    openssl::sha::sha256(text.as_bytes())
}

/// The failures of a client call, as its error message.
fn failure_text(result: Result<motcua_pki::tsp::Timestamp, PkiError>) -> String {
    match result {
        Ok(timestamp) => panic!("expected a failure, got a token from {}", timestamp.url),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn openssl_tokens_pass_and_tampered_ones_fail() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let server = fixture.openssl_tsa(TsaServerOptions::default()).await?;
    let imprint = imprint_of("Báo cáo số 05/BC-UBND");
    let timestamp = client(&[(server.url(), None)])?
        .timestamp(imprint, &fixture.store)
        .await?;
    assert_eq!(timestamp.url, server.url());
    assert!(timestamp.tsa.contains("dấu thời gian"), "{}", timestamp.tsa);

    let check = fixture.check(&timestamp.token, &imprint)?;
    assert_eq!(
        check.indication,
        Indication::TotalPassed,
        "{}",
        check.summary
    );
    assert!(check.imprint_matches);
    assert_eq!(check.policy, TEST_TSA_POLICY);
    assert_eq!(check.hash_algorithm, "SHA256");
    assert_eq!(check.gen_time, timestamp.gen_time);
    assert_eq!(check.accuracy.map(|accuracy| accuracy.seconds), Some(1));
    assert!((Utc::now() - check.gen_time).num_seconds().abs() < 60);
    // openssl binds its certificate with the SHA-1 signing-certificate attribute (v1).
    let binding = check
        .checks
        .iter()
        .find(|check| check.check == SignatureCheckKind::SigningCertificateAttribute)
        .ok_or("no signing-certificate check")?;
    assert_eq!(binding.outcome, Outcome::Passed, "{}", binding.detail);
    assert!(binding.detail.contains("SHA-1"), "{}", binding.detail);
    let over_data = check_token_over(
        &timestamp.token,
        &["Báo cáo số 05/BC-UBND".as_bytes()],
        &fixture.store,
        Utc::now(),
        RevocationPolicy::Require,
        &Budget::unlimited(),
    )?;
    assert!(over_data.is_valid(), "{}", over_data.summary);

    let other = fixture.check(&timestamp.token, &imprint_of("another report"))?;
    assert_eq!(other.indication, Indication::TotalFailed);
    assert_eq!(other.sub_indication, Some(SubIndication::HashFailure));
    assert!(!other.imprint_matches);

    // The signature value is the last element of the token: flip its last byte.
    let mut flipped = timestamp.token.clone();
    if let Some(last) = flipped.last_mut() {
        *last ^= 0x01;
    }
    let flipped = fixture.check(&flipped, &imprint)?;
    assert_eq!(flipped.indication, Indication::TotalFailed);
    assert_eq!(
        flipped.sub_indication,
        Some(SubIndication::SigCryptoFailure)
    );

    let stranger = Fixture::new()?;
    let untrusted = stranger.check(&timestamp.token, &imprint)?;
    assert_eq!(untrusted.indication, Indication::Indeterminate);
    assert_eq!(
        untrusted.sub_indication,
        Some(SubIndication::NoCertificateChainFound)
    );

    assert!(matches!(
        fixture.check(b"not a token", &imprint),
        Err(PkiError::InvalidTimestamp(_))
    ));
    Ok(())
}

#[tokio::test]
async fn an_expired_tsa_certificate_fails_at_gen_time() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let expired = fixture.pki.issue(&fixture.pki.tsa().expired())?;
    let server = TsaServer::openssl(
        &expired,
        &[&fixture.pki.issuing_ca],
        TsaServerOptions::default(),
    )
    .await?;
    let imprint = imprint_of("late");
    let token = token_from(server.url(), &imprint).await?;
    let check = fixture.check(&token, &imprint)?;
    assert_eq!(
        check.indication,
        Indication::TotalFailed,
        "{}",
        check.summary
    );
    assert_eq!(check.sub_indication, Some(SubIndication::Expired));
    Ok(())
}

/// Asks `url` for a token over `imprint` without checking it: the raw answer's token.
async fn token_from(url: &str, imprint: &[u8; 32]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let request = motcua_pki::tsp::timestamp_request(imprint, None)?;
    let reply = post(url, request.der).await?;
    let response = x509_tsp::TimeStampResp::from_der(&reply)?;
    Ok(response
        .time_stamp_token
        .ok_or("the TSA sent no token")?
        .to_der()?)
}

async fn post(url: &str, query: Vec<u8>) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/timestamp-query")
        .body(query)
        .send()
        .await?;
    Ok(response.bytes().await?.to_vec())
}

/// Signs the TSTInfo of `token` again with `openssl cms -sign` (CAdES attributes) by `signer`:
/// a token from a certificate `openssl ts` would refuse to sign with.
fn resigned(
    token: &[u8],
    signer: &TestCert,
    dir: &Path,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let content_info = cms::content_info::ContentInfo::from_der(token)?;
    let signed_data = cms::signed_data::SignedData::from_der(&content_info.content.to_der()?)?;
    let tst_info = signed_data
        .encap_content_info
        .econtent
        .ok_or("no TSTInfo")?;
    std::fs::write(dir.join("tst.der"), tst_info.value())?;
    std::fs::write(dir.join("signer.pem"), signer.pem())?;
    std::fs::write(dir.join("signer.key"), signer.private_key_pem()?)?;
    let output = openssl(
        &[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-nosmimecap",
            "-md",
            "sha256",
            "-econtent_type",
            "1.2.840.113549.1.9.16.1.4",
            "-signer",
            "signer.pem",
            "-inkey",
            "signer.key",
            "-in",
            "tst.der",
            "-outform",
            "DER",
            "-out",
            "token.der",
        ],
        dir,
    )?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(std::fs::read(dir.join("token.der"))?)
}

#[tokio::test]
async fn tsa_certificates_need_the_critical_timestamping_usage() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let server = fixture.openssl_tsa(TsaServerOptions::default()).await?;
    let imprint = imprint_of("usage");
    let token = token_from(server.url(), &imprint).await?;
    let dir = tempfile::tempdir()?;
    let mut without = fixture.pki.tsa();
    without.extended_key_usage.clear();
    let mut not_critical = fixture.pki.tsa();
    not_critical.extended_key_usage_critical = false;
    let also_email = fixture
        .pki
        .tsa()
        .extended_key_usage(&["1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.4"]);
    for (spec, expected) in [
        (fixture.pki.tsa(), None),
        (without, Some("no extendedKeyUsage")),
        (not_critical, Some("not marked critical")),
        (also_email, Some("nothing else")),
        (
            fixture.pki.tsa().wrong_key_usage(),
            Some("keyUsage of a timestamping"),
        ),
    ] {
        let signer = fixture.pki.issue(&spec)?;
        let token = resigned(&token, &signer, dir.path())?;
        let check = fixture.check(&token, &imprint)?;
        match expected {
            None => assert!(check.is_valid(), "{}", check.summary),
            Some(reason) => {
                assert_eq!(check.indication, Indication::Indeterminate);
                assert_eq!(
                    check.sub_indication,
                    Some(SubIndication::ChainConstraintsFailure)
                );
                assert!(check.summary.contains(reason), "{}", check.summary);
                let refused = TimestampAuthority::new(
                    KeySigner::new(signer.private_key().clone(), signer.certificate().clone())?,
                    &[],
                    TEST_TSA_POLICY,
                );
                assert!(matches!(refused, Err(PkiError::TsaCertificate { .. })));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn authority_tokens_pass_openssl_ts_verify() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let server = TsaServer::authority(fixture.authority()?, TsaServerOptions::default()).await?;
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("root.pem"), fixture.pki.root.pem())?;
    std::fs::write(dir.path().join("chain.pem"), fixture.pki.issuing_ca.pem())?;
    for index in 0..4 {
        let imprint = imprint_of(&format!("hồ sơ {index}"));
        let digest = hex::encode(imprint);
        let query = openssl(
            &[
                "ts",
                "-query",
                "-sha256",
                "-digest",
                &digest,
                "-cert",
                "-tspolicy",
                TEST_TSA_POLICY,
                "-out",
                "query.tsq",
            ],
            dir.path(),
        )?;
        assert!(
            query.status.success(),
            "{}",
            String::from_utf8_lossy(&query.stderr)
        );
        let reply = post(server.url(), std::fs::read(dir.path().join("query.tsq"))?).await?;
        std::fs::write(dir.path().join("resp.tsr"), &reply)?;
        let verify = openssl(
            &[
                "ts",
                "-verify",
                "-digest",
                &digest,
                "-in",
                "resp.tsr",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "chain.pem",
            ],
            dir.path(),
        )?;
        let said = String::from_utf8_lossy(&verify.stdout);
        assert!(
            verify.status.success() && said.contains("Verification: OK"),
            "{said}{}",
            String::from_utf8_lossy(&verify.stderr)
        );
        let query_text = openssl(&["ts", "-query", "-in", "query.tsq", "-text"], dir.path())?;
        let reply_text = openssl(&["ts", "-reply", "-in", "resp.tsr", "-text"], dir.path())?;
        let reply_text = String::from_utf8_lossy(&reply_text.stdout).into_owned();
        let query_text = String::from_utf8_lossy(&query_text.stdout).into_owned();
        let nonce = query_text
            .lines()
            .find_map(|line| line.trim().strip_prefix("Nonce: "))
            .ok_or("the query has no nonce")?;
        assert!(reply_text.contains("Status: Granted."), "{reply_text}");
        assert!(
            reply_text.contains(&format!("Nonce: {nonce}")),
            "{reply_text}"
        );
        assert!(
            reply_text.contains(&format!("Policy OID: {TEST_TSA_POLICY}")),
            "{reply_text}"
        );
        assert!(
            reply_text.contains("Accuracy: 0x01 seconds"),
            "{reply_text}"
        );
    }
    // Our own client and checks accept them too.
    let imprint = imprint_of("client");
    let timestamp = client(&[(server.url(), None)])?
        .timestamp(imprint, &fixture.store)
        .await?;
    let check = fixture.check(&timestamp.token, &imprint)?;
    assert!(check.is_valid(), "{}", check.summary);
    Ok(())
}

#[tokio::test]
async fn bad_requests_get_the_right_rejection() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let server = TsaServer::authority(fixture.authority()?, TsaServerOptions::default()).await?;
    let dir = tempfile::tempdir()?;
    let md5 = "0123456789abcdef0123456789abcdef";
    let sha256 = hex::encode(imprint_of("policy"));
    let cases: [(&[&str], &str); 3] = [
        (
            &["-md5", "-digest", md5],
            "unrecognized or unsupported algorithm",
        ),
        (
            &["-sha256", "-digest", &sha256, "-tspolicy", "1.2.3.4"],
            "requested TSA policy is not supported",
        ),
        (&[], "the data submitted has the wrong format"),
    ];
    for (options, expected) in cases {
        let query = if options.is_empty() {
            b"garbage".to_vec()
        } else {
            let mut args = vec!["ts", "-query", "-out", "query.tsq"];
            args.extend_from_slice(options);
            let made = openssl(&args, dir.path())?;
            assert!(
                made.status.success(),
                "{}",
                String::from_utf8_lossy(&made.stderr)
            );
            std::fs::read(dir.path().join("query.tsq"))?
        };
        std::fs::write(
            dir.path().join("resp.tsr"),
            post(server.url(), query).await?,
        )?;
        let text = openssl(&["ts", "-reply", "-in", "resp.tsr", "-text"], dir.path())?;
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        assert!(text.contains("Status: Rejected"), "{text}");
        assert!(text.contains(expected), "{expected}: {text}");
    }
    Ok(())
}

#[tokio::test]
async fn the_client_fails_over_and_names_each_failure() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        format!("http://{}/tsa", listener.local_addr()?)
    };
    let good = fixture.openssl_tsa(TsaServerOptions::default()).await?;
    let imprint = imprint_of("failover");
    let timestamp = client(&[(&closed, None), (good.url(), None)])?
        .timestamp(imprint, &fixture.store)
        .await?;
    assert_eq!(timestamp.url, good.url());

    let garbage = fixture
        .openssl_tsa(TsaServerOptions {
            behaviour: TsaBehaviour::Garbage,
            ..TsaServerOptions::default()
        })
        .await?;
    let message = failure_text(
        client(&[(&closed, None), (garbage.url(), None)])?
            .timestamp(imprint, &fixture.store)
            .await,
    );
    assert!(message.contains(&closed), "{message}");
    assert!(message.contains(garbage.url()), "{message}");
    assert!(message.contains("not a TimeStampResp"), "{message}");

    let hanging = fixture
        .openssl_tsa(TsaServerOptions {
            behaviour: TsaBehaviour::Hang,
            ..TsaServerOptions::default()
        })
        .await?;
    let mut short = config(&[(hanging.url(), None)]);
    short.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let message = failure_text(
        TsaClient::new(short)?
            .timestamp(imprint, &fixture.store)
            .await,
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(message.contains(hanging.url()), "{message}");
    Ok(())
}

#[tokio::test]
async fn the_client_sends_credentials() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let imprint = imprint_of("credentials");
    let basic = RequiredAuth::Basic {
        user: "ubnd-tang-tien".into(),
        password: "mật khẩu".into(),
    };
    let bearer = RequiredAuth::Bearer("b2f1c0de".into());
    let cases = [
        (
            basic,
            TsaCredentials::Basic {
                user: "ubnd-tang-tien".into(),
                password: "mật khẩu".into(),
            },
        ),
        (bearer, TsaCredentials::Bearer("b2f1c0de".into())),
    ];
    for (required, credentials) in cases {
        let server = fixture
            .openssl_tsa(TsaServerOptions {
                auth: Some(required),
                ..TsaServerOptions::default()
            })
            .await?;
        let refused = failure_text(
            client(&[(server.url(), None)])?
                .timestamp(imprint, &fixture.store)
                .await,
        );
        assert!(refused.contains("401"), "{refused}");
        let timestamp = client(&[(server.url(), Some(credentials))])?
            .timestamp(imprint, &fixture.store)
            .await?;
        assert_eq!(timestamp.url, server.url());
    }
    Ok(())
}

#[tokio::test]
async fn replayed_and_skewed_tokens_are_refused() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let replaying = fixture
        .openssl_tsa(TsaServerOptions {
            behaviour: TsaBehaviour::ReplayFirst,
            ..TsaServerOptions::default()
        })
        .await?;
    let tsa = client(&[(replaying.url(), None)])?;
    let imprint = imprint_of("first");
    tsa.timestamp(imprint, &fixture.store).await?;
    let same_imprint = failure_text(tsa.timestamp(imprint, &fixture.store).await);
    assert!(same_imprint.contains("nonce"), "{same_imprint}");
    let other_imprint = failure_text(tsa.timestamp(imprint_of("second"), &fixture.store).await);
    assert!(
        other_imprint.contains("imprint does not match"),
        "{other_imprint}"
    );

    let skewed = TsaServer::authority(
        fixture.authority()?,
        TsaServerOptions {
            clock_offset: TimeDelta::minutes(10),
            ..TsaServerOptions::default()
        },
    )
    .await?;
    let message = failure_text(
        client(&[(skewed.url(), None)])?
            .timestamp(imprint, &fixture.store)
            .await,
    );
    assert!(message.contains("away from the local clock"), "{message}");
    Ok(())
}

#[tokio::test]
async fn gen_times_with_fractions_of_a_second_are_read() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let server = fixture
        .openssl_tsa(TsaServerOptions {
            clock_precision_digits: 3,
            ..TsaServerOptions::default()
        })
        .await?;
    let dir = tempfile::tempdir()?;
    for index in 0..3 {
        let imprint = imprint_of(&format!("precise {index}"));
        let token = token_from(server.url(), &imprint).await?;
        let check = fixture.check(&token, &imprint)?;
        assert!(check.is_valid(), "{}", check.summary);
        // openssl prints the genTime it wrote; ours must be the same instant.
        std::fs::write(dir.path().join("token.der"), &token)?;
        let text = openssl(
            &["ts", "-reply", "-in", "token.der", "-token_in", "-text"],
            dir.path(),
        )?;
        let text = String::from_utf8_lossy(&text.stdout).into_owned();
        let printed = text
            .lines()
            .find_map(|line| line.strip_prefix("Time stamp: "))
            .ok_or("no time stamp line")?;
        let printed =
            chrono::NaiveDateTime::parse_from_str(printed.trim(), "%b %e %H:%M:%S%.f %Y GMT")?
                .and_utc();
        assert_eq!(printed, check.gen_time, "{text}");
        assert_eq!(check.gen_time.timestamp_subsec_nanos() % 1_000_000, 0);
    }
    Ok(())
}

#[tokio::test]
async fn the_client_asks_for_and_requires_its_policy() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let server = fixture.openssl_tsa(TsaServerOptions::default()).await?;
    let imprint = imprint_of("policy");
    let mut wanted = config(&[(server.url(), None)]);
    wanted.policy = Some(TEST_TSA_POLICY.into());
    TsaClient::new(wanted)?
        .timestamp(imprint, &fixture.store)
        .await?;
    let mut other = config(&[(server.url(), None)]);
    other.policy = Some("1.2.3.4".into());
    let message = failure_text(
        TsaClient::new(other)?
            .timestamp(imprint, &fixture.store)
            .await,
    );
    assert!(message.contains("unacceptedPolicy"), "{message}");
    Ok(())
}

/// Every truncation and many byte changes of a real token and request are answered without a
/// panic: a report or an error for tokens, a DER response for requests.
#[tokio::test]
async fn hostile_tokens_and_requests_do_not_panic() -> TestResult {
    if !openssl_present()? {
        return Ok(());
    }
    let fixture = Fixture::new()?;
    let server = fixture.openssl_tsa(TsaServerOptions::default()).await?;
    let imprint = imprint_of("hostile");
    let token = token_from(server.url(), &imprint).await?;
    for length in 0..token.len() {
        let truncated = token.get(..length).ok_or("length")?;
        let _ = fixture.check(truncated, &imprint);
    }
    // Anywhere: no panic. Inside the signed TSTInfo: never valid.
    let signed = tst_info_range(&token)?;
    for position in 0..token.len() {
        let mut changed = token.clone();
        if let Some(byte) = changed.get_mut(position) {
            *byte ^= 0x5a;
        }
        let checked = fixture.check(&changed, &imprint);
        if signed.contains(&position) {
            if let Ok(check) = checked {
                assert!(!check.is_valid(), "a change at {position} went unnoticed");
            }
        }
    }
    let authority = fixture.authority()?;
    let request = motcua_pki::tsp::timestamp_request(&imprint, None)?;
    for length in 0..request.der.len() {
        let truncated = request.der.get(..length).ok_or("length")?;
        let reply = authority.respond(truncated, Utc::now());
        let response = x509_tsp::TimeStampResp::from_der(&reply)?;
        assert!(response.time_stamp_token.is_none());
    }
    Ok(())
}

/// Where the TSTInfo lies in `token`.
fn tst_info_range(token: &[u8]) -> Result<std::ops::Range<usize>, Box<dyn std::error::Error>> {
    let content_info = cms::content_info::ContentInfo::from_der(token)?;
    let signed_data = cms::signed_data::SignedData::from_der(&content_info.content.to_der()?)?;
    let econtent = signed_data
        .encap_content_info
        .econtent
        .ok_or("no TSTInfo")?;
    let tst_info = econtent.value();
    let start = token
        .windows(tst_info.len())
        .position(|window| window == tst_info)
        .ok_or("TSTInfo not found")?;
    Ok(start..start + tst_info.len())
}

/// Without certReq the token carries no certificate, and it is then unusable without one.
#[test]
fn certificates_only_when_asked() -> TestResult {
    let fixture = Fixture::new()?;
    let authority = fixture.authority()?;
    let imprint = imprint_of("no certificates");
    let request = x509_tsp::TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
                oid: der::oid::ObjectIdentifier::new("2.16.840.1.101.3.4.2.1")?,
                parameters: None,
            },
            hashed_message: der::asn1::OctetString::new(imprint.to_vec())?,
        },
        req_policy: None,
        nonce: None,
        cert_req: false,
        extensions: None,
    };
    let reply = authority.respond(&request.to_der()?, Utc::now());
    let token = x509_tsp::TimeStampResp::from_der(&reply)?
        .time_stamp_token
        .ok_or("no token")?;
    let signed_data = cms::signed_data::SignedData::from_der(&token.content.to_der()?)?;
    assert!(signed_data.certificates.is_none());
    let check = fixture.check(&token.to_der()?, &imprint)?;
    assert_eq!(
        check.sub_indication,
        Some(SubIndication::NoSigningCertificateFound)
    );
    assert!(check.nonce.is_none());
    Ok(())
}
