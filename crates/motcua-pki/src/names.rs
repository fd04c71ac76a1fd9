//! Distinguished names with their Vietnamese text intact, and the identifiers that Vietnamese
//! CAs put in `UID` attributes (`CCCD:`, `CMND:`, `HC:`, `MST:`, `MNS:`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use x509_parser::asn1_rs::{Any, ToDer};
use x509_parser::x509::X509Name;

/// OID of the `UID` attribute (userId, RFC 4519).
pub(crate) const OID_UID: &str = "0.9.2342.19200300.100.1.1";

/// Attribute short names, as OpenSSL and RFC 4514 print them. Attributes not listed are shown
/// by their dotted OID.
const ATTRIBUTE_NAMES: &[(&str, &str)] = &[
    ("C", "2.5.4.6"),
    ("ST", "2.5.4.8"),
    ("L", "2.5.4.7"),
    ("STREET", "2.5.4.9"),
    ("O", "2.5.4.10"),
    ("OU", "2.5.4.11"),
    ("CN", "2.5.4.3"),
    ("SN", "2.5.4.4"),
    ("GN", "2.5.4.42"),
    ("T", "2.5.4.12"),
    ("SERIALNUMBER", "2.5.4.5"),
    ("postalCode", "2.5.4.17"),
    ("UID", OID_UID),
    ("DC", "0.9.2342.19200300.100.1.25"),
    ("emailAddress", "1.2.840.113549.1.9.1"),
];

/// The OID of an attribute short name (`"CN"` → `"2.5.4.3"`); used by the test PKI.
pub(crate) fn attribute_oid(short_name: &str) -> Option<&'static str> {
    ATTRIBUTE_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(short_name))
        .map(|(_, oid)| *oid)
}

fn attribute_short_name(oid: &str) -> String {
    ATTRIBUTE_NAMES
        .iter()
        .find(|(_, known)| *known == oid)
        .map_or_else(|| oid.to_owned(), |(name, _)| (*name).to_owned())
}

/// A subject or issuer name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DistinguishedName {
    /// Attributes in the order they are encoded in the certificate (usually `C` first).
    pub attributes: Vec<NameAttribute>,
    /// One-line RFC 4514-style text, most specific attribute first, e.g.
    /// `UID=MST:0400260612, CN=SỞ Y TẾ, O=ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG, L=Đà Nẵng, C=VN`.
    pub text: String,
}

impl DistinguishedName {
    /// The first value of an attribute, by short name (`"CN"`, `"O"`, …).
    pub fn first(&self, short_name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name == short_name)
            .map(|attribute| attribute.value.as_str())
    }
}

/// One attribute of a distinguished name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NameAttribute {
    /// Short name (`CN`, `O`, `UID`, …) or the dotted OID of an unknown attribute.
    pub name: String,
    /// Decoded text. A value that is not a string is shown as `#` and its DER in hex (RFC 4514).
    pub value: String,
}

/// Kind of identifier carried in a `UID` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// `CCCD:` citizen identity card number (12 digits).
    Cccd,
    /// `CMND:` older identity card number (9 or 12 digits).
    Cmnd,
    /// `HC:` passport number.
    Passport,
    /// `MST:` tax code of an organisation or business.
    TaxCode,
    /// `MNS:` budget relationship code of a state body.
    BudgetCode,
}

impl IdentifierKind {
    /// The prefix used in the `UID` attribute, including the colon.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Cccd => "CCCD:",
            Self::Cmnd => "CMND:",
            Self::Passport => "HC:",
            Self::TaxCode => "MST:",
            Self::BudgetCode => "MNS:",
        }
    }

    const ALL: [Self; 5] = [
        Self::Cccd,
        Self::Cmnd,
        Self::Passport,
        Self::TaxCode,
        Self::BudgetCode,
    ];
}

/// An identifier found in a `UID` attribute of the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Identifier {
    /// What the identifier is.
    pub kind: IdentifierKind,
    /// The identifier without its prefix, e.g. `0400260612` for `MST:0400260612`.
    pub value: String,
}

impl Identifier {
    /// Reads `CCCD:…`, `MST:…` and the other known prefixes (case-insensitive); `None` for any
    /// other `UID` content.
    pub fn from_uid(uid: &str) -> Option<Self> {
        let uid = uid.trim();
        IdentifierKind::ALL.into_iter().find_map(|kind| {
            let prefix = kind.prefix();
            let head = uid.get(..prefix.len())?;
            let value = uid.get(prefix.len()..)?.trim();
            (head.eq_ignore_ascii_case(prefix) && !value.is_empty()).then(|| Self {
                kind,
                value: value.to_owned(),
            })
        })
    }
}

/// Decodes a name from x509-parser, keeping every string exactly as encoded.
pub(crate) fn distinguished_name(name: &X509Name<'_>) -> DistinguishedName {
    let mut attributes = Vec::new();
    let mut rdn_texts = Vec::new();
    for rdn in name.iter_rdn() {
        let mut parts = Vec::new();
        for attribute in rdn.iter() {
            let short_name = attribute_short_name(&attribute.attr_type().to_id_string());
            let value = decode_value(attribute.attr_value());
            parts.push(format!("{short_name}={}", escape_rfc4514(&value)));
            attributes.push(NameAttribute {
                name: short_name,
                value,
            });
        }
        rdn_texts.push(parts.join("+"));
    }
    rdn_texts.reverse();
    DistinguishedName {
        attributes,
        text: rdn_texts.join(", "),
    }
}

/// Identifiers from the `UID` attributes of a name, in encoded order.
pub(crate) fn identifiers(name: &DistinguishedName) -> Vec<Identifier> {
    name.attributes
        .iter()
        .filter(|attribute| attribute.name == "UID")
        .filter_map(|attribute| Identifier::from_uid(&attribute.value))
        .collect()
}

const TAG_UTF8_STRING: u32 = 12;
const TAG_NUMERIC_STRING: u32 = 18;
const TAG_PRINTABLE_STRING: u32 = 19;
const TAG_TELETEX_STRING: u32 = 20;
const TAG_IA5_STRING: u32 = 22;
const TAG_VISIBLE_STRING: u32 = 26;
const TAG_UNIVERSAL_STRING: u32 = 28;
const TAG_BMP_STRING: u32 = 30;

fn decode_value(value: &Any<'_>) -> String {
    decode_string(value.tag().0, value.data).unwrap_or_else(|| hex_value(value))
}

/// Decodes the DirectoryString types. TeletexString is read as Latin-1, which is what the
/// CAs that still emit it actually put in it.
pub(crate) fn decode_string(tag: u32, data: &[u8]) -> Option<String> {
    match tag {
        TAG_UTF8_STRING | TAG_NUMERIC_STRING | TAG_PRINTABLE_STRING | TAG_IA5_STRING
        | TAG_VISIBLE_STRING => String::from_utf8(data.to_vec()).ok(),
        TAG_TELETEX_STRING => Some(data.iter().map(|&byte| char::from(byte)).collect()),
        TAG_BMP_STRING => decode_utf16_be(data),
        TAG_UNIVERSAL_STRING => decode_utf32_be(data),
        _ => None,
    }
}

fn decode_utf16_be(data: &[u8]) -> Option<String> {
    if data.len() % 2 != 0 {
        return None;
    }
    let units = data
        .chunks_exact(2)
        .map(|pair| pair.try_into().ok().map(u16::from_be_bytes))
        .collect::<Option<Vec<u16>>>()?;
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

fn decode_utf32_be(data: &[u8]) -> Option<String> {
    if data.len() % 4 != 0 {
        return None;
    }
    data.chunks_exact(4)
        .map(|quad| {
            quad.try_into()
                .ok()
                .map(u32::from_be_bytes)
                .and_then(char::from_u32)
        })
        .collect()
}

/// RFC 4514 §2.4: a value that is not a string is written as `#` and the hex of its DER.
fn hex_value(value: &Any<'_>) -> String {
    let der = value.to_der_vec().unwrap_or_else(|_| value.data.to_vec());
    format!("#{}", hex::encode(der))
}

/// RFC 4514 §2.4 escaping. Non-ASCII characters are kept as UTF-8 so Vietnamese text stays
/// readable.
fn escape_rfc4514(value: &str) -> String {
    let last = value.chars().count().saturating_sub(1);
    let mut escaped = String::with_capacity(value.len());
    for (position, character) in value.chars().enumerate() {
        let special = matches!(character, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (position == 0 && matches!(character, '#' | ' '))
            || (position == last && character == ' ');
        if character == '\0' {
            escaped.push_str("\\00");
            continue;
        }
        if special {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_rfc4514_specials() {
        assert_eq!(escape_rfc4514("UBND, xã \"A\""), "UBND\\, xã \\\"A\\\"");
        assert_eq!(escape_rfc4514(" #a "), "\\ #a\\ ");
        assert_eq!(escape_rfc4514("#x"), "\\#x");
        assert_eq!(escape_rfc4514("a+b;c<d>e\\"), "a\\+b\\;c\\<d\\>e\\\\");
    }

    #[test]
    fn reads_identifier_prefixes() {
        let cases = [
            ("CCCD:001085012345", IdentifierKind::Cccd, "001085012345"),
            ("cmnd:123456789", IdentifierKind::Cmnd, "123456789"),
            ("HC:C1234567", IdentifierKind::Passport, "C1234567"),
            (" MST:0400260612 ", IdentifierKind::TaxCode, "0400260612"),
            ("MNS:1234567", IdentifierKind::BudgetCode, "1234567"),
        ];
        for (uid, kind, value) in cases {
            let identifier = Identifier::from_uid(uid).unwrap();
            assert_eq!(identifier.kind, kind, "{uid}");
            assert_eq!(identifier.value, value, "{uid}");
        }
        assert_eq!(Identifier::from_uid("MST:"), None);
        assert_eq!(Identifier::from_uid("user42"), None);
        assert_eq!(Identifier::from_uid("Đ"), None);
    }

    #[test]
    fn decodes_directory_string_types() {
        let bmp: Vec<u8> = "Đà Nẵng"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(decode_string(TAG_BMP_STRING, &bmp).unwrap(), "Đà Nẵng");
        let utf32: Vec<u8> = "Thuận"
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        assert_eq!(
            decode_string(TAG_UNIVERSAL_STRING, &utf32).unwrap(),
            "Thuận"
        );
        assert_eq!(decode_string(TAG_BMP_STRING, &[0x00]), None);
        assert_eq!(decode_string(TAG_UTF8_STRING, &[0xff]), None);
        assert_eq!(decode_string(TAG_TELETEX_STRING, &[0xe9]).unwrap(), "é");
    }
}
