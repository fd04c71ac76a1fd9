//! Whether the document in hand is the stored one: its verification QR code carries the SHA-256
//! of the document before it was signed, which some revision of the stored file hashes to.

use super::html::Html;
use super::text::Lang;

/// The query parameter and JSON field that carry the hash.
pub const SHA256_PARAM: &str = "sha256";

/// A SHA-256 written as 64 hexadecimal digits (either case).
pub fn parse_sha256(text: &str) -> Result<[u8; 32], String> {
    let mut hash = [0; 32];
    hex::decode_to_slice(text.trim(), &mut hash)
        .map_err(|_| "must be a SHA-256: 64 hexadecimal digits".to_owned())?;
    Ok(hash)
}

/// The sentence of the summary that says whether the document matches.
pub(super) fn write(html: &mut Html, lang: Lang, matches: bool) {
    let (class, text) = if matches {
        (
            "document-match valid",
            lang.pick(
                "Văn bản khớp với bản đã lưu: mã băm SHA-256 trong mã QR là của văn bản này trước khi ký.",
                "The document matches the stored one: the SHA-256 in its QR code is that of this document before it was signed.",
            ),
        )
    } else {
        (
            "document-match invalid",
            lang.pick(
                "Văn bản KHÔNG khớp với bản đã lưu: mã băm SHA-256 trong mã QR không phải của văn bản này. Bản giấy hoặc tệp bạn đang có có thể đã bị thay đổi hoặc không phải bản gốc.",
                "The document does NOT match the stored one: the SHA-256 in its QR code is not that of this document. The paper or file you have may have been changed or is not the original.",
            ),
        )
    };
    html.raw("<p class=\"")
        .raw(class)
        .raw("\" id=\"document-match\" data-match=\"")
        .raw(if matches { "true" } else { "false" })
        .raw("\">")
        .text(text)
        .raw("</p>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_64_hexadecimal_digits() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_sha256(&hex), Ok([0xab; 32]));
        assert_eq!(parse_sha256(&hex.to_uppercase()), Ok([0xab; 32]));
        assert!(parse_sha256(&"ab".repeat(31)).is_err());
        assert!(parse_sha256(&"zz".repeat(32)).is_err());
        assert!(parse_sha256("").is_err());
    }
}
