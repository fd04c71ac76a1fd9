//! Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)(c), §6.1.4 (g)) for the two name forms a
//! document-signing PKI uses: directoryName and rfc822Name.
//!
//! Each CA's permitted subtrees must hold every name of the certificates below it, which is the
//! intersection of RFC 5280's `permitted_subtrees` taken over the path, and no excluded subtree
//! of any CA above may hold one. The subject's emailAddress attributes are checked as rfc822Names
//! whether or not a subjectAltName is present. Other name forms are not evaluated: a critical
//! nameConstraints extension holding one leaves the certificate unusable, a non-critical one is
//! applied for its directoryName and rfc822Name subtrees only.

use der::{Decode, Tagged};
use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::NameConstraints as RawNameConstraints;
use x509_cert::name::Name;
use x509_parser::asn1_rs::ToDer;
use x509_parser::x509::X509Name;

/// Content octets of the emailAddress attribute's OID, 1.2.840.113549.1.9.1 (PKCS #9).
const OID_EMAIL_ADDRESS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];

/// Most subtree-against-name comparisons one validation may make, so that certificates full of
/// names and constraints cannot make it slow: beyond, the path is refused.
pub(crate) const MAX_COMPARISONS: usize = 16_384;

/// A distinguished name in the form constraints compare: RDNs in order, each a sorted set of
/// (attribute type as OID content octets, normalised value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComparableName(Vec<Vec<(Vec<u8>, Value)>>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    /// A directory string, case-folded with its spaces collapsed (RFC 4518 in short).
    Text(String),
    /// Any other value, by its DER.
    Der(Vec<u8>),
}

impl ComparableName {
    /// A name as x509-parser read it (a certificate's subject, a subjectAltName entry).
    pub(crate) fn from_x509_name(name: &X509Name<'_>) -> Self {
        let rdns = name
            .iter_rdn()
            .map(|rdn| {
                rdn.iter()
                    .map(|attribute| {
                        let value = attribute.attr_value();
                        (
                            attribute.attr_type().as_bytes().to_vec(),
                            value_of(value.tag().0, value.data, || value.to_der_vec().ok()),
                        )
                    })
                    .collect()
            })
            .collect();
        Self::sorted(rdns)
    }

    /// A name as x509-cert read it (a constraint's base).
    fn from_name(name: &Name) -> Self {
        let rdns = name
            .0
            .iter()
            .map(|rdn| {
                rdn.0
                    .iter()
                    .map(|attribute| {
                        let value = &attribute.value;
                        // Universal string tags are one identifier octet, equal to the number.
                        let tag = u32::from(u8::from(value.tag()));
                        (
                            attribute.oid.as_bytes().to_vec(),
                            value_of(tag, value.value(), || der::Encode::to_der(value).ok()),
                        )
                    })
                    .collect()
            })
            .collect();
        Self::sorted(rdns)
    }

    /// Attributes sorted within each RDN, which is a set.
    fn sorted(mut rdns: Vec<Vec<(Vec<u8>, Value)>>) -> Self {
        for rdn in &mut rdns {
            rdn.sort();
        }
        Self(rdns)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `self` lies in the subtree rooted at `base`: base's RDNs start it.
    fn within(&self, base: &Self) -> bool {
        base.0.len() <= self.0.len() && base.0.iter().zip(&self.0).all(|(a, b)| a == b)
    }

    /// The values of the emailAddress attributes.
    fn email_addresses(&self) -> impl Iterator<Item = String> + '_ {
        self.0
            .iter()
            .flatten()
            .filter(|(oid, _)| oid.as_slice() == OID_EMAIL_ADDRESS)
            .filter_map(|(_, value)| match value {
                Value::Text(text) => Some(text.clone()),
                Value::Der(_) => None,
            })
    }
}

/// A directory string as normalised text, anything else as its DER (`der`, asked only then).
fn value_of(tag: u32, content: &[u8], der: impl FnOnce() -> Option<Vec<u8>>) -> Value {
    match crate::names::decode_string(tag, content) {
        Some(text) => Value::Text(normalise(&text)),
        None => Value::Der(der().unwrap_or_else(|| content.to_vec())),
    }
}

/// Case-folded, trimmed, inner spaces collapsed.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The names of a certificate that constraints apply to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CertificateNames {
    /// The subject when not empty, then the subjectAltName directoryNames.
    directory: Vec<ComparableName>,
    /// subjectAltName rfc822Names, then the subject's emailAddress values.
    email: Vec<String>,
}

impl CertificateNames {
    pub(crate) fn new(
        subject: ComparableName,
        alt_directory: Vec<ComparableName>,
        alt_email: Vec<String>,
    ) -> Self {
        let mut email = alt_email;
        email.extend(subject.email_addresses());
        let mut directory = Vec::with_capacity(alt_directory.len() + 1);
        if !subject.is_empty() {
            directory.push(subject);
        }
        directory.extend(alt_directory);
        Self { directory, email }
    }

    fn count(&self) -> usize {
        self.directory.len() + self.email.len()
    }
}

/// The directoryName and rfc822Name subtrees of one CA's nameConstraints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NameConstraints {
    /// `None`: this CA does not restrict the form.
    permitted_directory: Option<Vec<ComparableName>>,
    permitted_email: Option<Vec<String>>,
    excluded_directory: Vec<ComparableName>,
    excluded_email: Vec<String>,
    /// Whether subtrees of other forms (dNSName, iPAddress, …) were left out.
    pub(crate) other_forms: bool,
}

impl NameConstraints {
    /// Reads the extension value. A subtree with a minimum other than 0 or a maximum (which
    /// RFC 5280 forbids) counts as another form.
    pub(crate) fn from_der(value: &[u8]) -> Result<Self, String> {
        let raw = RawNameConstraints::from_der(value)
            .map_err(|error| format!("malformed nameConstraints: {error}"))?;
        if raw.permitted_subtrees.is_none() && raw.excluded_subtrees.is_none() {
            return Err("nameConstraints with neither permitted nor excluded subtrees".into());
        }
        let mut constraints = Self::default();
        if let Some(subtrees) = &raw.permitted_subtrees {
            let (directory, email) = constraints.read(subtrees)?;
            constraints.permitted_directory = (!directory.is_empty()).then_some(directory);
            constraints.permitted_email = (!email.is_empty()).then_some(email);
        }
        if let Some(subtrees) = &raw.excluded_subtrees {
            let (directory, email) = constraints.read(subtrees)?;
            constraints.excluded_directory = directory;
            constraints.excluded_email = email;
        }
        Ok(constraints)
    }

    fn read(
        &mut self,
        subtrees: &[GeneralSubtree],
    ) -> Result<(Vec<ComparableName>, Vec<String>), String> {
        if subtrees.is_empty() {
            return Err("nameConstraints with an empty list of subtrees".into());
        }
        let mut directory = Vec::new();
        let mut email = Vec::new();
        for subtree in subtrees {
            if subtree.minimum != 0 || subtree.maximum.is_some() {
                self.other_forms = true;
                continue;
            }
            match &subtree.base {
                GeneralName::DirectoryName(name) => directory.push(ComparableName::from_name(name)),
                GeneralName::Rfc822Name(mailbox) => {
                    let constraint = mailbox.as_str();
                    if !valid_email_constraint(constraint) {
                        return Err(format!("invalid rfc822Name constraint {constraint:?}"));
                    }
                    email.push(constraint.to_owned());
                }
                _ => self.other_forms = true,
            }
        }
        Ok((directory, email))
    }

    fn subtree_count(&self) -> usize {
        self.permitted_directory.as_ref().map_or(0, Vec::len)
            + self.permitted_email.as_ref().map_or(0, Vec::len)
            + self.excluded_directory.len()
            + self.excluded_email.len()
    }

    /// Why `names` break these constraints, if they do.
    fn violation(&self, names: &CertificateNames) -> Option<String> {
        for name in &names.directory {
            if let Some(permitted) = &self.permitted_directory {
                if !permitted.iter().any(|base| name.within(base)) {
                    return Some(format!(
                        "{} is outside the permitted directory subtrees",
                        show(name)
                    ));
                }
            }
            if self.excluded_directory.iter().any(|base| name.within(base)) {
                return Some(format!(
                    "{} is inside an excluded directory subtree",
                    show(name)
                ));
            }
        }
        for mailbox in &names.email {
            if let Some(permitted) = &self.permitted_email {
                if !permitted.iter().any(|base| email_within(mailbox, base)) {
                    return Some(format!(
                        "email {mailbox} is outside the permitted rfc822Name subtrees"
                    ));
                }
            }
            if self
                .excluded_email
                .iter()
                .any(|base| email_within(mailbox, base))
            {
                return Some(format!(
                    "email {mailbox} is inside an excluded rfc822Name subtree"
                ));
            }
        }
        None
    }
}

/// How `names` fare against the constraints of the CAs above them.
pub(crate) enum Judgement {
    Within,
    Violates(String),
    /// The comparisons would exceed [`MAX_COMPARISONS`].
    TooMuchWork(usize),
}

/// Checks `names` against each of `constraints`, counting the comparisons in `spent`.
pub(crate) fn judge<'a>(
    names: &CertificateNames,
    constraints: impl Iterator<Item = &'a NameConstraints>,
    spent: &mut usize,
) -> Judgement {
    for constraint in constraints {
        *spent = spent.saturating_add(constraint.subtree_count().saturating_mul(names.count()));
        if *spent > MAX_COMPARISONS {
            return Judgement::TooMuchWork(*spent);
        }
        if let Some(reason) = constraint.violation(names) {
            return Judgement::Violates(reason);
        }
    }
    Judgement::Within
}

/// RFC 5280 §4.2.1.10: `base` is a mailbox (`local@host`, exact match), a host (`host`, any
/// mailbox on it) or a domain (`.domain`, any mailbox on a host under it). Local parts compare
/// exactly, hosts case-insensitively.
fn email_within(mailbox: &str, base: &str) -> bool {
    let Some((local, host)) = split_mailbox(mailbox) else {
        return false;
    };
    match base.rsplit_once('@') {
        Some((base_local, base_host)) => {
            local == base_local && host.eq_ignore_ascii_case(base_host)
        }
        None if base.starts_with('.') => {
            host.len() > base.len()
                && host
                    .get(host.len() - base.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(base))
        }
        None => host.eq_ignore_ascii_case(base),
    }
}

/// `local@host` with both parts non-empty, no `@` in the local part unless it is quoted, and a
/// host that is a plausible domain name.
fn split_mailbox(mailbox: &str) -> Option<(&str, &str)> {
    let (local, host) = mailbox.rsplit_once('@')?;
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    let local_ok = !local.is_empty() && (quoted || !local.contains('@'));
    (local_ok && valid_host(host)).then_some((local, host))
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
}

/// A constraint is a mailbox, a host, or `.` and a domain.
fn valid_email_constraint(constraint: &str) -> bool {
    if constraint.contains('@') {
        return split_mailbox(constraint).is_some();
    }
    valid_host(constraint.strip_prefix('.').unwrap_or(constraint))
}

fn show(name: &ComparableName) -> String {
    let rdns: Vec<String> = name
        .0
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|(oid, value)| {
                    let oid = der::asn1::ObjectIdentifier::from_bytes(oid)
                        .map_or_else(|_| hex::encode(oid), |oid| oid.to_string());
                    match value {
                        Value::Text(text) => format!("{oid}={text}"),
                        Value::Der(der) => format!("{oid}=#{}", hex::encode(der)),
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    format!("the name {{{}}}", rdns.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_forms_of_rfc5280() {
        assert!(email_within("an@hanoi.gov.vn", ".gov.vn"));
        assert!(!email_within("an@gov.vn", ".gov.vn"));
        assert!(email_within("an@gov.vn", "gov.vn"));
        assert!(email_within("an@GOV.vn", "gov.VN"));
        assert!(!email_within("an@hanoi.gov.vn", "gov.vn"));
        assert!(email_within("an@gov.vn", "an@gov.vn"));
        assert!(!email_within("An@gov.vn", "an@gov.vn"));
        assert!(!email_within("*@gov.vn", "an@gov.vn"));
        assert!(email_within("*@gov.vn", "*@gov.vn"));
        assert!(!email_within("not-a-mailbox", "gov.vn"));
        assert!(!email_within("an@xgov.vn", ".gov.vn"));
        assert!(!email_within("invalid@address@gov.vn", "gov.vn"));
        assert!(email_within("\"a@b\"@gov.vn", "gov.vn"));
    }

    #[test]
    fn email_constraints_must_be_well_formed() {
        assert!(valid_email_constraint(".gov.vn"));
        assert!(valid_email_constraint("gov.vn"));
        assert!(valid_email_constraint("an@gov.vn"));
        assert!(!valid_email_constraint("@gov.vn"));
        assert!(!valid_email_constraint("an@"));
        assert!(!valid_email_constraint("gov..vn"));
        assert!(!valid_email_constraint(""));
    }

    #[test]
    fn names_normalise_case_and_spaces() {
        assert_eq!(normalise("  Bộ  Nội vụ "), "bộ nội vụ");
    }
}
