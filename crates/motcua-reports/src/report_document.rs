//! A report version as a Vietnamese administrative document (NĐ 30/2020): the figures put into
//! the seed report's structure, the drafter's texts around them, and the figures themselves
//! attached as JSON so that one signature covers both.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use motcua_core::form06::Form06Columns;
use motcua_core::period::Period;
use motcua_core::report::ReportKind;
use motcua_document::{
    AdministrativeDocument, Align, Appendix, Attachment, Block, Column, HeaderCell, Metadata, Span,
    Table,
};

use crate::content::{ExternalFigure, ExternalUnit, VersionContent};
use crate::figures::{Figures, LevelForm06, PeriodForm06, Rate, StaffRow};
use motcua_core::percent::{written as percent_of, written_as_given};
use motcua_core::unit::UnitKind;

/// File name of the attached figures inside the PDF.
pub const FIGURES_ATTACHMENT: &str = "figures.json";
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
/// byte for byte.
pub fn build(
    kind: ReportKind,
    figures: &Figures,
    figures_json: &[u8],
    content: &VersionContent,
    issue: Issue<'_>,
    created: DateTime<FixedOffset>,
) -> AdministrativeDocument {
    let letterhead = &content.letterhead;
    let signatory = content.signatory.as_ref();
    let subject = letterhead
        .subject
        .clone()
        .unwrap_or_else(|| default_subject(kind, figures));
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
        number_line: format!(
            "Số: {}",
            issue
                .number_text
                .map_or_else(|| format!("      /{}", kind.number_suffix()), str::to_owned)
        ),
        place_date: date_line(&letterhead.place, issue.date, created.date_naive().year()),
        kind: "BÁO CÁO".into(),
        subject: subject.clone(),
        body,
        recipients: letterhead.recipients.clone(),
        authority: signatory.map(|s| s.authority.clone()).unwrap_or_default(),
        signer_name: signatory.map(|s| s.full_name.clone()).unwrap_or_default(),
        appendices,
        attachments: attachments(figures_json, &content.external_figures),
        metadata: Metadata {
            title: format!("Báo cáo: {subject}"),
            author: letterhead.issuing_body.clone(),
            subject,
            keywords: figures.periods.clone(),
            creation_date: created,
        },
    }
}

fn attachments(figures_json: &[u8], external: &[ExternalFigure]) -> Vec<Attachment> {
    let mut attached = vec![Attachment {
        file_name: FIGURES_ATTACHMENT.into(),
        mime_type: "application/json".into(),
        description: "Số liệu của báo cáo tính từ hồ sơ (máy đọc được), motcua.report-figures/1"
            .into(),
        content: figures_json.to_vec(),
    }];
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

/// The external figures as attached: each marked `"origin": "external"` with its source.
pub fn external_figures_json(external: &[ExternalFigure]) -> Vec<u8> {
    let figures: Vec<serde_json::Value> = external
        .iter()
        .map(|figure| {
            serde_json::json!({
                "origin": EXTERNAL_ORIGIN,
                "label": figure.label,
                "period": figure.period,
                "value": figure.value,
                "unit": figure.unit,
                "source": figure.source,
                "as_of": figure.as_of,
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schema": EXTERNAL_FIGURES_SCHEMA,
        "figures": figures,
    }))
    .unwrap_or_default()
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

/// "Việt Yên, ngày 05 tháng 4 năm 2024", or with blanks for the day and month before issue.
fn date_line(place: &str, date: Option<NaiveDate>, year: i32) -> String {
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

/// "Theo số liệu của Cổng Dịch vụ công quốc gia (ngày 15/01/2024), năm 2023 tỷ lệ … đạt: 92,7 %."
fn external_sentence(figure: &ExternalFigure) -> Block {
    let value = match figure.unit {
        ExternalUnit::Percent => written_as_given(figure.value),
        ExternalUnit::Dossiers => format!("{} hồ sơ", external_count(figure.value)),
        ExternalUnit::Procedures => format!("{} TTHC", external_count(figure.value)),
    };
    Block::Bullet(vec![
        Span::italic(format!(
            "Theo số liệu của {} (ngày {}), ",
            figure.source.trim(),
            figure.as_of.format("%d/%m/%Y")
        )),
        Span::plain(format!(
            "{} {} đạt: {value}.",
            period_name(&figure.period),
            figure.label.trim()
        )),
    ])
}

/// A count entered as a whole number (checked when entered).
fn external_count(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    number(value as i64)
}

/// " tại 18 Bộ phận Một cửa (16 xã, 1 thị trấn và 1 Bộ phận Một cửa cấp huyện)": each kind of
/// desk named as it is (xã, phường, thị trấn), not all called "xã".
fn desks_phrase(rows: &[StaffRow]) -> String {
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for row in rows {
        let name = row
            .unit_kind
            .parse::<UnitKind>()
            .map_or("đơn vị khác", desk_kind_name);
        match kinds.iter_mut().find(|(seen, _)| *seen == name) {
            Some(entry) => entry.1 += 1,
            None => kinds.push((name, 1)),
        }
    }
    let named: Vec<String> = kinds
        .iter()
        .map(|(name, count)| format!("{count} {name}"))
        .collect();
    match named.split_last() {
        None => String::new(),
        Some((last, [])) => format!(" tại {} Bộ phận Một cửa ({last})", rows.len()),
        Some((last, rest)) => format!(
            " tại {} Bộ phận Một cửa ({} và {last})",
            rows.len(),
            rest.join(", ")
        ),
    }
}

fn desk_kind_name(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::OneStopDesk => "Bộ phận Một cửa cấp huyện",
        other => other.vietnamese_name(),
    }
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

/// The appendix's cells of one row, as the seed prints them: a desk whose staff are all its own
/// shows the total only ("3"); a desk with staff sent by agencies shows its split, every count of
/// the row in two digits ("12", "02", "10"), so that no row mixes "3" and "03".
fn staff_cells(total: i64, own_staff: i64, agency_sent: i64) -> [String; 3] {
    if agency_sent == 0 {
        return [total.to_string(), String::new(), String::new()];
    }
    [total, own_staff, agency_sent].map(|value| format!("{value:02}"))
}

/// A footnote mark: ¹, ², ³, then (4), (5), … (the embedded font has the first three).
fn footnote_mark(number: usize) -> String {
    match number {
        1 => "¹".into(),
        2 => "²".into(),
        3 => "³".into(),
        other => format!("({other})"),
    }
}

/// "Gồm 01 Phòng Tài nguyên và Môi trường, 03 Bưu điện, …": who sent a desk's agency staff.
fn agency_note(row: &StaffRow) -> String {
    let parts: Vec<String> = row
        .by_agency
        .iter()
        .map(|sent| format!("{:02} {}", sent.count, agency_name(&sent.agency)))
        .collect();
    format!(
        "{}: gồm {} được cử đến Bộ phận Một cửa.",
        row.unit_name,
        parts.join(", ")
    )
}

fn agency_name(agency: &str) -> &str {
    agency
        .parse::<motcua_core::official::Agency>()
        .map_or(agency, |known| known.vietnamese_name())
}

fn staffing_appendix(figures: &Figures) -> Appendix {
    let staffing = &figures.staffing;
    let mut notes = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for row in &staffing.rows {
        let [total, own, mut sent] = staff_cells(row.total, row.own_staff, row.agency_sent);
        if !row.by_agency.is_empty() {
            let mark = footnote_mark(notes.len() + 1);
            sent = format!("{sent} {mark}");
            notes.push(format!("{mark} {}", agency_note(row)));
        }
        rows.push(vec![
            row.ordinal.to_string(),
            row.unit_name.clone(),
            total,
            own,
            sent,
            String::new(),
        ]);
    }
    let [total, own, sent] = staff_cells(staffing.total, staffing.own_staff, staffing.agency_sent);
    rows.push(vec![
        String::new(),
        "Tổng cộng".into(),
        total,
        own,
        sent,
        String::new(),
    ]);
    let total_row = rows.len() - 1;
    Appendix {
        title: "PHỤ LỤC".into(),
        subtitle: Some(
            "Tổng số cán bộ, công chức, viên chức làm việc tại Bộ phận Một cửa các cấp".into(),
        ),
        blocks: vec![Block::Table(Table {
            header: vec![
                vec![
                    HeaderCell::spanning("TT", 1, 2),
                    HeaderCell::spanning("Đơn vị", 1, 2),
                    HeaderCell::spanning("Số lượng cán bộ công chức tại Bộ phận một cửa", 3, 1),
                    HeaderCell::spanning("Ghi chú", 1, 2),
                ],
                vec![
                    HeaderCell::new("Tổng số"),
                    HeaderCell::new("Thuộc biên chế (hoặc biệt phái) của Bộ phận Một cửa"),
                    HeaderCell::new("Công chức, viên chức do các cơ quan chuyên môn được cử đến"),
                ],
            ],
            columns: [
                (0.6, Align::Centre),
                (3.2, Align::Left),
                (1.1, Align::Centre),
                (2.0, Align::Centre),
                (2.2, Align::Centre),
                (1.1, Align::Left),
            ]
            .into_iter()
            .map(|(width, align)| Column { width, align })
            .collect(),
            rows,
            bold_rows: vec![total_row],
            notes,
        })],
    }
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

    #[test]
    fn appendix_rows_never_mix_one_and_two_digit_counts() {
        assert_eq!(staff_cells(3, 3, 0), ["3", "", ""]);
        assert_eq!(staff_cells(12, 2, 10), ["12", "02", "10"]);
        assert_eq!(staff_cells(3, 2, 1), ["03", "02", "01"]);
        assert_eq!(footnote_mark(2), "²");
        assert_eq!(footnote_mark(4), "(4)");
    }

    #[test]
    fn desks_are_named_by_their_kind() {
        let row = |kind: &str| StaffRow {
            ordinal: 1,
            unit_id: motcua_core::record_ids::UnitId(1),
            unit_code: String::new(),
            unit_name: String::new(),
            unit_kind: kind.into(),
            total: 3,
            own_staff: 3,
            agency_sent: 0,
            by_agency: Vec::new(),
        };
        let rows = [
            row("commune"),
            row("commune"),
            row("thi_tran"),
            row("one_stop_desk"),
        ];
        assert_eq!(
            desks_phrase(&rows),
            " tại 4 Bộ phận Một cửa (2 xã, 1 thị trấn và 1 Bộ phận Một cửa cấp huyện)"
        );
        assert_eq!(
            desks_phrase(&[row("phuong")]),
            " tại 1 Bộ phận Một cửa (1 phường)"
        );
    }
}
