//! The staffing appendix as the seed prints it, and how the desks are named by their kind.

use motcua_core::unit::UnitKind;
use motcua_document::{Align, Appendix, Block, Column, HeaderCell, Table};

use crate::figures::{Figures, StaffRow};

/// " tại 18 Bộ phận Một cửa (16 xã, 1 thị trấn và 1 Bộ phận Một cửa cấp huyện)": each kind of
/// desk named as it is (xã, phường, thị trấn), not all called "xã".
pub(super) fn desks_phrase(rows: &[StaffRow]) -> String {
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
    if named.is_empty() {
        return String::new();
    }
    format!(" tại {} Bộ phận Một cửa ({})", rows.len(), listed(&named))
}

/// "a", "a và b", "a, b và c": a list as Vietnamese prose writes it.
fn listed(parts: &[String]) -> String {
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} và {last}", rest.join(", ")),
    }
}

fn desk_kind_name(kind: UnitKind) -> &'static str {
    match kind {
        UnitKind::OneStopDesk => "Bộ phận Một cửa cấp huyện",
        other => other.vietnamese_name(),
    }
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

/// "Gồm 01 Phó Chánh Văn phòng HĐND và UBND thị xã, Trưởng Bộ phận và 01 Cán bộ Văn phòng phụ
/// trách Bộ phận Một cửa.": who a desk's own staff are, by their recorded titles. Staff without a
/// title close the list as "người khác", so that the note counts the whole cell; no note when
/// none has a title (a note naming nobody would only repeat the count).
fn own_staff_note(row: &StaffRow) -> Option<String> {
    if row.own_by_title.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = row
        .own_by_title
        .iter()
        .map(|titled| format!("{:02} {}", titled.count, titled.title))
        .collect();
    let titled: i64 = row.own_by_title.iter().map(|t| t.count).sum();
    let untitled = row.own_staff - titled;
    if untitled > 0 {
        parts.push(format!("{untitled:02} người khác"));
    }
    Some(format!("Gồm {}.", listed(&parts)))
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

/// One desk's row, its footnotes appended to `notes` in reading order: the own-staff note before
/// the agency note.
fn appendix_row(row: &StaffRow, notes: &mut Vec<String>) -> Vec<String> {
    let [mut total, mut own, mut sent] = staff_cells(row.total, row.own_staff, row.agency_sent);
    if let Some(note) = own_staff_note(row) {
        let mark = footnote_mark(notes.len() + 1);
        // A desk of own staff only prints its count in the total cell alone.
        let cell = if own.is_empty() { &mut total } else { &mut own };
        *cell = format!("{cell} {mark}");
        notes.push(format!("{mark} {note}"));
    }
    if !row.by_agency.is_empty() {
        let mark = footnote_mark(notes.len() + 1);
        sent = format!("{sent} {mark}");
        notes.push(format!("{mark} {}", agency_note(row)));
    }
    vec![
        row.ordinal.to_string(),
        row.unit_name.clone(),
        total,
        own,
        sent,
        String::new(),
    ]
}

pub(super) fn staffing_appendix(figures: &Figures) -> Appendix {
    let staffing = &figures.staffing;
    let mut notes = Vec::new();
    let mut rows: Vec<Vec<String>> = staffing
        .rows
        .iter()
        .map(|row| appendix_row(row, &mut notes))
        .collect();
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
            own_by_title: Vec::new(),
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

    fn desk(own_staff: i64, titles: &[(&str, i64)]) -> StaffRow {
        StaffRow {
            ordinal: 18,
            unit_id: motcua_core::record_ids::UnitId(3),
            unit_code: "000.99.24.H05".into(),
            unit_name: "Bộ phận Một cửa thị xã Việt Yên".into(),
            unit_kind: "one_stop_desk".into(),
            total: own_staff + 10,
            own_staff,
            agency_sent: 10,
            by_agency: vec![crate::figures::AgencyStaff {
                agency: "post_office".into(),
                count: 10,
            }],
            own_by_title: titles
                .iter()
                .map(|(title, count)| crate::figures::TitledStaff {
                    title: (*title).into(),
                    count: *count,
                })
                .collect(),
        }
    }

    const HEAD: &str = "Phó Chánh Văn phòng HĐND và UBND thị xã, Trưởng Bộ phận";
    const CLERK: &str = "Cán bộ Văn phòng phụ trách Bộ phận Một cửa";

    #[test]
    fn own_staff_are_named_by_their_titles_as_the_seed_writes_them() {
        assert_eq!(
            own_staff_note(&desk(2, &[(HEAD, 1), (CLERK, 1)])).unwrap(),
            "Gồm 01 Phó Chánh Văn phòng HĐND và UBND thị xã, Trưởng Bộ phận và 01 Cán bộ Văn \
             phòng phụ trách Bộ phận Một cửa."
        );
        assert_eq!(
            own_staff_note(&desk(1, &[(HEAD, 1)])).unwrap(),
            format!("Gồm 01 {HEAD}.")
        );
        // Staff without a title close the list, so that the note counts the whole cell.
        assert_eq!(
            own_staff_note(&desk(4, &[(HEAD, 1), (CLERK, 2)])).unwrap(),
            format!("Gồm 01 {HEAD}, 02 {CLERK} và 01 người khác.")
        );
        assert_eq!(own_staff_note(&desk(3, &[])), None, "no title, no note");
    }

    #[test]
    fn footnotes_are_numbered_in_reading_order() {
        let mut notes = Vec::new();
        let cells = appendix_row(&desk(2, &[(HEAD, 1), (CLERK, 1)]), &mut notes);
        assert_eq!(cells[2..5], ["12", "02 ¹", "10 ²"]);
        assert!(notes[0].starts_with("¹ Gồm 01 Phó Chánh"), "{notes:?}");
        assert!(notes[1].starts_with("² Bộ phận Một cửa thị xã Việt Yên: gồm 10 Bưu điện"));
        // A desk of own staff only shows its count, and the mark, in the total cell.
        let mut commune = desk(3, &[("Công chức Tư pháp - Hộ tịch", 1)]);
        (commune.total, commune.agency_sent, commune.by_agency) = (3, 0, Vec::new());
        let cells = appendix_row(&commune, &mut notes);
        assert_eq!(cells[2..5], ["3 ³", "", ""]);
        assert_eq!(
            notes[2],
            "³ Gồm 01 Công chức Tư pháp - Hộ tịch và 02 người khác."
        );
    }
}
