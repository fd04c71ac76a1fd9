//! The audit trail's settings, read from the environment into each service's configuration.

use std::path::{Path as FilePath, PathBuf};
use std::time::Duration;

use motcua_web::config::ConfigError;

/// `MOTCUA_AUDIT_CHECKPOINT_SECS`: seconds between two checkpoints made by the service itself
/// (default 3600).
pub fn checkpoint_interval_from_env() -> Result<Duration, String> {
    match std::env::var("MOTCUA_AUDIT_CHECKPOINT_SECS") {
        Err(_) => Ok(Duration::from_secs(DEFAULT_CHECKPOINT_SECS)),
        Ok(text) => match text.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
            _ => Err(format!(
                "MOTCUA_AUDIT_CHECKPOINT_SECS must be a positive number of seconds, not `{text}`"
            )),
        },
    }
}

pub const DEFAULT_CHECKPOINT_SECS: u64 = 3600;

/// The settings of the audit trail that each service reads into its typed configuration.
#[derive(Debug, Clone, Default)]
pub struct TrailConfig {
    /// `MOTCUA_AUDIT_CHECKPOINT_KEY`: the SHA-256 fingerprint (hex, colons allowed) of the
    /// certificate of the stored organisation key that signs checkpoints; unset: checkpoints are
    /// unsigned (a warning at start-up). A key that is not stored or cannot be used stops the
    /// start.
    pub checkpoint_key: Option<String>,
    /// `MOTCUA_AUDIT_CHECKPOINT_LOG`: the file each checkpoint is appended to as a JSON line;
    /// default beside the SQLite database (`<file>.audit-checkpoints.jsonl`), or
    /// `<MOTCUA_DATA_DIR>/<service>-audit-checkpoints.jsonl` with PostgreSQL; none for an
    /// in-memory database.
    pub checkpoint_log: Option<PathBuf>,
}

impl TrailConfig {
    pub fn from_env(
        service: &str,
        database_url: &str,
        data_dir: &str,
    ) -> Result<Self, ConfigError> {
        const KEY: &str = "MOTCUA_AUDIT_CHECKPOINT_KEY";
        let checkpoint_key = match std::env::var(KEY) {
            Ok(text) if !text.trim().is_empty() => {
                Some(parse_fingerprint(&text).map_err(|reason| ConfigError {
                    name: KEY,
                    value: text.clone(),
                    reason,
                })?)
            }
            _ => None,
        };
        let checkpoint_log = match std::env::var_os("MOTCUA_AUDIT_CHECKPOINT_LOG") {
            Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
            _ => default_checkpoint_log(service, database_url, data_dir),
        };
        Ok(Self {
            checkpoint_key,
            checkpoint_log,
        })
    }
}

/// Beside the database: next to an SQLite file, in the data directory for PostgreSQL.
fn default_checkpoint_log(service: &str, database_url: &str, data_dir: &str) -> Option<PathBuf> {
    match database_url.strip_prefix("sqlite://") {
        Some(file) if file.is_empty() || file.contains(":memory:") => None,
        Some(file) => Some(PathBuf::from(format!("{file}.audit-checkpoints.jsonl"))),
        None => Some(FilePath::new(data_dir).join(format!("{service}-audit-checkpoints.jsonl"))),
    }
}

/// A certificate's SHA-256 fingerprint as stored: 64 lowercase hex digits (colons and spaces
/// dropped).
pub fn parse_fingerprint(text: &str) -> Result<String, String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err("the SHA-256 fingerprint of the signing certificate: 64 hex digits".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_with_or_without_colons_and_in_either_case() {
        let hex = "AB".repeat(32);
        let colons = vec!["ab"; 32].join(":");
        assert_eq!(
            parse_fingerprint(&hex).as_deref(),
            Ok("ab".repeat(32).as_str())
        );
        assert_eq!(
            parse_fingerprint(&colons).as_deref(),
            Ok("ab".repeat(32).as_str())
        );
        assert!(parse_fingerprint("abcd").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn the_checkpoint_log_lies_beside_the_database() {
        let log = |url| default_checkpoint_log("results", url, "/var/lib/motcua");
        assert_eq!(log("sqlite://:memory:"), None);
        assert_eq!(
            log("sqlite:///data/results.db"),
            Some(PathBuf::from("/data/results.db.audit-checkpoints.jsonl"))
        );
        assert_eq!(
            log("postgres://localhost/results"),
            Some(PathBuf::from(
                "/var/lib/motcua/results-audit-checkpoints.jsonl"
            ))
        );
    }
}
