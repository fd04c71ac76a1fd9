//! Settings of the [`RevocationFetcher`](super::RevocationFetcher), read from a config file.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Where revocation data may be downloaded from, and how much time and memory it may cost.
/// Durations are given in seconds in a config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RevocationConfig {
    /// Hosts (`name` or `name:port`) that may be contacted; `None` allows any host.
    pub allowed_hosts: Option<Vec<String>>,
    /// URL prefix rewrites, applied before the allow-list (first match wins).
    pub rewrites: Vec<UrlRewrite>,
    /// Longest a single download (connection and body) may take.
    #[serde(deserialize_with = "seconds")]
    pub timeout: Duration,
    /// Largest CRL accepted.
    pub max_crl_bytes: usize,
    /// Largest OCSP response accepted.
    pub max_ocsp_bytes: usize,
    /// How long an OCSP answer without nextUpdate is relied on after its thisUpdate.
    #[serde(deserialize_with = "seconds")]
    pub ocsp_max_age: Duration,
    /// Ask OCSP responders before downloading CRLs.
    pub prefer_ocsp: bool,
    /// Send a nonce in OCSP requests and require it back. Turn off for responders that only
    /// serve pre-produced responses.
    pub ocsp_nonce: bool,
}

impl Default for RevocationConfig {
    fn default() -> Self {
        Self {
            allowed_hosts: None,
            rewrites: Vec::new(),
            timeout: Duration::from_secs(10),
            // A national CA's CRL is a few MiB at most; an OCSP response a few KiB.
            max_crl_bytes: 32 * 1024 * 1024,
            max_ocsp_bytes: 1024 * 1024,
            ocsp_max_age: Duration::from_secs(3600),
            prefer_ocsp: true,
            ocsp_nonce: true,
        }
    }
}

/// Replaces the prefix `from` of a URL by `to`, e.g. an internal name
/// `http://ocsp.ca.ptc/` by its public address `https://ocsp.ca.gov.vn/`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlRewrite {
    /// Prefix to replace.
    pub from: String,
    /// Replacement.
    pub to: String,
}

impl RevocationConfig {
    /// The URL to contact for `url` (rewritten), or why it may not be contacted.
    pub(crate) fn resolve(&self, url: &str) -> Result<String, String> {
        let rewritten = self
            .rewrites
            .iter()
            .find_map(|rewrite| {
                url.strip_prefix(rewrite.from.as_str())
                    .map(|rest| format!("{}{rest}", rewrite.to))
            })
            .unwrap_or_else(|| url.to_owned());
        let parsed = reqwest::Url::parse(&rewritten)
            .map_err(|error| format!("{rewritten} is not a usable URL: {error}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("{rewritten}: only http and https are fetched"));
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        if let Some(allowed) = &self.allowed_hosts {
            let with_port = parsed
                .port_or_known_default()
                .map(|port| format!("{host}:{port}"))
                .unwrap_or_else(|| host.clone());
            let listed = allowed.iter().any(|entry| {
                entry.eq_ignore_ascii_case(&host) || entry.eq_ignore_ascii_case(&with_port)
            });
            if !listed {
                return Err(format!(
                    "{rewritten}: the host {host} is not in the allowed hosts of the revocation \
                     configuration"
                ));
            }
        }
        Ok(rewritten)
    }
}

fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_applies_before_the_allow_list() {
        let config = RevocationConfig {
            allowed_hosts: Some(vec!["ocsp.ca.gov.vn".into()]),
            rewrites: vec![UrlRewrite {
                from: "http://ocsp.ca.ptc/".into(),
                to: "https://ocsp.ca.gov.vn/".into(),
            }],
            ..RevocationConfig::default()
        };
        assert_eq!(
            config.resolve("http://ocsp.ca.ptc/check").as_deref(),
            Ok("https://ocsp.ca.gov.vn/check")
        );
        let refused = config.resolve("http://evil.example/x");
        assert!(refused.is_err_and(|reason| reason.contains("evil.example")));
        assert!(config.resolve("ldap://ocsp.ca.gov.vn/").is_err());
    }

    #[test]
    fn config_file_defaults_and_seconds() -> Result<(), serde_json::Error> {
        let config: RevocationConfig =
            serde_json::from_str(r#"{"timeout": 3, "prefer_ocsp": false}"#)?;
        assert_eq!(config.timeout, Duration::from_secs(3));
        assert!(!config.prefer_ocsp);
        assert_eq!(config.ocsp_max_age, Duration::from_secs(3600));
        assert!(config.allowed_hosts.is_none());
        Ok(())
    }
}
