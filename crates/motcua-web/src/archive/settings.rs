//! The archive renewal's settings, from the environment.

use std::num::NonZeroUsize;
use std::time::Duration;

use chrono::TimeDelta;

use crate::config::{env_or, ConfigError};

/// Days before a timestamp authority's certificate ends from which its timestamps are renewed.
pub const DEFAULT_MARGIN_DAYS: u32 = 365;

/// Renewals in flight at once by default: each waits mostly on the authority and the database.
pub const DEFAULT_CONCURRENCY: NonZeroUsize = NonZeroUsize::new(8).unwrap();

/// When stored documents get a new document timestamp, and how often the service looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSettings {
    /// Renew when the newest document timestamp's authority certificate ends within this.
    pub margin: TimeDelta,
    /// Hash algorithms retired besides SHA-1 and MD5 (names such as `sha224`, or identifiers).
    pub retired_hashes: Vec<String>,
    /// How often the service runs a renewal by itself; `None`: never.
    pub interval: Option<Duration>,
    /// Renewals in flight at once: a licensed authority may cap its clients.
    pub concurrency: NonZeroUsize,
}

impl Default for ArchiveSettings {
    fn default() -> Self {
        Self {
            margin: TimeDelta::days(i64::from(DEFAULT_MARGIN_DAYS)),
            retired_hashes: Vec::new(),
            interval: None,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl ArchiveSettings {
    /// `MOTCUA_ARCHIVE_MARGIN_DAYS` (default 365), `MOTCUA_ARCHIVE_RETIRED_HASHES` (comma
    /// list), `MOTCUA_ARCHIVE_RENEWAL_INTERVAL_SECS` (unset: no scheduled renewal) and
    /// `MOTCUA_ARCHIVE_CONCURRENCY` (default 8).
    pub fn from_env() -> Result<Self, ConfigError> {
        let margin_days: u32 = env_or("MOTCUA_ARCHIVE_MARGIN_DAYS", DEFAULT_MARGIN_DAYS)?;
        let retired = std::env::var("MOTCUA_ARCHIVE_RETIRED_HASHES").unwrap_or_default();
        let interval_secs: u64 = env_or("MOTCUA_ARCHIVE_RENEWAL_INTERVAL_SECS", 0)?;
        let concurrency: NonZeroUsize = env_or("MOTCUA_ARCHIVE_CONCURRENCY", DEFAULT_CONCURRENCY)?;
        Ok(Self {
            margin: TimeDelta::days(i64::from(margin_days)),
            retired_hashes: parse_list(&retired),
            interval: (interval_secs > 0).then(|| Duration::from_secs(interval_secs)),
            concurrency,
        })
    }
}

fn parse_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_hashes_are_a_comma_list_without_blanks() {
        assert_eq!(parse_list(" sha224, ,SHA-256 ,"), vec!["sha224", "SHA-256"]);
        assert!(parse_list("").is_empty());
    }
}
