//! `motcua verify FILE`: the signatures of a PDF checked offline against CA certificates and
//! CRLs from a folder.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use motcua_pki::cms::Indication;
use motcua_pki::pades::{verify_pdf, PdfSignatureReport};
use motcua_pki::{RevocationPolicy, TrustStore};

/// Verifies `file`, prints the report, and fails unless every signature is TOTAL_PASSED.
pub fn run(
    file: &Path,
    trust_roots: Option<&Path>,
    require_revocation: bool,
) -> Result<(), String> {
    let pdf = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let store = match trust_roots {
        Some(dir) => TrustStore::from_dir(dir)?,
        None => TrustStore::new(),
    };
    let policy = if require_revocation {
        RevocationPolicy::Require
    } else {
        RevocationPolicy::BestEffort
    };
    let reports = verify_pdf(&pdf, &store, &[], Utc::now(), policy)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let (text, passed) = describe(&reports);
    print!("{text}");
    if reports.is_empty() {
        Err(format!("{} has no signatures", file.display()))
    } else if passed {
        Ok(())
    } else {
        Err("not every signature is TOTAL_PASSED".into())
    }
}

/// The printed report, and whether every signature passed (false when there is none).
pub fn describe(reports: &[PdfSignatureReport]) -> (String, bool) {
    let mut text = String::new();
    for (index, signature) in reports.iter().enumerate() {
        let report = &signature.report;
        let indication = serde_text(&report.indication);
        let sub = report
            .sub_indication
            .as_ref()
            .map(|sub| format!(" / {}", serde_text(sub)))
            .unwrap_or_default();
        let signer = report
            .signer
            .as_ref()
            .map_or("(unknown)".to_owned(), |signer| signer.subject.clone());
        let time = report
            .claimed_signing_time
            .as_ref()
            .map_or("(none)".to_owned(), DateTime::<Utc>::to_rfc3339);
        let coverage = if signature.covers_whole_document {
            "the whole document"
        } else {
            "an earlier revision"
        };
        let _ = writeln!(
            text,
            "Signature {} ({}): {indication}{sub}\n  signer:       {signer}\n  signing time: {time}\n  covers:       {coverage}\n  {}",
            index + 1,
            signature.field_name,
            report.summary
        );
    }
    let passed = !reports.is_empty()
        && reports
            .iter()
            .all(|signature| signature.report.indication == Indication::TotalPassed);
    (text, passed)
}

fn serde_text(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}
