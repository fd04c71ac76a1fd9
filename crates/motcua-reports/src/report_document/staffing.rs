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

pub(super) fn staffing_appendix(figures: &Figures) -> Appendix {
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
