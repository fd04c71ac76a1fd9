//! Text normalisation. Vietnamese can be typed precomposed ("ế") or decomposed ("ê" + acute);
//! both must compare equal, so every input is normalised to NFC before it is stored.

use unicode_normalization::{is_nfc, UnicodeNormalization};

/// Returns `text` in Unicode Normalization Form C.
pub fn nfc(text: &str) -> String {
    if is_nfc(text) {
        text.to_owned()
    } else {
        text.nfc().collect()
    }
}

/// Normalises every string inside a JSON value to NFC, keys included.
pub fn nfc_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(nfc(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(nfc_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (nfc(&k), nfc_json(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Why text with a [`forbidden_character`] is refused.
pub const FORBIDDEN_CHARACTERS: &str = "text may not contain control characters other than tab \
and line breaks, nor bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, U+200E, \
U+200F, U+061C)";

/// Whether `c` may not appear in any text the services accept: control characters but tab and
/// line breaks (no field needs one, and PostgreSQL cannot store or compare NUL), and the
/// bidirectional formatting characters, which make a name display as something else
/// ("Trojan Source").
pub fn forbidden_character(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// Whether `text` holds a [`forbidden_character`].
pub fn has_forbidden_character(text: &str) -> bool {
    text.chars().any(forbidden_character)
}

/// Collapses runs of white space and trims; names typed by people often carry stray spaces.
pub fn tidy(text: &str) -> String {
    nfc(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The form in which two names are compared: tidied, NFC, case folded. "UBND XÃ THƯỢNG LAN"
/// and "UBND xã Thượng Lan" (typed precomposed or not) compare equal.
pub fn comparable_name(text: &str) -> String {
    nfc(&tidy(text).to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposed_vietnamese_becomes_precomposed() {
        let decomposed = "Vie\u{0302}\u{0323}t Ye\u{0302}n";
        assert_eq!(nfc(decomposed), "Việt Yên");
        assert_ne!(decomposed, "Việt Yên");
    }

    #[test]
    fn names_compare_without_case_and_normalisation_differences() {
        assert_eq!(
            comparable_name("UBND XÃ THƯỢNG LAN"),
            comparable_name(" UBND  xa\u{0303} Thượng Lan")
        );
        assert_eq!(comparable_name("ĐỨC"), "đức");
        assert_ne!(comparable_name("Thượng Lan"), comparable_name("Thuong Lan"));
    }

    #[test]
    fn control_and_bidi_characters_are_forbidden() {
        for text in [
            "a\u{0}b",
            "x\u{1B}",
            "abc\u{202E}cba",
            "\u{2066}",
            "\u{200F}",
            "\u{061C}",
        ] {
            assert!(has_forbidden_character(text), "{text:?}");
        }
        for text in ["Thân Văn\tThuận", "line\nbreak\r\n", "ÂĂÊÔƠƯĐ", "\u{200D}"] {
            assert!(!has_forbidden_character(text), "{text:?}");
        }
    }

    #[test]
    fn tidy_collapses_spaces() {
        assert_eq!(tidy("  Thân   Văn\tThuận "), "Thân Văn Thuận");
    }

    #[test]
    fn json_strings_are_normalised_everywhere() {
        let value = serde_json::json!({"a": ["Ye\u{0302}n"], "b": {"c": "Ye\u{0302}n"}, "n": 1});
        let expected = serde_json::json!({"a": ["Yên"], "b": {"c": "Yên"}, "n": 1});
        assert_eq!(nfc_json(value), expected);
    }
}
