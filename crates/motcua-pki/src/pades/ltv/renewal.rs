//! When an archived document needs a new document timestamp (ETSI EN 319 142-1 §5.5): the rule
//! the archive renewal job applies to every stored document, reading the file only.

use chrono::{DateTime, TimeDelta, Utc};

use super::found::signatures;
use super::newest_of;
use crate::error::PkiError;

/// Hash algorithms whose timestamps prove nothing any more, whatever is configured.
const ALWAYS_RETIRED: [&str; 2] = ["sha1", "md5"];

/// What a stored document needs to stay verifiable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewalNeed {
    /// Nothing now (or the document holds no signature to keep).
    NotNeeded,
    /// A signed document (B-B, B-T or B-LT) without any document timestamp: it gets its first.
    NoDocumentTimestamp,
    /// The newest document timestamp's authority certificate ends within the margin.
    AuthorityExpiring {
        /// The end of that certificate's validity.
        not_after: DateTime<Utc>,
    },
    /// The newest document timestamp's imprint uses a retired hash algorithm.
    HashRetired {
        /// Its name (`sha1`, `md5`, …) or, for an algorithm without one, its dotted identifier.
        algorithm: String,
    },
}

impl RenewalNeed {
    /// A short stable name, for counts and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotNeeded => "not_needed",
            Self::NoDocumentTimestamp => "no_document_timestamp",
            Self::AuthorityExpiring { .. } => "authority_expiring",
            Self::HashRetired { .. } => "hash_retired",
        }
    }

    pub fn is_needed(&self) -> bool {
        *self != Self::NotNeeded
    }
}

/// Whether `pdf` needs its archive timestamp renewed at `now`: a first document timestamp for a
/// signed document without one; a new one when the newest's hash algorithm is in `retired`
/// (names such as `sha224` or dotted identifiers, any case; SHA-1 and MD5 always are) or its
/// authority certificate ends within `margin` of `now`.
pub fn renewal_need(
    pdf: &[u8],
    now: DateTime<Utc>,
    margin: TimeDelta,
    retired: &[String],
) -> Result<RenewalNeed, PkiError> {
    // The file is parsed once: that is most of the cost over a whole archive.
    let found = signatures(pdf)?;
    if found.is_empty() {
        return Ok(RenewalNeed::NotNeeded);
    }
    let Some(newest) = newest_of(&found)? else {
        return Ok(RenewalNeed::NoDocumentTimestamp);
    };
    let algorithm = hash_name(&newest.hash_algorithm_oid);
    if is_retired(&algorithm, &newest.hash_algorithm_oid, retired) {
        return Ok(RenewalNeed::HashRetired { algorithm });
    }
    let renew_from = newest
        .tsa_certificate_not_after
        .checked_sub_signed(margin)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    if now >= renew_from {
        return Ok(RenewalNeed::AuthorityExpiring {
            not_after: newest.tsa_certificate_not_after,
        });
    }
    Ok(RenewalNeed::NotNeeded)
}

fn is_retired(name: &str, oid: &str, retired: &[String]) -> bool {
    ALWAYS_RETIRED.contains(&name)
        || retired.iter().any(|entry| {
            let entry = entry.trim();
            entry.eq_ignore_ascii_case(name)
                || entry.eq_ignore_ascii_case(oid)
                || normalised(entry) == normalised(name)
        })
}

/// `SHA-256`, `sha_256` and `sha256` name the same algorithm.
fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The usual name of a digest algorithm identifier; the identifier itself when unknown.
fn hash_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.113549.2.5" => "md5",
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.4" => "sha224",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "2.16.840.1.101.3.4.2.8" => "sha3-256",
        "2.16.840.1.101.3.4.2.9" => "sha3-384",
        "2.16.840.1.101.3.4.2.10" => "sha3-512",
        other => other,
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_and_md5_are_always_retired_and_others_by_name_or_identifier() {
        assert!(is_retired("sha1", "1.3.14.3.2.26", &[]));
        assert!(is_retired("md5", "1.2.840.113549.2.5", &[]));
        assert!(!is_retired("sha256", "2.16.840.1.101.3.4.2.1", &[]));
        let configured = vec!["SHA-256".to_owned()];
        assert!(is_retired("sha256", "2.16.840.1.101.3.4.2.1", &configured));
        let by_oid = vec![" 2.16.840.1.101.3.4.2.4 ".to_owned()];
        assert!(is_retired("sha224", "2.16.840.1.101.3.4.2.4", &by_oid));
        assert!(!is_retired("sha384", "2.16.840.1.101.3.4.2.2", &by_oid));
    }
}
