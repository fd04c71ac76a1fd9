//! The words of the verification page, in Vietnamese and English: indications, reasons,
//! checks and labels. Technical details from the verifier stay in English in both.

use motcua_pki::cms::{Indication, SignatureCheckKind, SubIndication, ValidationMoment};
use motcua_pki::pades::ChangesAfter;
use motcua_pki::{IdentifierKind, Outcome, VerdictStatus};

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// `lang=en` in a query string gives English; anything else Vietnamese, the default.
    pub fn from_query(query: &str) -> Self {
        let english = form_urlencoded::parse(query.as_bytes())
            .any(|(name, value)| name == "lang" && value.eq_ignore_ascii_case("en"));
        if english {
            Self::En
        } else {
            Self::Vi
        }
    }

    /// The `lang` attribute and query value.
    pub fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    /// `vi` or `en`, whichever this page is in.
    pub fn pick(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Vi => vi,
            Self::En => en,
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Self {
        match self {
            Self::Vi => Self::En,
            Self::En => Self::Vi,
        }
    }
}

/// The indication in words. "Không hợp lệ" contains "hợp lệ": whoever tells them apart by
/// machine reads the code (`data-indication`), not these words.
pub fn indication(lang: Lang, indication: Indication) -> &'static str {
    match indication {
        Indication::TotalPassed => lang.pick("Hợp lệ", "Valid"),
        Indication::TotalFailed => lang.pick("Không hợp lệ", "Invalid"),
        Indication::Indeterminate => lang.pick("Chưa xác định", "Indeterminate"),
    }
}

/// The CSS class of an indication.
pub fn indication_class(indication: Indication) -> &'static str {
    match indication {
        Indication::TotalPassed => "valid",
        Indication::TotalFailed => "invalid",
        Indication::Indeterminate => "indeterminate",
    }
}

/// What a sub-indication means, for a person.
pub fn reason(lang: Lang, sub_indication: SubIndication) -> &'static str {
    use SubIndication as S;
    match sub_indication {
        S::FormatFailure => lang.pick(
            "Chữ ký không đúng định dạng chuẩn (CAdES/PAdES) nên không kiểm tra được.",
            "The signature is not in the expected format (CAdES/PAdES) and cannot be checked.",
        ),
        S::HashFailure => lang.pick(
            "Nội dung văn bản đã bị thay đổi sau khi ký: mã băm của nội dung không khớp với mã băm đã được ký.",
            "The document was changed after it was signed: the digest of its content does not match the signed digest.",
        ),
        S::SigCryptoFailure => lang.pick(
            "Giá trị chữ ký không khớp với khóa công khai trong chứng thư số của người ký.",
            "The signature value does not verify with the public key of the signer's certificate.",
        ),
        S::Revoked => lang.pick(
            "Chứng thư số của người ký đã bị thu hồi trước thời điểm ký.",
            "The signer's certificate was revoked before the signing time.",
        ),
        S::Expired => lang.pick(
            "Chứng thư số của người ký đã hết hạn tại thời điểm ký.",
            "The signer's certificate had expired at the signing time.",
        ),
        S::NotYetValid => lang.pick(
            "Chứng thư số của người ký chưa có hiệu lực tại thời điểm ký.",
            "The signer's certificate was not yet valid at the signing time.",
        ),
        S::NoSigningCertificateFound => lang.pick(
            "Không tìm thấy chứng thư số của người ký trong chữ ký.",
            "The signer's certificate is not in the signature.",
        ),
        S::NoCertificateChainFound => lang.pick(
            "Chứng thư số không dẫn tới tổ chức chứng thực gốc nào được tin cậy.",
            "The certificate does not chain to any trusted root certification authority.",
        ),
        S::ChainConstraintsFailure => lang.pick(
            "Một chứng thư trong chuỗi vi phạm ràng buộc (không phải CA, độ dài chuỗi, mục đích sử dụng khóa…).",
            "A certificate of the chain breaks a constraint (not a CA, path length, key usage…).",
        ),
        S::RevokedNoPoe => lang.pick(
            "Chứng thư số đã bị thu hồi sau thời điểm ký khai báo, và không có dấu thời gian chứng minh chữ ký được tạo trước khi thu hồi.",
            "The certificate was revoked after the claimed signing time, and no timestamp proves the signature existed before the revocation.",
        ),
        S::OutOfBoundsNoPoe => lang.pick(
            "Chứng thư số đã hết hạn sau thời điểm ký khai báo, và không có dấu thời gian chứng minh chữ ký được tạo khi chứng thư còn hiệu lực.",
            "The certificate has expired since the claimed signing time, and no timestamp proves the signature existed while it was valid.",
        ),
        S::CryptoConstraintsFailure => lang.pick(
            "Thuật toán hoặc khóa của chữ ký không còn được chấp nhận (ví dụ SHA-1).",
            "The algorithm or key of the signature is no longer accepted (e.g. SHA-1).",
        ),
        S::TryLater => lang.pick(
            "Chưa có danh sách thu hồi (CRL) dùng được để biết chứng thư số có bị thu hồi không; hãy kiểm tra lại khi có CRL mới.",
            "No usable revocation list (CRL) tells whether the certificate is revoked; check again when a new CRL is available.",
        ),
        S::SigConstraintsFailure => lang.pick(
            "Sau khi ký, văn bản đã bị thêm nội dung không phải chữ ký: văn bản có thể đã bị sửa.",
            "Content other than signatures was added after signing: the document may have been changed.",
        ),
        S::BudgetExceeded => lang.pick(
            "Việc kiểm tra đã dừng vì vượt quá thời gian cho phép, nên chưa có kết luận về chữ ký này; tệp có thể có cấu trúc bất thường.",
            "The check was stopped when its time ran out, so nothing was concluded about this signature; the file may have an unusual structure.",
        ),
    }
}

/// What a check is about.
pub fn check(lang: Lang, kind: SignatureCheckKind) -> &'static str {
    use SignatureCheckKind as K;
    match kind {
        K::ByteRange => lang.pick(
            "Phạm vi ký (ByteRange) bao trùm cả phiên bản văn bản",
            "The signed byte range covers the whole revision",
        ),
        K::Format => lang.pick("Định dạng chữ ký", "Signature format"),
        K::SignerCertificate => lang.pick(
            "Có chứng thư số của người ký",
            "The signer's certificate is present",
        ),
        K::MessageDigest => lang.pick(
            "Mã băm của nội dung khớp với mã băm đã ký",
            "The content's digest matches the signed digest",
        ),
        K::SignatureValue => lang.pick("Giá trị chữ ký", "Signature value"),
        K::SigningCertificateAttribute => lang.pick(
            "Thuộc tính chỉ định chứng thư ký (signing-certificate-v2)",
            "Signing-certificate attribute (signing-certificate-v2)",
        ),
        K::SigningTime => lang.pick("Thời điểm ký khai báo", "Claimed signing time"),
        K::CertificateValidation => lang.pick(
            "Chuỗi chứng thư, thời hạn và tình trạng thu hồi",
            "Certificate chain, validity and revocation",
        ),
        K::MessageImprint => lang.pick(
            "Mã băm trong dấu thời gian khớp với dữ liệu được gắn dấu",
            "The timestamp's imprint matches the timestamped data",
        ),
        K::ChangesAfterSigning => lang.pick("Thay đổi sau khi ký", "Changes after signing"),
        K::SignatureTimestamp => lang.pick(
            "Dấu thời gian trên chữ ký và tổ chức cấp dấu thời gian",
            "Signature timestamp and its timestamping authority",
        ),
    }
}

/// How a check ended.
pub fn outcome(lang: Lang, outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => lang.pick("Đạt", "Passed"),
        Outcome::Failed => lang.pick("Không đạt", "Failed"),
        Outcome::Skipped => lang.pick("Bỏ qua", "Skipped"),
    }
}

/// The CSS class of an outcome.
pub fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Passed => "valid",
        Outcome::Failed => "invalid",
        Outcome::Skipped => "indeterminate",
    }
}

/// A certificate's verdict in words.
pub fn verdict(lang: Lang, status: VerdictStatus) -> &'static str {
    use VerdictStatus as V;
    match status {
        V::Valid => lang.pick("Chứng thư số hợp lệ", "Certificate valid"),
        V::BadSignature => lang.pick(
            "Chữ ký trên một chứng thư của chuỗi không hợp lệ",
            "A signature on a certificate of the chain is invalid",
        ),
        V::Untrusted => lang.pick(
            "Không dẫn tới tổ chức chứng thực gốc được tin cậy",
            "Does not chain to a trusted root",
        ),
        V::ConstraintViolation => lang.pick(
            "Chuỗi chứng thư vi phạm ràng buộc",
            "The chain breaks a constraint",
        ),
        V::WrongKeyUsage => lang.pick(
            "Chứng thư không được cấp cho mục đích ký",
            "Not issued for signing",
        ),
        V::Revoked => lang.pick("Chứng thư đã bị thu hồi", "Revoked"),
        V::Expired => lang.pick("Chứng thư đã hết hạn", "Expired"),
        V::NotYetValid => lang.pick("Chứng thư chưa có hiệu lực", "Not yet valid"),
        V::RevocationUnknown => lang.pick(
            "Chưa rõ tình trạng thu hồi (không có CRL dùng được)",
            "Revocation status unknown (no usable CRL)",
        ),
    }
}

/// When a certificate verdict applies.
pub fn moment(lang: Lang, moment: ValidationMoment) -> &'static str {
    match moment {
        ValidationMoment::ClaimedSigningTime => {
            lang.pick("Tại thời điểm ký khai báo", "At the claimed signing time")
        }
        ValidationMoment::ValidationTime => {
            lang.pick("Tại thời điểm kiểm tra", "At the time of this check")
        }
        ValidationMoment::ProofOfExistence => lang.pick(
            "Tại thời điểm dấu thời gian chứng minh chữ ký đã tồn tại",
            "At the time a timestamp proves the signature existed",
        ),
    }
}

/// What followed a signature in the file.
pub fn changes_after(lang: Lang, changes: ChangesAfter) -> &'static str {
    match changes {
        ChangesAfter::Nothing => lang.pick(
            "Không có gì được thêm vào văn bản sau chữ ký này.",
            "Nothing was added to the document after this signature.",
        ),
        ChangesAfter::FurtherSignatures => lang.pick(
            "Sau chữ ký này chỉ có thêm các chữ ký khác.",
            "Only further signatures were added after this signature.",
        ),
        ChangesAfter::OtherContent => lang.pick(
            "Sau chữ ký này văn bản đã bị thêm nội dung không được ký: văn bản có thể đã bị sửa sau khi ký.",
            "Unsigned content was added after this signature: the document may have been changed after signing.",
        ),
    }
}

/// The label of an identity number.
pub fn identifier(lang: Lang, kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::Cccd => lang.pick("Số CCCD", "Citizen ID (CCCD)"),
        IdentifierKind::Cmnd => lang.pick("Số CMND", "Former ID card (CMND)"),
        IdentifierKind::Passport => lang.pick("Số hộ chiếu", "Passport"),
        IdentifierKind::TaxCode => lang.pick("Mã số thuế (MST)", "Tax code (MST)"),
        IdentifierKind::BudgetCode => lang.pick(
            "Mã đơn vị có quan hệ với ngân sách (MNS)",
            "Budget relationship code (MNS)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lang_en_switches_to_english() {
        assert_eq!(Lang::from_query(""), Lang::Vi);
        assert_eq!(Lang::from_query("lang=en"), Lang::En);
        assert_eq!(Lang::from_query("code=X&lang=EN"), Lang::En);
        assert_eq!(Lang::from_query("lang=fr"), Lang::Vi);
        assert_eq!(Lang::from_query("language=en"), Lang::Vi);
    }
}
