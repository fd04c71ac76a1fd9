//! What people write into a report (its texts and letterhead) and who signs it. The figures are
//! never typed: they come from [`crate::figures`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::NaiveDate;
use motcua_core::period::Period;
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
    /// Section 2 a): organisation of the one-stop desks (tình hình, tổ chức thực hiện): model,
    /// premises, staff.
    #[serde(default)]
    pub organisation: String,
    /// Section 2 b): how well the desks work (hiệu quả trong tổ chức vận hành Bộ phận Một cửa).
    #[serde(default)]
    pub operation_effectiveness: String,
    /// Section 2 c): difficulties and shortcomings in running them (những khó khăn, bất cập
    /// trong tổ chức vận hành mô hình Bộ phận Một cửa tại địa phương).
    #[serde(default)]
    pub operation_difficulties: String,
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

/// What an external figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExternalUnit {
    /// A rate, 0 to 100.
    Percent,
    /// A number of dossiers (hồ sơ).
    Dossiers,
    /// A number of procedures (TTHC).
    Procedures,
}

/// A figure the records cannot give, read by an official from another system (e.g. the national
/// public service portal's digitisation rate of 2023) and entered with its source. The document
/// prints it as that source's ("theo số liệu của …"), and it is kept apart from the figures
/// computed from the records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalFigure {
    /// What is measured, as the sentence prints it, e.g. "tỷ lệ số hóa hồ sơ, kết quả giải
    /// quyết TTHC".
    pub label: String,
    /// The period it covers: `2023`, `2024-Q1`, `2024-03` or `2024-01-01..2024-03-31`.
    pub period: String,
    /// The value as the source gives it (never rounded again).
    pub value: f64,
    pub unit: ExternalUnit,
    /// Who publishes it, e.g. "Cổng Dịch vụ công quốc gia".
    pub source: String,
    /// The day it was read from the source (on or after the period's first day).
    #[schema(value_type = String, format = Date)]
    #[serde(deserialize_with = "motcua_core::time::day")]
    pub as_of: NaiveDate,
}

/// At most this many external figures per report.
pub const MAX_EXTERNAL_FIGURES: usize = 20;
/// At most this many characters in an external figure's label or source.
pub const MAX_EXTERNAL_TEXT: usize = 300;

/// Every wrong field of the external figures, named by its JSON path
/// (`external_figures[0].source`).
pub fn check_external_figures(figures: &[ExternalFigure]) -> Vec<(String, String)> {
    let mut wrong = Vec::new();
    if figures.len() > MAX_EXTERNAL_FIGURES {
        wrong.push((
            "external_figures".to_owned(),
            format!("at most {MAX_EXTERNAL_FIGURES} external figures"),
        ));
    }
    for (index, figure) in figures.iter().enumerate() {
        let mut fail = |field: &str, reason: String| {
            wrong.push((format!("external_figures[{index}].{field}"), reason));
        };
        for (field, text) in [("label", &figure.label), ("source", &figure.source)] {
            if text.trim().is_empty() {
                fail(field, "must not be empty".into());
            } else if text.chars().count() > MAX_EXTERNAL_TEXT {
                fail(field, format!("at most {MAX_EXTERNAL_TEXT} characters"));
            }
        }
        let period = figure.period.parse::<Period>();
        if let Err(reason) = &period {
            fail("period", reason.clone());
        }
        if !figure.value.is_finite() || figure.value < 0.0 {
            fail("value", "a finite number, not negative".into());
        } else if figure.unit == ExternalUnit::Percent && figure.value > 100.0 {
            fail("value", "a percentage is at most 100".into());
        } else if figure.unit != ExternalUnit::Percent && figure.value.fract() != 0.0 {
            fail("value", "a count is a whole number".into());
        }
        if let Ok(period) = period {
            if figure.as_of < period.first_day {
                fail(
                    "as_of",
                    format!(
                        "a figure of {} cannot be read before {}",
                        figure.period, period.first_day
                    ),
                );
            }
        }
    }
    wrong
}

/// Texts, letterhead, external figures and (once ready) the signatory: everything of a version
/// but its figures computed from the records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionContent {
    pub texts: ReportTexts,
    pub letterhead: Letterhead,
    #[serde(default)]
    pub signatory: Option<Signatory>,
    #[serde(default)]
    pub external_figures: Vec<ExternalFigure>,
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

    fn portal_2023() -> ExternalFigure {
        ExternalFigure {
            label: "tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC".into(),
            period: "2023".into(),
            value: 92.7,
            unit: ExternalUnit::Percent,
            source: "Cổng Dịch vụ công quốc gia".into(),
            as_of: NaiveDate::from_ymd_opt(2024, 1, 15).unwrap_or_default(),
        }
    }

    #[test]
    fn external_figures_name_each_wrong_field() {
        assert!(check_external_figures(&[portal_2023()]).is_empty());
        let wrong = ExternalFigure {
            label: " ".into(),
            period: "2023-Q5".into(),
            value: 120.0,
            source: String::new(),
            ..portal_2023()
        };
        let early = ExternalFigure {
            as_of: NaiveDate::from_ymd_opt(2022, 12, 31).unwrap_or_default(),
            ..portal_2023()
        };
        let fractional = ExternalFigure {
            unit: ExternalUnit::Dossiers,
            ..portal_2023()
        };
        let names: Vec<String> = check_external_figures(&[wrong, early, fractional])
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            names,
            [
                "external_figures[0].label",
                "external_figures[0].source",
                "external_figures[0].period",
                "external_figures[0].value",
                "external_figures[1].as_of",
                "external_figures[2].value",
            ]
        );
    }

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
