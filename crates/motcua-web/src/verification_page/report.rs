//! The report part of the page: a summary of the document, then each signature with its
//! indication and reason, signer, time, certificate chain, later changes and checks.

use chrono::{DateTime, FixedOffset, Utc};
use motcua_pki::cms::{Indication, SignatureReport, SignerIdentity};
use motcua_pki::pades::PdfSignatureReport;
use motcua_pki::ChainEntry;

use super::html::Html;
use super::names;
use super::text::{self, Lang};
use super::{IssuedReport, Subject};

/// Việt Nam keeps UTC+07:00 all year, without daylight saving time.
const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+07:00 is a valid offset"),
};

pub(super) fn write(
    html: &mut Html,
    lang: Lang,
    subject: Subject<'_>,
    reports: &[PdfSignatureReport],
    document_matches: Option<bool>,
) {
    write_summary(html, lang, subject, reports, document_matches);
    for (index, report) in reports.iter().enumerate() {
        write_signature(html, lang, index + 1, reports.len(), report);
    }
}

/// A time as a person in Việt Nam reads it, saying which time it is.
pub(super) fn vietnam_time(lang: Lang, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&VIETNAM);
    match lang {
        Lang::Vi => format!(
            "{} (giờ Việt Nam, UTC+07:00)",
            local.format("%H:%M:%S ngày %d/%m/%Y")
        ),
        Lang::En => format!(
            "{} (Vietnam time, UTC+07:00)",
            local.format("%Y-%m-%d %H:%M:%S")
        ),
    }
}

fn vietnam_date(lang: Lang, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&VIETNAM);
    match lang {
        Lang::Vi => local.format("%d/%m/%Y").to_string(),
        Lang::En => local.format("%Y-%m-%d").to_string(),
    }
}

/// The weakest indication of the document gives the colour of the summary.
fn overall(reports: &[PdfSignatureReport]) -> Indication {
    let has = |wanted| reports.iter().any(|r| r.report.indication == wanted);
    if has(Indication::TotalFailed) {
        Indication::TotalFailed
    } else if has(Indication::Indeterminate) {
        Indication::Indeterminate
    } else {
        Indication::TotalPassed
    }
}

fn write_summary(
    html: &mut Html,
    lang: Lang,
    subject: Subject<'_>,
    reports: &[PdfSignatureReport],
    document_matches: Option<bool>,
) {
    let overall = overall(reports);
    html.raw("<section class=\"summary ")
        .raw(text::indication_class(overall))
        .raw("\" id=\"summary\" data-indication=\"")
        .raw(&code_of(&overall))
        .raw("\">")
        .element(
            "h2",
            "",
            lang.pick("Kết quả kiểm tra", "Result of the check"),
        );
    match subject {
        Subject::Upload { file_name } => {
            html.raw("<p>")
                .text(lang.pick("Tệp: ", "File: "))
                .element(
                    "strong",
                    "",
                    file_name.unwrap_or(lang.pick("(không tên)", "(no name)")),
                )
                .raw("</p>");
        }
        Subject::Dossier { code } => {
            html.raw("<p>")
                .text(lang.pick(
                    "Kết quả điện tử của hồ sơ ",
                    "Electronic result of dossier ",
                ))
                .element("strong", "", code)
                .raw("</p>");
        }
        Subject::Report(report) => write_issued_report(html, lang, &report),
    }
    if let Some(matches) = document_matches {
        super::document_match::write(html, lang, matches);
    }
    html.element("p", "indication", &count_text(lang, reports));
    if let Some(first) = reports.first() {
        html.element(
            "p",
            "",
            &format!(
                "{} {}",
                lang.pick("Kiểm tra lúc", "Checked at"),
                vietnam_time(lang, first.report.validated_at)
            ),
        );
    }
    html.raw("</section>");
}

/// What an issued report is: title, number, date and issuing unit.
fn write_issued_report(html: &mut Html, lang: Lang, report: &IssuedReport<'_>) {
    html.raw("<table class=\"issued-report\" id=\"issued-report\">")
        .row(lang.pick("Báo cáo", "Report"), report.title)
        .row(lang.pick("Số", "Number"), report.number)
        .row(lang.pick("Ngày ban hành", "Issued on"), report.date)
        .row(
            lang.pick("Đơn vị ban hành", "Issuing unit"),
            report.issuing_unit,
        )
        .row(lang.pick("Mã báo cáo", "Report id"), report.id)
        .raw("</table>");
}

/// "2 chữ ký: 1 hợp lệ, 1 không hợp lệ."
fn count_text(lang: Lang, reports: &[PdfSignatureReport]) -> String {
    let count = |wanted| {
        reports
            .iter()
            .filter(|r| r.report.indication == wanted)
            .count()
    };
    let parts: Vec<String> = [
        (Indication::TotalPassed, lang.pick("hợp lệ", "valid")),
        (
            Indication::TotalFailed,
            lang.pick("không hợp lệ", "invalid"),
        ),
        (
            Indication::Indeterminate,
            lang.pick("chưa xác định được", "indeterminate"),
        ),
    ]
    .into_iter()
    .map(|(indication, words)| (count(indication), words))
    .filter(|(n, _)| *n > 0)
    .map(|(n, words)| format!("{n} {words}"))
    .collect();
    let total = reports.len();
    match lang {
        Lang::Vi => format!("Văn bản có {total} chữ ký: {}.", parts.join(", ")),
        Lang::En if total == 1 => format!("The document has 1 signature: {}.", parts.join(", ")),
        Lang::En => format!("The document has {total} signatures: {}.", parts.join(", ")),
    }
}

fn write_signature(
    html: &mut Html,
    lang: Lang,
    number: usize,
    total: usize,
    signature: &PdfSignatureReport,
) {
    let report = &signature.report;
    html.raw("<section class=\"signature ")
        .raw(text::indication_class(report.indication))
        .raw(&format!("\" id=\"signature-{number}\" data-indication=\""))
        .raw(&code_of(&report.indication))
        .raw("\">")
        .element(
            "h2",
            "",
            &format!(
                "{} {number}/{total}: {}",
                lang.pick("Chữ ký", "Signature"),
                signature.field_name
            ),
        );
    write_indication(html, lang, number, report);
    write_signer(html, lang, report);
    html.element(
        "h3",
        "",
        lang.pick("Thay đổi sau khi ký", "Changes after signing"),
    )
    .element("p", "", text::changes_after(lang, signature.changes_after));
    write_certificates(html, lang, report);
    write_checks(html, lang, report);
    html.raw("</section>");
}

fn write_indication(html: &mut Html, lang: Lang, number: usize, report: &SignatureReport) {
    html.raw(&format!(
        "<p class=\"indication\" id=\"signature-{number}-indication\">"
    ))
    .text(text::indication(lang, report.indication))
    .raw(" <code>")
    .text(&code_of(&report.indication))
    .raw("</code></p>");
    if let Some(sub_indication) = report.sub_indication {
        html.raw(&format!(
            "<p class=\"reason\" id=\"signature-{number}-reason\"><code>"
        ))
        .text(&code_of(&sub_indication))
        .raw("</code> ")
        .text(text::reason(lang, sub_indication))
        .raw("</p>");
    }
    html.raw("<p class=\"technical\">")
        .text(lang.pick("Chi tiết kỹ thuật: ", "Technical detail: "))
        .text(&report.summary)
        .raw("</p>");
}

/// The name serde gives a value (`TOTAL_PASSED`, `HASH_FAILURE`): the code auditors compare
/// with other tools' reports.
fn code_of(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn write_signer(html: &mut Html, lang: Lang, report: &SignatureReport) {
    html.element("h3", "", lang.pick("Người ký", "Signer"))
        .raw("<table class=\"signer\">");
    match &report.signer {
        Some(signer) => write_identity(html, lang, signer),
        None => {
            html.row(
                lang.pick("Người ký", "Signer"),
                lang.pick(
                    "Không xác định được (không có chứng thư số của người ký)",
                    "Unknown (the signer's certificate is missing)",
                ),
            );
        }
    }
    let time = report.claimed_signing_time.map_or_else(
        || lang.pick("Không ghi", "Not stated").to_owned(),
        |at| vietnam_time(lang, at),
    );
    html.row(
        lang.pick(
            "Thời điểm ký (do người ký khai báo)",
            "Signing time (as the signer states it)",
        ),
        &time,
    )
    .row(
        lang.pick("Thuật toán chữ ký", "Signature algorithm"),
        &report.signature_algorithm,
    )
    .raw("</table>");
}

fn write_identity(html: &mut Html, lang: Lang, signer: &SignerIdentity) {
    html.raw("<tr><th scope=\"row\">")
        .text(lang.pick("Tên", "Name"))
        .raw("</th><td class=\"signer-name\">")
        .text(&signer.name)
        .raw("</td></tr>");
    for identifier in &signer.identifiers {
        html.row(text::identifier(lang, identifier.kind), &identifier.value);
    }
    let units: Vec<String> = ["OU", "O"]
        .iter()
        .flat_map(|attribute| names::values(&signer.subject, attribute))
        .collect();
    if !units.is_empty() {
        html.row(
            lang.pick("Cơ quan, đơn vị", "Unit, organisation"),
            &units.join(", "),
        );
    }
    let places: Vec<String> = ["L", "ST"]
        .iter()
        .flat_map(|attribute| names::values(&signer.subject, attribute))
        .collect();
    if !places.is_empty() {
        html.row(lang.pick("Địa phương", "Locality"), &places.join(", "));
    }
    html.row(
        lang.pick("Tên đầy đủ trong chứng thư", "Subject of the certificate"),
        &signer.subject,
    )
    .row(lang.pick("Tổ chức cấp", "Issuer"), &signer.issuer)
    .row(
        lang.pick("Số hiệu chứng thư", "Serial number"),
        &signer.serial,
    );
}

fn write_certificates(html: &mut Html, lang: Lang, report: &SignatureReport) {
    html.element(
        "h3",
        "",
        lang.pick("Chứng thư số và chuỗi chứng thư", "Certificate and chain"),
    );
    if report.certificate_validations.is_empty() {
        html.element(
            "p",
            "",
            lang.pick(
                "Chứng thư số chưa được kiểm tra.",
                "The certificate was not checked.",
            ),
        );
        return;
    }
    html.raw("<table class=\"verdicts\">");
    for validation in &report.certificate_validations {
        let verdict = &validation.verdict;
        html.raw("<tr><th scope=\"row\">")
            .text(text::moment(lang, validation.moment))
            .raw("</th><td class=\"")
            .raw(if verdict.is_valid() {
                "valid"
            } else {
                "invalid"
            })
            .raw("\">")
            .text(text::verdict(lang, verdict.status))
            .raw("<br><span class=\"technical\">")
            .text(&verdict.summary)
            .raw("</span></td></tr>");
    }
    html.raw("</table>");
    let chain = report
        .certificate_validations
        .iter()
        .map(|validation| &validation.verdict.chain)
        .find(|chain| !chain.is_empty());
    if let Some(chain) = chain {
        write_chain(html, lang, chain);
    }
}

fn write_chain(html: &mut Html, lang: Lang, chain: &[ChainEntry]) {
    html.raw("<table class=\"chain\"><thead><tr>");
    for heading in [
        lang.pick("Chứng thư", "Certificate"),
        lang.pick("Tổ chức cấp", "Issuer"),
        lang.pick("Số hiệu", "Serial"),
        lang.pick("Hiệu lực", "Valid"),
    ] {
        html.element("th", "", heading);
    }
    html.raw("</tr></thead><tbody>");
    for entry in chain {
        let subject = if entry.trust_anchor {
            format!(
                "{} {}",
                entry.subject,
                lang.pick("(gốc tin cậy)", "(trusted root)")
            )
        } else {
            entry.subject.clone()
        };
        let validity = format!(
            "{} {} {} {}",
            lang.pick("từ", "from"),
            vietnam_date(lang, entry.not_before),
            lang.pick("đến", "to"),
            vietnam_date(lang, entry.not_after)
        );
        html.raw("<tr>")
            .element("td", "", &subject)
            .element("td", "", &entry.issuer)
            .raw("<td><code>")
            .text(&entry.serial)
            .raw("</code></td>")
            .element("td", "", &validity)
            .raw("</tr>");
    }
    html.raw("</tbody></table>");
}

fn write_checks(html: &mut Html, lang: Lang, report: &SignatureReport) {
    html.element("h3", "", lang.pick("Các bước kiểm tra", "Checks made"))
        .raw("<table class=\"checks\"><thead><tr>");
    for heading in [
        lang.pick("Bước kiểm tra", "Check"),
        lang.pick("Kết quả", "Outcome"),
        lang.pick("Chi tiết kỹ thuật", "Technical detail"),
    ] {
        html.element("th", "", heading);
    }
    html.raw("</tr></thead><tbody>");
    for check in &report.checks {
        html.raw("<tr>")
            .element("td", "", text::check(lang, check.check))
            .element(
                "td",
                text::outcome_class(check.outcome),
                text::outcome(lang, check.outcome),
            )
            .element("td", "technical", &check.detail)
            .raw("</tr>");
    }
    html.raw("</tbody></table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_vietnam_time_and_say_so() {
        let at = DateTime::parse_from_rfc3339("2024-03-04T20:30:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            vietnam_time(Lang::Vi, at),
            "03:30:05 ngày 05/03/2024 (giờ Việt Nam, UTC+07:00)"
        );
        assert_eq!(
            vietnam_time(Lang::En, at),
            "2024-03-05 03:30:05 (Vietnam time, UTC+07:00)"
        );
    }
}
