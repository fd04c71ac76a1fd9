//! What people write into a report (its texts and letterhead) and who signs it. The figures are
//! never typed: they come from [`crate::figures`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use motcua_core::record_ids::OfficialId;

/// The free-text sections, as the drafter writes them. Paragraphs are separated by blank lines;
/// a paragraph starting with "- " is printed as a bullet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportTexts {
    /// The request being answered and the legal basis ("Thực hiện Công văn số …").
    #[serde(default)]
    pub legal_basis: String,
    /// How the work was carried out (tình hình thực hiện).
    #[serde(default)]
    pub situation: String,
    /// Thuận lợi.
    #[serde(default)]
    pub advantages: String,
    /// Khó khăn, vướng mắc.
    #[serde(default)]
    pub difficulties: String,
    /// Organisation and operation of the one-stop desks: model, premises, staff.
    #[serde(default)]
    pub organisation: String,
    /// Kiến nghị, đề xuất.
    #[serde(default)]
    pub recommendations: String,
}

/// The parts of the document that are the issuing body's, not the report's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Letterhead {
    /// The body above the issuer, e.g. "UBND TỈNH BẮC GIANG" (often omitted for a People's
    /// Committee).
    #[serde(default)]
    pub superior_body: Option<String>,
    /// The issuing body in capitals, e.g. "UBND THỊ XÃ VIỆT YÊN".
    pub issuing_body: String,
    /// The place in the date line, e.g. "Việt Yên".
    pub place: String,
    /// The subject line under "BÁO CÁO"; a default per report kind when absent.
    #[serde(default)]
    pub subject: Option<String>,
    /// "Nơi nhận:" lines, e.g. "Văn phòng UBND tỉnh (b/c);", ending with "Lưu: VT.".
    pub recipients: Vec<String>,
    /// The closing sentence, e.g. "UBND thị xã Việt Yên trân trọng báo cáo./.".
    #[serde(default)]
    pub closing: Option<String>,
}

/// The leader who will sign, fixed when the report is made ready: the name and authority line
/// are part of what is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Signatory {
    pub official_id: OfficialId,
    pub full_name: String,
    /// As the results service holds it, e.g. "Phó Chủ tịch UBND thị xã".
    pub title: String,
    /// The authority lines printed above the signature (NĐ 30, Phụ lục I).
    pub authority: Vec<String>,
}

/// Texts, letterhead and (once ready) the signatory: everything of a version but its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionContent {
    pub texts: ReportTexts,
    pub letterhead: Letterhead,
    #[serde(default)]
    pub signatory: Option<Signatory>,
}

/// The authority lines for a leader's title: the chair signs "TM." (on behalf of) the committee,
/// a vice-chair "KT." (for) the chair. Other titles do not sign reports to the province.
pub fn authority_for(title: &str) -> Option<Vec<String>> {
    let folded = motcua_core::text::comparable_name(title);
    if folded.contains("phó chủ tịch") {
        Some(vec!["KT. CHỦ TỊCH".into(), "PHÓ CHỦ TỊCH".into()])
    } else if folded.contains("chủ tịch") {
        Some(vec!["TM. ỦY BAN NHÂN DÂN".into(), "CHỦ TỊCH".into()])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_follows_the_title() {
        assert_eq!(
            authority_for("Phó Chủ tịch UBND thị xã").as_deref(),
            Some(&["KT. CHỦ TỊCH".to_owned(), "PHÓ CHỦ TỊCH".to_owned()][..])
        );
        assert_eq!(
            authority_for("CHỦ TỊCH UBND").as_deref(),
            Some(&["TM. ỦY BAN NHÂN DÂN".to_owned(), "CHỦ TỊCH".to_owned()][..])
        );
        assert_eq!(authority_for("Công chức một cửa"), None);
    }
}
