//! Reading the attributes back from a subject's RFC 4514 text (`UID=…, CN=…, O=…, C=VN`), which
//! is all a signature report keeps of the name: the page shows the unit and locality apart.

/// The values of `attribute` (`"O"`, `"OU"`, …) in the name, in the order written.
pub fn values(subject: &str, attribute: &str) -> Vec<String> {
    split_unescaped(subject, &[',', '+'])
        .into_iter()
        .filter_map(|part| {
            let (name, value) = part.split_once('=')?;
            (name.trim() == attribute).then(|| unescape(value.trim_start()))
        })
        .collect()
}

/// Splits at the separators that are not escaped with a backslash; the parts keep their
/// escapes.
fn split_unescaped(text: &str, separators: &[char]) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for character in text.chars() {
        if escaped {
            current.push(character);
            escaped = false;
        } else if character == '\\' {
            current.push(character);
            escaped = true;
        } else if separators.contains(&character) {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(character);
        }
    }
    parts.push(current);
    parts
}

/// Removes RFC 4514 escapes: `\,` is `,`, and `\` followed by two hex digits is that byte.
fn unescape(value: &str) -> String {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('\\') {
        bytes.extend_from_slice(&rest.as_bytes()[..at]);
        let after = &rest[at + 1..];
        let hex_pair = after
            .get(..2)
            .filter(|pair| pair.chars().all(|c| c.is_ascii_hexdigit()))
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (hex_pair, after.chars().next()) {
            (Some(byte), _) => {
                bytes.push(byte);
                rest = &after[2..];
            }
            (None, Some(character)) => {
                bytes.extend_from_slice(character.to_string().as_bytes());
                rest = &after[character.len_utf8()..];
            }
            (None, None) => rest = after,
        }
    }
    bytes.extend_from_slice(rest.as_bytes());
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_values_of_one_attribute() {
        let subject = "UID=MST:0400260612, CN=SỞ Y TẾ, OU=Văn phòng, \
                       O=ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG, L=Đà Nẵng, C=VN";
        assert_eq!(values(subject, "O"), ["ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG"]);
        assert_eq!(values(subject, "OU"), ["Văn phòng"]);
        assert_eq!(values(subject, "L"), ["Đà Nẵng"]);
        assert!(values(subject, "ST").is_empty());
    }

    #[test]
    fn undoes_escapes_and_keeps_escaped_separators() {
        let subject = "CN=A\\+B, O=UBND\\, xã \\\"Thượng Lan\\\"+OU=Một cửa\\00, C=VN";
        assert_eq!(values(subject, "O"), ["UBND, xã \"Thượng Lan\""]);
        assert_eq!(values(subject, "OU"), ["Một cửa\0"]);
        assert_eq!(values(subject, "CN"), ["A+B"]);
        assert_eq!(unescape("\\ #a\\ "), " #a ");
        assert_eq!(unescape("trailing\\"), "trailing");
    }
}
