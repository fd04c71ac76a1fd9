//! The third-party corpus of `tests/corpus`: certificates, CRLs, signed PDFs and CMS signatures
//! made by openssl and pyHanko (not by motcua's test PKI), with the verdict motcua must give to
//! each in `expected.toml`. The results service (over HTTP) and `motcua verify` are both held to
//! it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `expected.toml`.
#[derive(Debug, Deserialize)]
pub struct Corpus {
    #[serde(rename = "case")]
    pub cases: Vec<Case>,
}

/// One certificate or signed file and what motcua must say of it.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub kind: Kind,
    /// Relative to `tests/corpus/files`.
    pub file: String,
    /// The data a detached CMS signature signs.
    pub content: Option<String>,
    /// The folder of roots, intermediates and CRLs to trust.
    pub trust: String,
    /// Certificates a signature would carry beside the certificate (certificate cases).
    #[serde(default)]
    pub extra_certs: Vec<String>,
    /// The certificate's verdict status, with `extra_certs` as the chain.
    pub status: Option<String>,
    /// The verdict status of the certificate given alone, when it differs.
    pub status_alone: Option<String>,
    /// The signatures, in the order they were added (signature cases).
    #[serde(default)]
    pub signature: Vec<ExpectedSignature>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Certificate,
    Pdf,
    CmsDetached,
    CmsAttached,
}

#[derive(Debug, Deserialize)]
pub struct ExpectedSignature {
    pub indication: String,
    pub sub_indication: Option<String>,
    pub reason: String,
}

impl ExpectedSignature {
    /// `TOTAL_PASSED`, or `INDICATION/SUB_INDICATION`.
    pub fn outcome(&self) -> String {
        outcome(&self.indication, self.sub_indication.as_deref())
    }
}

/// `TOTAL_PASSED`, or `INDICATION/SUB_INDICATION`, as the expectations are compared.
pub fn outcome(indication: &str, sub_indication: Option<&str>) -> String {
    match sub_indication {
        Some(sub) => format!("{indication}/{sub}"),
        None => indication.to_owned(),
    }
}

/// `tests/corpus/files`.
pub fn files() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/files")
}

/// A file of the corpus.
pub fn path(relative: &str) -> PathBuf {
    files().join(relative)
}

/// The cases of `expected.toml`.
pub fn load() -> Corpus {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/expected.toml"))
            .expect("tests/corpus/expected.toml");
    toml::from_str(&text).expect("expected.toml parses")
}

/// Fails with every case where motcua's `(case, signature or certificate, outcome)` differs
/// from the expectation, so that one run shows them all.
pub fn assert_all_agree(how: &str, mismatches: &[String], checked: usize, at_least: usize) {
    assert!(
        mismatches.is_empty(),
        "{how}: {} of {checked} verdicts differ from tests/corpus/expected.toml:\n  {}",
        mismatches.len(),
        mismatches.join("\n  ")
    );
    // Every kind of case was read: a corpus that loads nothing must not pass.
    assert!(
        checked >= at_least,
        "{how}: only {checked} verdicts checked"
    );
}
