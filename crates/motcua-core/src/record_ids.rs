//! Typed identifiers, so that a unit id can never be passed where an official id is expected.

use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
                 Serialize, Deserialize, DieselNewType, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An administrative unit or one-stop desk.
    UnitId
);
id_type!(
    /// One version of an administrative procedure in the catalogue.
    ProcedureId
);
id_type!(
    /// An official working at a one-stop desk.
    OfficialId
);
id_type!(
    /// An API key (the credential of a person or of another system).
    ApiKeyId
);
id_type!(
    /// A record of the append-only audit trail.
    AuditEventId
);
id_type!(
    /// A dossier (its public identifier is its code).
    DossierId
);
id_type!(
    /// An event in a dossier's history.
    DossierEventId
);
id_type!(
    /// A registered certificate of an official (personal) or of a unit (collective).
    CertificateId
);
id_type!(
    /// A root or intermediate CA certificate of the trust store.
    TrustAnchorId
);
id_type!(
    /// An imported certificate revocation list.
    CrlId
);

/// Parses an id as written in a path: canonical decimal only (`4`, not `+4`, `04` or `4.0`), so
/// that one record has one address and a malformed id is told apart from a missing record.
pub fn parse_canonical_id(text: &str) -> Result<i64, String> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(format!(
            "`{text}` is not an id: write it in decimal digits without sign, leading zeros or decimals"
        ));
    }
    text.parse()
        .map_err(|_| format!("`{text}` is not an id: it does not fit in 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::parse_canonical_id;

    #[test]
    fn ids_are_canonical_decimal() {
        assert_eq!(parse_canonical_id("4"), Ok(4));
        assert_eq!(parse_canonical_id("0"), Ok(0));
        for bad in [
            "+4",
            "04",
            "4.0",
            "-4",
            "",
            " 4",
            "٤",
            "99999999999999999999",
        ] {
            assert!(parse_canonical_id(bad).is_err(), "{bad}");
        }
    }
}
id_type!(
    /// A subscription of another system to the service's events.
    SubscriptionId
);
