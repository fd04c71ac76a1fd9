//! The long-term cases of the third-party corpus (`tests/corpus/expected.toml`, `[[long_term]]`):
//! RFC 3161 tokens made by `openssl ts -reply`, OCSP responses made by `openssl ocsp`, and B-T,
//! B-LT and B-LTA documents made by pyHanko. motcua's verifier must give each the indication,
//! sub-indication and PAdES level the corpus states, at every validation time it names (now,
//! and 2040, when the timestamping authorities' certificates have expired), from the files and
//! the case's trust folder alone: no network.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use motcua_pki::cms::{Indication, SubIndication};
use motcua_pki::pades::{verify_pdf, PdfSignatureKind, PdfSignatureReport, SignatureLevel};
use motcua_pki::tsp::check_token;
use motcua_pki::{
    check_ocsp_response, parse_certificates, Budget, Certificate, OcspCertStatus, RevocationPolicy,
    TrustStore,
};
use serde::Deserialize;

type Failure = Box<dyn std::error::Error>;

/// `expected.toml`; the `[[case]]` tables are read by the service tests.
#[derive(Debug, Deserialize)]
struct Corpus {
    long_term: Vec<LongTermCase>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Kind {
    TimestampToken,
    OcspResponse,
    Pdf,
}

/// One `[[long_term]]` table (schema in `tests/corpus/README.md`); the fields of every kind,
/// each present for the kinds that use it.
#[derive(Debug, Deserialize)]
struct LongTermCase {
    id: String,
    kind: Kind,
    file: String,
    trust: String,
    // timestamp-token
    data: Option<String>,
    gen_time: Option<DateTime<Utc>>,
    indication: Option<String>,
    sub_indication: Option<String>,
    // ocsp-response
    cert: Option<String>,
    issuer: Option<String>,
    cert_status: Option<String>,
    revocation_time: Option<DateTime<Utc>>,
    revocation_reason: Option<String>,
    produced_at: Option<DateTime<Utc>>,
    this_update: Option<DateTime<Utc>>,
    next_update: Option<DateTime<Utc>>,
    // pdf
    #[serde(default)]
    document_timestamps: Vec<DateTime<Utc>>,
    #[serde(default)]
    signature: Vec<ExpectedSignature>,
}

#[derive(Debug, Deserialize)]
struct ExpectedSignature {
    field: String,
    level: String,
    expect: Vec<Expectation>,
}

#[derive(Debug, Deserialize)]
struct Expectation {
    validation_time: String,
    indication: String,
    sub_indication: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn corpus_file(relative: &str) -> PathBuf {
    corpus_dir().join("files").join(relative)
}

fn read(relative: &str) -> Result<Vec<u8>, Failure> {
    let path = corpus_file(relative);
    std::fs::read(&path).map_err(|error| format!("{}: {error}", path.display()).into())
}

fn load() -> Result<Corpus, Failure> {
    let text = std::fs::read_to_string(corpus_dir().join("expected.toml"))?;
    Ok(toml::from_str(&text)?)
}

fn trust_store(folder: &str) -> Result<TrustStore, Failure> {
    Ok(TrustStore::from_dir(&corpus_file(folder))?)
}

fn certificate(relative: &str) -> Result<Certificate, Failure> {
    parse_certificates(&read(relative)?)?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{relative} holds no certificate").into())
}

/// `TOTAL_PASSED`, or `INDICATION/SUB_INDICATION`, as the corpus writes them.
fn outcome(indication: &str, sub_indication: Option<&str>) -> String {
    match sub_indication {
        Some(sub) => format!("{indication}/{sub}"),
        None => indication.to_owned(),
    }
}

/// motcua's indication and sub-indication in the corpus' notation (their serde names).
fn motcua_outcome(indication: Indication, sub_indication: Option<SubIndication>) -> String {
    let name = |value: serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let indication = name(serde_json::to_value(indication).unwrap_or_default());
    let sub = sub_indication.map(|sub| name(serde_json::to_value(sub).unwrap_or_default()));
    outcome(&indication, sub.as_deref())
}

fn level_name(level: Option<SignatureLevel>) -> &'static str {
    match level {
        Some(SignatureLevel::BaselineB) => "B-B",
        Some(SignatureLevel::BaselineT) => "B-T",
        Some(SignatureLevel::BaselineLt) => "B-LT",
        Some(SignatureLevel::BaselineLta) => "B-LTA",
        None => "none",
    }
}

fn validation_time(text: &str) -> Result<DateTime<Utc>, Failure> {
    if text == "now" {
        return Ok(Utc::now());
    }
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

/// The `TimeStampToken` of a DER `TimeStampResp` (what `openssl ts -reply` writes).
fn token_of_response(response: &[u8]) -> Result<Vec<u8>, Failure> {
    let response = x509_tsp::TimeStampResp::from_der(response)?;
    let token = response
        .time_stamp_token
        .ok_or("the response carries no token")?;
    Ok(token.to_der()?)
}

/// Every disagreement of a case with the corpus, as lines naming the case.
fn check_case(case: &LongTermCase) -> Result<Vec<String>, Failure> {
    match case.kind {
        Kind::TimestampToken => check_timestamp_token(case),
        Kind::OcspResponse => check_ocsp(case),
        Kind::Pdf => check_pdf(case),
    }
}

fn check_timestamp_token(case: &LongTermCase) -> Result<Vec<String>, Failure> {
    let token = token_of_response(&read(&case.file)?)?;
    let data = read(case.data.as_deref().ok_or("a token case names its data")?)?;
    let imprint = openssl::sha::sha256(&data);
    let store = trust_store(&case.trust)?;
    let budget = Budget::new(Duration::from_secs(10));
    let check = check_token(
        &token,
        &imprint,
        &store,
        Utc::now(),
        RevocationPolicy::Require,
        &budget,
    )?;
    let mut mismatches = Vec::new();
    let expected = outcome(
        case.indication
            .as_deref()
            .ok_or("a token case names its indication")?,
        case.sub_indication.as_deref(),
    );
    let found = motcua_outcome(check.indication, check.sub_indication);
    if found != expected {
        mismatches.push(format!(
            "{}: expected {expected}, motcua says {found} ({})",
            case.id, check.summary
        ));
    }
    if Some(check.gen_time) != case.gen_time {
        mismatches.push(format!(
            "{}: genTime {} instead of {:?}",
            case.id, check.gen_time, case.gen_time
        ));
    }
    Ok(mismatches)
}

fn check_ocsp(case: &LongTermCase) -> Result<Vec<String>, Failure> {
    let der = read(&case.file)?;
    let cert = certificate(
        case.cert
            .as_deref()
            .ok_or("an OCSP case names its certificate")?,
    )?;
    let issuer = certificate(
        case.issuer
            .as_deref()
            .ok_or("an OCSP case names its issuer")?,
    )?;
    let max_age = Duration::from_secs(7 * 24 * 3600);
    let answer = match check_ocsp_response(&der, &cert, &issuer, None, Utc::now(), max_age) {
        Ok(answer) => answer,
        Err(error) => return Ok(vec![format!("{}: refused: {error}", case.id)]),
    };
    let status = match answer.status {
        OcspCertStatus::Good => ("good".to_owned(), None, None),
        OcspCertStatus::Revoked { revoked_at, reason } => (
            "revoked".to_owned(),
            Some(revoked_at),
            reason.map(|reason| format!("{reason:?}").to_ascii_lowercase()),
        ),
        OcspCertStatus::Unknown => ("unknown".to_owned(), None, None),
    };
    let expected = (
        case.cert_status.clone().unwrap_or_default(),
        case.revocation_time,
        case.revocation_reason
            .as_ref()
            .map(|reason| reason.to_ascii_lowercase()),
    );
    let mut mismatches = Vec::new();
    if status != expected {
        mismatches.push(format!(
            "{}: status {status:?} instead of {expected:?}",
            case.id
        ));
    }
    let times = (
        Some(answer.produced_at),
        Some(answer.this_update),
        answer.next_update,
    );
    let expected_times = (case.produced_at, case.this_update, case.next_update);
    if times != expected_times {
        mismatches.push(format!(
            "{}: times {times:?} instead of {expected_times:?}",
            case.id
        ));
    }
    Ok(mismatches)
}

fn check_pdf(case: &LongTermCase) -> Result<Vec<String>, Failure> {
    let pdf = read(&case.file)?;
    let store = trust_store(&case.trust)?;
    let times: std::collections::BTreeSet<&str> = case
        .signature
        .iter()
        .flat_map(|signature| signature.expect.iter())
        .map(|expect| expect.validation_time.as_str())
        .collect();
    let mut mismatches = Vec::new();
    for time in times {
        let at = validation_time(time)?;
        let reports = verify_pdf(&pdf, &store, &[], at, RevocationPolicy::Require)?;
        mismatches.extend(document_timestamp_mismatches(case, time, &reports));
        for signature in &case.signature {
            let Some(expect) = signature.expect.iter().find(|e| e.validation_time == time) else {
                continue;
            };
            mismatches.extend(signature_mismatches(
                case, time, signature, expect, &reports,
            ));
        }
    }
    Ok(mismatches)
}

/// The document timestamps are reported as such, with the genTimes the corpus lists.
fn document_timestamp_mismatches(
    case: &LongTermCase,
    time: &str,
    reports: &[PdfSignatureReport],
) -> Option<String> {
    let found: Vec<Option<DateTime<Utc>>> = reports
        .iter()
        .filter(|report| report.kind == PdfSignatureKind::DocumentTimestamp)
        .map(|report| report.report.claimed_signing_time)
        .collect();
    let expected: Vec<Option<DateTime<Utc>>> =
        case.document_timestamps.iter().copied().map(Some).collect();
    (found != expected).then(|| {
        format!(
            "{} at {time}: document timestamps {found:?} instead of {expected:?}",
            case.id
        )
    })
}

fn signature_mismatches(
    case: &LongTermCase,
    time: &str,
    signature: &ExpectedSignature,
    expect: &Expectation,
    reports: &[PdfSignatureReport],
) -> Vec<String> {
    let Some(report) = reports.iter().find(|report| {
        report.kind == PdfSignatureKind::Signature && report.field_name == signature.field
    }) else {
        return vec![format!(
            "{} at {time}: no signature {} reported",
            case.id, signature.field
        )];
    };
    let mut mismatches = Vec::new();
    let expected = outcome(&expect.indication, expect.sub_indication.as_deref());
    let found = motcua_outcome(report.report.indication, report.report.sub_indication);
    if found != expected {
        mismatches.push(format!(
            "{} at {time}: {} expected {expected}, motcua says {found} ({})",
            case.id, signature.field, report.report.summary
        ));
    }
    let level = level_name(report.report.level);
    if level != signature.level {
        mismatches.push(format!(
            "{} at {time}: {} level {level} instead of {}",
            case.id, signature.field, signature.level
        ));
    }
    mismatches
}

#[test]
fn motcua_agrees_with_every_long_term_case_of_the_corpus() -> Result<(), Failure> {
    let corpus = load()?;
    let mut mismatches = Vec::new();
    for case in &corpus.long_term {
        match check_case(case) {
            Ok(found) => mismatches.extend(found),
            Err(error) => mismatches.push(format!("{}: {error}", case.id)),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} disagreements with tests/corpus/expected.toml:\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
    // A corpus that loads nothing, or loses a kind of case, must not pass.
    let count = |wanted: fn(&Kind) -> bool| {
        corpus
            .long_term
            .iter()
            .filter(|case| wanted(&case.kind))
            .count()
    };
    assert!(count(|kind| matches!(kind, Kind::TimestampToken)) >= 3);
    assert!(count(|kind| matches!(kind, Kind::OcspResponse)) >= 2);
    assert!(count(|kind| matches!(kind, Kind::Pdf)) >= 8);
    Ok(())
}
