//! The test-suite format of x509-limbo (`limbo.json`, schema version 1): only the fields a
//! relying party needs; unknown fields are ignored so that newer suites still load.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Suite {
    pub version: u32,
    pub testcases: Vec<Testcase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Expected {
    Success,
    Failure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidationKind {
    Server,
    Client,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PeerName {
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Testcase {
    pub id: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub description: String,
    pub validation_kind: ValidationKind,
    /// PEM certificates the relying party trusts.
    pub trusted_certs: Vec<String>,
    /// PEM certificates that came with the peer's: chain material, never trusted.
    #[serde(default)]
    pub untrusted_intermediates: Vec<String>,
    pub peer_certificate: String,
    /// `None`: validate now.
    #[serde(default)]
    pub validation_time: Option<DateTime<Utc>>,
    /// PEM CRLs to use for revocation.
    #[serde(default)]
    pub crls: Vec<String>,
    /// Most intermediates a chain may have.
    #[serde(default)]
    pub max_chain_depth: Option<u32>,
    /// Extended key usages the leaf must allow (`serverAuth`, `clientAuth`, …).
    #[serde(default)]
    pub extended_key_usage: Vec<String>,
    /// Key usages the leaf must allow (`digitalSignature`, …).
    #[serde(default)]
    pub key_usage: Vec<String>,
    #[serde(default)]
    pub expected_peer_name: Option<PeerName>,
    pub expected_result: Expected,
}

impl Testcase {
    /// `rfc5280` for `rfc5280::nc::permitted-dn-match`.
    pub fn family(&self) -> &str {
        self.id.split("::").next().unwrap_or_default()
    }
}
