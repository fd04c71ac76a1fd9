//! Whether a certificate names its holder: an official by CCCD, a unit by tax code, budget code
//! or name. A valid chain says who the CA vouched for; this says it is the expected holder.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

use crate::names::{Identifier, IdentifierKind};
use crate::parse::Certificate;

/// How a certificate was matched with its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BindingMethod {
    /// The CCCD in the certificate's `UID=CCCD:` against the official's `personal_id`.
    Cccd,
    /// `UID=MST:` against the unit's tax code.
    TaxCode,
    /// `UID=MNS:` against the unit's budget code.
    BudgetCode,
    /// The certificate's CN against the unit's name (NFC, case folded), for units without codes.
    Name,
}

/// Whether a certificate names its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Binding {
    /// The certificate names its holder.
    pub bound: bool,
    /// What was compared.
    pub method: BindingMethod,
    /// A sentence saying what was found.
    pub detail: String,
}

impl Binding {
    fn new(bound: bool, method: BindingMethod, detail: String) -> Self {
        Self {
            bound,
            method,
            detail,
        }
    }
}

fn identifier_values(identifiers: &[Identifier], kind: IdentifierKind) -> Vec<&str> {
    identifiers
        .iter()
        .filter(|identifier| identifier.kind == kind)
        .map(|identifier| identifier.value.as_str())
        .collect()
}

/// A personal certificate names its official by the CCCD in its `UID`.
pub fn bind_to_official(certificate: &Certificate, personal_id: &str) -> Binding {
    let method = BindingMethod::Cccd;
    let cccds = identifier_values(certificate.identifiers(), IdentifierKind::Cccd);
    if cccds.is_empty() {
        let cmnd = identifier_values(certificate.identifiers(), IdentifierKind::Cmnd);
        let detail = match cmnd.first() {
            Some(old) => format!(
                "the certificate carries only an old identity card number (UID=CMND:{old}), no \
                 UID=CCCD: to compare with the official's personal_id {personal_id}"
            ),
            None => format!(
                "the certificate has no UID=CCCD: identifier to compare with the official's \
                 personal_id {personal_id}"
            ),
        };
        return Binding::new(false, method, detail);
    }
    match cccds.iter().find(|cccd| **cccd != personal_id) {
        None => Binding::new(
            true,
            method,
            format!("UID=CCCD:{personal_id} is the official's personal_id"),
        ),
        Some(other) => Binding::new(
            false,
            method,
            format!(
                "the certificate's UID=CCCD:{other} is not the official's personal_id {personal_id}"
            ),
        ),
    }
}

/// A collective certificate names its unit by tax code or budget code when the unit has one,
/// else by its name (the certificate's CN).
pub fn bind_to_unit(
    certificate: &Certificate,
    name: &str,
    tax_code: Option<&str>,
    budget_code: Option<&str>,
) -> Binding {
    bind_subject_to_unit(
        certificate.identifiers(),
        certificate.info().subject.first("CN"),
        name,
        tax_code,
        budget_code,
    )
}

/// [`bind_to_unit`] from what a signature report keeps of its signer: the `UID` identifiers and
/// the common name.
pub fn bind_subject_to_unit(
    identifiers: &[Identifier],
    common_name: Option<&str>,
    name: &str,
    tax_code: Option<&str>,
    budget_code: Option<&str>,
) -> Binding {
    if let Some(cccd) = identifier_values(identifiers, IdentifierKind::Cccd).first() {
        return Binding::new(
            false,
            BindingMethod::Cccd,
            format!(
                "a personal certificate (UID=CCCD:{cccd}) cannot be the collective certificate of \
                 {}",
                name
            ),
        );
    }
    let codes = [
        (
            BindingMethod::TaxCode,
            IdentifierKind::TaxCode,
            tax_code,
            "tax code",
        ),
        (
            BindingMethod::BudgetCode,
            IdentifierKind::BudgetCode,
            budget_code,
            "budget code",
        ),
    ];
    let mut misses = Vec::new();
    for (method, kind, code, label) in codes {
        let Some(code) = code else { continue };
        let found = identifier_values(identifiers, kind);
        if found.contains(&code) {
            return Binding::new(
                true,
                method,
                format!("UID={}{code} is the unit's {label}", kind.prefix()),
            );
        }
        let carried = if found.is_empty() {
            format!("the certificate has no UID={}", kind.prefix())
        } else {
            format!(
                "the certificate carries UID={}{}",
                kind.prefix(),
                found.join(", ")
            )
        };
        misses.push((
            method,
            format!("the unit's {label} is {code} but {carried}"),
        ));
    }
    if let Some((method, _)) = misses.first() {
        let detail = misses
            .iter()
            .map(|(_, detail)| detail.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Binding::new(false, *method, detail);
    }
    let method = BindingMethod::Name;
    match common_name {
        Some(cn) if comparable_name(cn) == comparable_name(name) => Binding::new(
            true,
            method,
            format!("CN={cn} is the unit's name (the unit has no tax or budget code on record)"),
        ),
        Some(cn) => Binding::new(
            false,
            method,
            format!(
                "CN={cn} is not the unit's name {} (the unit has no tax or budget code on record)",
                name
            ),
        ),
        None => Binding::new(
            false,
            method,
            "the certificate has no CN to compare with the unit's name".into(),
        ),
    }
}

/// Names compare tidied (single spaces), case folded and NFC: "UBND XÃ THƯỢNG LAN" and
/// "UBND xã  Thượng Lan" (typed precomposed or not) are the same name.
fn comparable_name(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .nfc()
        .collect()
}
