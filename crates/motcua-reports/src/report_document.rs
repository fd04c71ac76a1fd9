//! A report version as a Vietnamese administrative document (NĐ 30/2020): the figures put into
//! the seed report's structure, the drafter's texts around them, and the figures themselves
//! attached as JSON so that one signature covers both.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use motcua_core::form06::Form06Columns;
use motcua_core::period::Period;
use motcua_core::report::ReportKind;
use motcua_document::{
    AdministrativeDocument, Align, Attachment, Block, Column, HeaderCell, Metadata, Span, Table,
};

use crate::content::{ExternalFigure, VersionContent};
use crate::figures::{Figures, LevelForm06, PeriodForm06, Rate};
use motcua_core::percent::{written as percent_of, written_as_given};

mod outside;
mod staffing;

pub use outside::external_figures_json;
use outside::external_sentence;
use staffing::{desks_phrase, staffing_appendix};

/// File name of the attached figures inside the PDF.
pub const FIGURES_ATTACHMENT: &str = "figures.json";
/// File name of the attached sources: the requests the figures were computed from, with the
/// time each was answered (`provenance` of the figures names them by path).
pub const SOURCES_ATTACHMENT: &str = "sources.json";
/// File name of the attached external figures (present when the report has any).
pub const EXTERNAL_FIGURES_ATTACHMENT: &str = "external-figures.json";
/// `schema` of the external figures' attachment.
pub const EXTERNAL_FIGURES_SCHEMA: &str = "motcua.report-external-figures/1";
/// `origin` of every external figure in its attachment.
pub const EXTERNAL_ORIGIN: &str = "external";

/// What is printed in the number and date lines: blank until the report is issued, since the
/// number and time are assigned then (NĐ 30, Điều 15 for electronic documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issue<'a> {
    pub number_text: Option<&'a str>,
    pub date: Option<NaiveDate>,
}

/// Builds the document of a report. `figures_json` is the canonical JSON of `figures`, attached
/// byte for byte; `sources_json` the version's sources (each request with when it was answered
/// and the SHA-256 of its answer), attached beside it so that the signatures cover the time of
/// every figure's requests too.
pub fn build(
    kind: ReportKind,
    figures: &Figures,
    figures_json: &[u8],
    sources_json: &[u8],
    content: &VersionContent,
    issue: Issue<'_>,
    created: DateTime<FixedOffset>,
) -> AdministrativeDocument {
    let letterhead = &content.letterhead;
    let signatory = content.signatory.as_ref();
    let subject = subject(kind, figures, content);
    let body = match kind {
        ReportKind::OneStopActivity => activity_body(figures, content),
        ReportKind::Form06 => form06_body(figures),
        ReportKind::Indicators => indicators_body(figures),
    };
    let mut body = body;
    if let Some(closing) = &letterhead.closing {
        body.push(Block::Closing(closing.clone()));
    }
    let appendices = match kind {
        ReportKind::OneStopActivity => vec![staffing_appendix(figures)],
        ReportKind::Form06 | ReportKind::Indicators => Vec::new(),
    };
    AdministrativeDocument {
        superior_body: letterhead.superior_body.clone(),
        issuing_body: letterhead.issuing_body.clone(),
        number_line: number_line(
            issue
                .number_text
                .map_or_else(|| format!("      /{}", kind.number_suffix()), str::to_owned)
                .as_str(),
        ),
        place_date: date_line(&letterhead.place, issue.date, created.date_naive().year()),
        // Unnumbered, the number and date are fields the issue fills in.
        fill_in_at_issue: issue.number_text.is_none(),
        kind: "BÁO CÁO".into(),
        subject: subject.clone(),
        body,
        recipients: letterhead.recipients.clone(),
        authority: signatory.map(|s| s.authority.clone()).unwrap_or_default(),
        signer_name: signatory.map(|s| s.full_name.clone()).unwrap_or_default(),
        appendices,
        attachments: attachments(figures_json, sources_json, &content.external_figures),
        metadata: Metadata {
            title: format!("Báo cáo: {subject}"),
            author: letterhead.issuing_body.clone(),
            subject,
            keywords: figures.periods.clone(),
            creation_date: created,
        },
    }
}

fn attachments(
    figures_json: &[u8],
    sources_json: &[u8],
    external: &[ExternalFigure],
) -> Vec<Attachment> {
    let mut attached = vec![
        Attachment {
            file_name: FIGURES_ATTACHMENT.into(),
            mime_type: "application/json".into(),
            description: "Số liệu của báo cáo tính từ hồ sơ (máy đọc được), \
                          motcua.report-figures/1"
                .into(),
            content: figures_json.to_vec(),
        },
        Attachment {
            file_name: SOURCES_ATTACHMENT.into(),
            mime_type: "application/json".into(),
            description: "Nguồn số liệu: từng yêu cầu tới dịch vụ kết quả, thời điểm trả lời và \
                          SHA-256 của câu trả lời"
                .into(),
            content: sources_json.to_vec(),
        },
    ];
    if !external.is_empty() {
        attached.push(Attachment {
            file_name: EXTERNAL_FIGURES_ATTACHMENT.into(),
            mime_type: "application/json".into(),
            description: format!(
                "Số liệu lấy từ nguồn khác, không tính từ hồ sơ (máy đọc được), \
                 {EXTERNAL_FIGURES_SCHEMA}"
            ),
            content: external_figures_json(external),
        });
    }
    attached
}

/// The report's subject as its document states it.
pub fn subject(kind: ReportKind, figures: &Figures, content: &VersionContent) -> String {
    content
        .letterhead
        .subject
        .clone()
        .unwrap_or_else(|| default_subject(kind, figures))
}

fn default_subject(kind: ReportKind, figures: &Figures) -> String {
    let periods = periods_phrase(&figures.periods);
    match kind {
        ReportKind::OneStopActivity => {
            "Tình hình tổ chức và hoạt động của Bộ phận Một cửa cấp huyện, cấp xã".into()
        }
        ReportKind::Form06 => {
            format!("Kết quả giải quyết thủ tục hành chính {periods} (Biểu số 06/VPCP/KSTT)")
        }
        ReportKind::Indicators => format!(
            "Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, doanh \
             nghiệp {periods} (Quyết định số 766/QĐ-TTg)"
        ),
    }
}

/// "Số: 01/BC-UBND".
pub fn number_line(number_text: &str) -> String {
    format!("Số: {number_text}")
}

/// "Việt Yên, ngày 05 tháng 4 năm 2024", or with blanks for the day and month before issue.
pub fn date_line(place: &str, date: Option<NaiveDate>, year: i32) -> String {
    match date {
        Some(date) => format!(
            "{place}, ngày {:02} tháng {} năm {}",
            date.day(),
            date.month(),
            date.year()
        ),
        None => format!("{place}, ngày      tháng      năm {year}"),
    }
}

/// "năm 2023 và quý I/2024".
pub fn periods_phrase(periods: &[String]) -> String {
    let named: Vec<String> = periods.iter().map(|p| period_name(p)).collect();
    match named.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} và {last}", rest.join(", ")),
    }
}

/// "năm 2023", "quý I/2024", "tháng 3/2024", or the dates of any other range.
pub fn period_name(label: &str) -> String {
    let Ok(period) = label.parse::<Period>() else {
        return label.to_owned();
    };
    let (first, last) = (period.first_day, period.last_day);
    let year = first.year();
    if first.month() == 1 && first.day() == 1 && last.month() == 12 && last.day() == 31 {
        if first.year() == last.year() {
            return format!("năm {year}");
        }
    } else if first.day() == 1 && last.year() == year {
        let months = last.month() - first.month() + 1;
        if months == 3 && (first.month() - 1) % 3 == 0 {
            let quarter = ["I", "II", "III", "IV"][((first.month() - 1) / 3) as usize];
            return format!("quý {quarter}/{year}");
        }
        if months == 1 {
            return format!("tháng {}/{year}", first.month());
        }
    }
    format!(
        "từ ngày {} đến ngày {}",
        first.format("%d/%m/%Y"),
        last.format("%d/%m/%Y")
    )
}

/// Vietnamese grouping: 10.726.
pub fn number(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push('.');
        }
        out.push(digit);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// A rate of the figures, rounded once from its counts: "94,88 %".
fn rate(rate: &Rate) -> String {
    percent_of(rate.numerator, rate.denominator)
}

fn level_name(level: &str) -> &str {
    match level {
        "province" => "cấp tỉnh",
        "district" => "cấp huyện",
        "commune" => "cấp xã",
        other => other,
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// The drafter's text: paragraphs split at blank lines, "- " lines as bullets.
fn written(text: &str) -> Vec<Block> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| match paragraph.strip_prefix("- ") {
            Some(bullet) => Block::Bullet(vec![Span::plain(bullet.trim())]),
            None => Block::Paragraph(vec![Span::plain(paragraph)]),
        })
        .collect()
}

fn labelled(label: &str, text: &str) -> Option<Block> {
    let text = text.trim();
    (!text.is_empty()).then(|| {
        Block::Bullet(vec![
            Span::bold(format!("{label}: ")),
            Span::plain(text.replace("\n\n", " ")),
        ])
    })
}

fn heading(level: u8, text: impl Into<String>) -> Block {
    Block::Heading {
        level,
        text: text.into(),
    }
}

fn activity_body(figures: &Figures, content: &VersionContent) -> Vec<Block> {
    let texts = &content.texts;
    let mut body = written(&texts.legal_basis);
    body.push(heading(
        1,
        "I. TÌNH HÌNH, KẾT QUẢ TIẾP NHẬN, GIẢI QUYẾT TTHC",
    ));
    body.push(heading(2, "1. Tình hình thực hiện"));
    body.extend(written(&texts.situation));
    body.extend(labelled("Thuận lợi", &texts.advantages));
    body.extend(labelled("Khó khăn", &texts.difficulties));
    body.push(heading(
        3,
        "b) Kết quả tiếp nhận và giải quyết thủ tục hành chính",
    ));
    body.extend(catalogue_blocks(figures));
    body.push(Block::Bullet(vec![Span::plain(format!(
        "Thống kê kết quả tiếp nhận và giải quyết thủ tục hành chính {}:",
        periods_phrase(&figures.periods)
    ))]));
    body.extend(dossier_blocks(figures));
    body.push(form06_summary_table(figures));
    body.push(heading(
        3,
        "c) Về số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    ));
    body.extend(digitisation_blocks(figures, &content.external_figures));
    body.push(heading(2, "2. Về tổ chức, vận hành của Bộ phận Một cửa"));
    body.push(heading(3, "a) Tình hình, tổ chức thực hiện"));
    body.extend(written(&texts.organisation));
    body.push(Block::Bullet(vec![Span::plain(format!(
        "Số lượng cán bộ, công chức, viên chức đang làm việc tại Bộ phận Một cửa các cấp: {} \
         người{}, trong đó {} thuộc biên chế (hoặc biệt phái) của Bộ phận Một cửa và {} do các \
         cơ quan chuyên môn được cử đến (chi tiết trong phụ lục kèm theo).",
        number(figures.staffing.total),
        desks_phrase(&figures.staffing.rows),
        number(figures.staffing.own_staff),
        number(figures.staffing.agency_sent),
    ))]));
    body.push(heading(
        3,
        "b) Hiệu quả trong tổ chức vận hành Bộ phận Một cửa",
    ));
    body.extend(written(&texts.operation_effectiveness));
    body.push(heading(
        3,
        "c) Những khó khăn, bất cập trong tổ chức vận hành mô hình Bộ phận Một cửa tại địa \
         phương",
    ));
    body.extend(written(&texts.operation_difficulties));
    body.push(heading(2, "3. Kiến nghị, đề xuất"));
    body.extend(written(&texts.recommendations));
    body
}

fn catalogue_blocks(figures: &Figures) -> Vec<Block> {
    let coverage = &figures.online_coverage;
    let by_level = |pick: fn(&crate::figures::OnlineCoverage) -> i64| {
        coverage
            .levels
            .iter()
            .map(|level| format!("{} {} TTHC", level_name(&level.level), number(pick(level))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rates = coverage
        .levels
        .iter()
        .map(|level| {
            format!(
                "{} đạt {}",
                level_name(&level.level),
                percent_of(level.online, level.procedures)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        Block::Bullet(vec![Span::plain(format!(
            "Tổng số thủ tục hành chính đang thực hiện tiếp nhận tại địa phương: {} TTHC, trong \
             đó {}.",
            number(coverage.procedures),
            by_level(|level| level.procedures)
        ))]),
        Block::Bullet(vec![Span::plain(format!(
            "Thủ tục hành chính được thực hiện theo phương thức tiếp nhận hồ sơ và trả kết quả \
             không phụ thuộc vào địa giới hành chính tại địa phương: {:02} thủ tục.",
            coverage.non_boundary
        ))]),
        Block::Bullet(vec![Span::plain(format!(
            "Thủ tục hành chính đủ điều kiện, được thực hiện cung cấp dịch vụ công trực tuyến \
             tại địa phương: {} TTHC, trong đó {}. Kết quả cung cấp dịch vụ công trực tuyến: {}.",
            number(coverage.online),
            by_level(|level| level.online),
            rates
        ))]),
    ]
}

fn dossier_blocks(figures: &Figures) -> Vec<Block> {
    let mut blocks = Vec::new();
    let levels: Vec<String> = figures
        .form06
        .iter()
        .flat_map(|period| period.levels.iter().map(|level| level.level.clone()))
        .fold(Vec::new(), |mut seen, level| {
            if !seen.contains(&level) {
                seen.push(level);
            }
            seen
        });
    for level in levels {
        blocks.push(heading(3, format!("{}:", capitalised(level_name(&level)))));
        for period in &figures.form06 {
            if let Some(found) = period.levels.iter().find(|l| l.level == level) {
                blocks.push(dossier_sentence(period, found));
            }
        }
    }
    blocks
}

fn dossier_sentence(period: &PeriodForm06, level: &LevelForm06) -> Block {
    let c = &level.total;
    Block::Bullet(vec![
        Span::plain(format!(
            "{} tổng số hồ sơ TTHC đã tiếp nhận {}: ",
            capitalised(&period_name(&period.period)),
            level_name(&level.level)
        )),
        Span::bold(number(c.total)),
        Span::plain(" hồ sơ, trong đó: Số mới tiếp nhận trong kỳ: "),
        Span::bold(number(c.new_total())),
        Span::italic(format!(
            " (trực tuyến: {}, trực tiếp: {} và qua dịch vụ bưu chính: {})",
            number(c.new_online),
            number(c.new_direct),
            number(c.new_postal)
        )),
        Span::plain(format!(
            "; số từ kỳ trước chuyển qua: {}. Đã giải quyết: {} (trước hạn: {}, đúng hạn: {}, \
             quá hạn: {}); đang giải quyết: {} (trong hạn: {}, quá hạn: {}).",
            number(c.carried_over),
            number(c.resolved),
            number(c.resolved_early),
            number(c.resolved_on_time),
            number(c.resolved_late),
            number(c.in_progress),
            number(c.within_due),
            number(c.overdue)
        )),
    ])
}

const FORM06_HEADS: [&str; 11] = [
    "(3) Tổng số",
    "(4) Trực tuyến",
    "(5) Trực tiếp, bưu chính",
    "(6) Kỳ trước chuyển qua",
    "(7) Đã giải quyết",
    "(8) Trước hạn",
    "(9) Đúng hạn",
    "(10) Quá hạn",
    "(11) Đang giải quyết",
    "(12) Trong hạn",
    "(13) Quá hạn",
];

fn form06_cells(c: &Form06Columns) -> Vec<String> {
    c.printed().into_iter().map(number).collect()
}

fn form06_table(first_head: &str, rows: Vec<(String, Form06Columns, bool)>) -> Table {
    let mut header = vec![HeaderCell::new(first_head)];
    header.extend(FORM06_HEADS.iter().map(|head| HeaderCell::new(*head)));
    let mut columns = vec![Column {
        width: 2.6,
        align: Align::Left,
    }];
    columns.extend((0..FORM06_HEADS.len()).map(|_| Column {
        width: 1.0,
        align: Align::Right,
    }));
    let bold_rows = rows
        .iter()
        .enumerate()
        .filter(|(_, (_, _, bold))| *bold)
        .map(|(index, _)| index)
        .collect();
    Table {
        header: vec![header],
        columns,
        rows: rows
            .into_iter()
            .map(|(label, columns, _)| {
                let mut row = vec![label];
                row.extend(form06_cells(&columns));
                row
            })
            .collect(),
        bold_rows,
        notes: Vec::new(),
    }
}

/// One row per period and level, then the period's total, in the columns that fit a portrait
/// page; the split of (7) and (11) is in the sentences above and the full form in Biểu 06.
fn form06_summary_table(figures: &Figures) -> Block {
    let mut rows = Vec::new();
    let mut bold_rows = Vec::new();
    for period in &figures.form06 {
        let name = capitalised(&period_name(&period.period));
        for level in &period.levels {
            rows.push(summary_row(
                format!("{name}, {}", level_name(&level.level)),
                &level.total,
            ));
        }
        bold_rows.push(rows.len());
        rows.push(summary_row(format!("{name}: tổng"), &period.total));
    }
    let heads = [
        "Kỳ, cấp",
        "Tổng số hồ sơ",
        "Mới, trực tuyến",
        "Mới, trực tiếp và bưu chính",
        "Kỳ trước chuyển qua",
        "Đã giải quyết",
        "Đang giải quyết",
    ];
    let mut columns = vec![Column {
        width: 2.4,
        align: Align::Left,
    }];
    columns.extend((1..heads.len()).map(|_| Column {
        width: 1.2,
        align: Align::Right,
    }));
    Block::Table(Table {
        header: vec![heads.into_iter().map(HeaderCell::new).collect()],
        columns,
        rows,
        bold_rows,
        notes: vec![
            "Số liệu tính từ hồ sơ trên hệ thống theo Biểu số 06/VPCP/KSTT; tổng số = mới \
             tiếp nhận + kỳ trước chuyển qua = đã giải quyết + đang giải quyết."
                .into(),
        ],
    })
}

fn summary_row(label: String, c: &Form06Columns) -> Vec<String> {
    let mut row = vec![label];
    row.extend(
        [
            c.total,
            c.new_online,
            c.new_direct_postal,
            c.carried_over,
            c.resolved,
            c.in_progress,
        ]
        .into_iter()
        .map(number),
    );
    row
}

fn digitisation_blocks(figures: &Figures, external: &[ExternalFigure]) -> Vec<Block> {
    let certificates = &figures.certificates;
    let mut blocks =
        vec![Block::Bullet(vec![Span::plain(format!(
        "Chứng thư số: {}/{} công chức Một cửa ({}) có chứng thư số cá nhân còn hiệu lực để ký \
         số hóa khi tiếp nhận hồ sơ; {}/{} Bộ phận Một cửa cấp xã ({}) có chứng thư số tập thể \
         để cấp kết quả điện tử.",
        certificates.desk_staff.covered,
        certificates.desk_staff.total,
        percent_of(certificates.desk_staff.covered, certificates.desk_staff.total),
        certificates.commune_desks.covered,
        certificates.commune_desks.total,
        percent_of(
            certificates.commune_desks.covered,
            certificates.commune_desks.total
        ),
    ))])];
    blocks.extend(external.iter().map(external_sentence));
    for period in &figures.periods {
        let rates: Vec<String> = figures
            .level_rates
            .iter()
            .filter(|rates| &rates.period == period)
            .map(|rates| {
                format!(
                    "{}: tỷ lệ hồ sơ cấp kết quả điện tử {}, tỷ lệ số hóa hồ sơ {}, tỷ lệ số hóa \
                     hồ sơ, kết quả giải quyết {}, tỷ lệ khai thác, sử dụng lại tài liệu số hóa {}",
                    level_name(&rates.level),
                    rate(&rates.electronic_result),
                    rate(&rates.digitisation),
                    rate(&rates.digitised_result),
                    rate(&rates.reuse),
                )
            })
            .collect();
        if !rates.is_empty() {
            blocks.push(Block::Bullet(vec![Span::plain(format!(
                "{} (tính từ hồ sơ trên hệ thống): {}.",
                capitalised(&period_name(period)),
                rates.join("; ")
            ))]));
        }
    }
    blocks
}

fn form06_body(figures: &Figures) -> Vec<Block> {
    let mut body = Vec::new();
    for period in &figures.form06 {
        body.push(heading(
            2,
            format!("Kết quả giải quyết TTHC {}", period_name(&period.period)),
        ));
        let mut rows = Vec::new();
        for level in &period.levels {
            rows.push((capitalised(level_name(&level.level)), level.total, true));
            for field in &level.fields {
                rows.push((field.field.clone(), field.columns, false));
            }
        }
        rows.push(("Tổng cộng".into(), period.total, true));
        body.push(Block::Table(form06_table("Lĩnh vực", rows)));
    }
    body
}

fn indicators_body(figures: &Figures) -> Vec<Block> {
    let mut body = Vec::new();
    for period in &figures.indicators {
        body.push(heading(2, capitalised(&period_name(&period.period))));
        let rows = period
            .indicators
            .iter()
            .enumerate()
            .map(|(index, indicator)| {
                vec![
                    (index + 1).to_string(),
                    indicator.name.clone(),
                    format!(
                        "{}/{}",
                        number(indicator.numerator),
                        number(indicator.denominator)
                    ),
                    percent_of(indicator.numerator, indicator.denominator),
                    indicator
                        .target_percent
                        .map_or_else(|| "-".into(), written_as_given),
                    indicator
                        .score
                        .map_or_else(|| "-".into(), |s| format!("{s:.2}").replace('.', ",")),
                    format!("{:.0}", indicator.max_points),
                ]
            })
            .collect();
        body.push(Block::Table(Table {
            header: vec![[
                "TT",
                "Chỉ số",
                "Số liệu",
                "Tỷ lệ",
                "Mục tiêu",
                "Điểm",
                "Điểm tối đa",
            ]
            .into_iter()
            .map(HeaderCell::new)
            .collect()],
            columns: [
                (0.6, Align::Centre),
                (4.0, Align::Left),
                (1.6, Align::Right),
                (1.1, Align::Right),
                (1.1, Align::Right),
                (0.9, Align::Right),
                (0.9, Align::Right),
            ]
            .into_iter()
            .map(|(width, align)| Column { width, align })
            .collect(),
            rows,
            bold_rows: Vec::new(),
            notes: Vec::new(),
        }));
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_periods_read_the_vietnamese_way() {
        assert_eq!(number(10_726), "10.726");
        assert_eq!(number(474), "474");
        assert_eq!(number(1_234_567), "1.234.567");
        assert_eq!(period_name("2023"), "năm 2023");
        assert_eq!(period_name("2024-Q1"), "quý I/2024");
        assert_eq!(period_name("2024-03"), "tháng 3/2024");
        assert_eq!(
            periods_phrase(&["2023".into(), "2024-Q1".into()]),
            "năm 2023 và quý I/2024"
        );
        assert_eq!(
            date_line("Việt Yên", NaiveDate::from_ymd_opt(2024, 4, 5), 2024),
            "Việt Yên, ngày 05 tháng 4 năm 2024"
        );
    }
}
