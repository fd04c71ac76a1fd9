//! The seed district's procedure catalogue, as data: typical district and commune procedures with
//! their official names, fields, legal processing times in working days, online service level and
//! well-known fees, then entries that fill the catalogue to the counts the seed report states.
//!
//! Codes: an entry carries its national code (Cơ sở dữ liệu quốc gia về TTHC) only where that code
//! was confirmed; every other entry, and every filling entry, gets a code under the prefix
//! [`SEED_CODE_PREFIX`], which the national database does not use (its codes are one digit, a
//! dot and six digits), so a seed code never passes for a real one.
//!
//! The publishing decisions (numbers and dates of Bắc Giang decisions) are seed values, not the
//! province's real decisions.

use chrono::NaiveDate;
use motcua_core::procedure::OnlineServiceLevel;

/// The level a catalogue entry is carried out at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    District,
    Commune,
}

/// One procedure of the catalogue, as published.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The national code, where confirmed.
    pub code: Option<&'static str>,
    pub name: &'static str,
    pub field: &'static str,
    /// Legal processing time in working days; 0 only for same-day procedures.
    pub days: i32,
    pub online: OnlineServiceLevel,
    pub fee_vnd: Option<i64>,
    pub fee_note: Option<&'static str>,
    /// May be filed at any desk of the province (phi địa giới hành chính).
    pub non_boundary: bool,
}

/// Codes given by the generator, in a range the national database does not use.
pub const SEED_CODE_PREFIX: &str = "99";

/// Fields of the district's filling entries, in turn.
pub const DISTRICT_FIELDS: [&str; 13] = [
    "Đất đai",
    "Hộ tịch",
    "Xây dựng",
    "Đăng ký kinh doanh",
    "Lao động - Thương binh và Xã hội",
    "Tư pháp",
    "Chứng thực",
    "Giáo dục và Đào tạo",
    "Y tế",
    "Văn hóa",
    "Môi trường",
    "Kinh tế hợp tác",
    "Nội vụ",
];

/// Fields of the communes' filling entries, in turn.
pub const COMMUNE_FIELDS: [&str; 8] = [
    "Hộ tịch",
    "Chứng thực",
    "Bảo trợ xã hội",
    "Người có công",
    "Đất đai",
    "Văn hóa",
    "Nông nghiệp",
    "Tư pháp",
];

/// Processing times of filling entries, in turn: realistic ones, never same-day.
pub const FILLER_DAYS: [i32; 9] = [5, 3, 10, 7, 15, 2, 20, 1, 30];

const FULL: OnlineServiceLevel = OnlineServiceLevel::Full;
const PARTIAL: OnlineServiceLevel = OnlineServiceLevel::Partial;

const fn entry(
    code: Option<&'static str>,
    name: &'static str,
    field: &'static str,
    days: i32,
    online: OnlineServiceLevel,
) -> Entry {
    Entry {
        code,
        name,
        field,
        days,
        online,
        fee_vnd: None,
        fee_note: None,
        non_boundary: false,
    }
}

const fn fee(mut e: Entry, vnd: i64, note: &'static str) -> Entry {
    e.fee_vnd = Some(vnd);
    e.fee_note = Some(note);
    e
}

const fn anywhere(mut e: Entry) -> Entry {
    e.non_boundary = true;
    e
}

/// District-level procedures, most filed first (the generator gives the first ones most dossiers).
pub const DISTRICT: &[Entry] = &[
    anywhere(entry(None, "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất trong các trường hợp chuyển đổi, chuyển nhượng, cho thuê, cho thuê lại, thừa kế, tặng cho, góp vốn bằng quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", "Đất đai", 10, PARTIAL)),
    entry(None, "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất lần đầu", "Đất đai", 30, PARTIAL),
    anywhere(entry(None, "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất", "Đất đai", 7, PARTIAL)),
    entry(None, "Tách thửa hoặc hợp thửa đất", "Đất đai", 15, PARTIAL),
    entry(None, "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền đối với hộ gia đình, cá nhân", "Đất đai", 15, PARTIAL),
    anywhere(entry(Some("1.001612"), "Đăng ký thành lập hộ kinh doanh", "Đăng ký kinh doanh", 3, FULL)),
    entry(Some("2.000720"), "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh", "Đăng ký kinh doanh", 3, FULL),
    entry(Some("1.001570"), "Tạm ngừng kinh doanh, tiếp tục kinh doanh trước thời hạn đã thông báo của hộ kinh doanh", "Đăng ký kinh doanh", 3, FULL),
    entry(Some("1.001266"), "Chấm dứt hoạt động hộ kinh doanh", "Đăng ký kinh doanh", 3, FULL),
    entry(Some("2.000575"), "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh", "Đăng ký kinh doanh", 3, FULL),
    entry(Some("1.009122"), "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", "Xây dựng", 15, PARTIAL),
    entry(None, "Cấp giấy phép xây dựng sửa chữa, cải tạo đối với nhà ở riêng lẻ", "Xây dựng", 15, PARTIAL),
    entry(None, "Điều chỉnh giấy phép xây dựng đối với nhà ở riêng lẻ", "Xây dựng", 15, PARTIAL),
    entry(None, "Gia hạn giấy phép xây dựng đối với nhà ở riêng lẻ", "Xây dựng", 5, PARTIAL),
    entry(None, "Cấp lại giấy phép xây dựng đối với nhà ở riêng lẻ", "Xây dựng", 5, PARTIAL),
    anywhere(fee(entry(None, "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan tổ chức có thẩm quyền của nước ngoài; cơ quan, tổ chức có thẩm quyền của Việt Nam liên kết với cơ quan, tổ chức có thẩm quyền của nước ngoài cấp hoặc chứng nhận", "Chứng thực", 0, PARTIAL), 2_000, "2.000 đồng/trang; từ trang thứ ba trở lên 1.000 đồng/trang, tối đa 200.000 đồng/bản")),
    fee(entry(None, "Chứng thực chữ ký người dịch mà người dịch là cộng tác viên dịch thuật của Phòng Tư pháp", "Chứng thực", 0, PARTIAL), 10_000, "10.000 đồng/trường hợp"),
    entry(Some("2.000528"), "Đăng ký khai sinh có yếu tố nước ngoài", "Hộ tịch", 0, PARTIAL),
    entry(Some("2.000806"), "Đăng ký kết hôn có yếu tố nước ngoài", "Hộ tịch", 15, PARTIAL),
    entry(None, "Thay đổi, cải chính, bổ sung thông tin hộ tịch cho người từ đủ 14 tuổi trở lên cư trú ở trong nước", "Hộ tịch", 3, PARTIAL),
    entry(None, "Giải quyết chế độ mai táng phí đối với cựu chiến binh", "Lao động - Thương binh và Xã hội", 10, PARTIAL),
    entry(None, "Đăng ký thành lập hợp tác xã", "Kinh tế hợp tác", 5, FULL),
    entry(None, "Chuyển trường đối với học sinh trung học cơ sở", "Giáo dục và Đào tạo", 3, FULL),
    entry(None, "Cho phép trường mầm non hoạt động giáo dục", "Giáo dục và Đào tạo", 20, PARTIAL),
    entry(Some("1.001029"), "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke", "Văn hóa", 5, PARTIAL),
    entry(None, "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "Y tế", 20, PARTIAL),
    entry(None, "Cấp giấy phép môi trường", "Môi trường", 15, PARTIAL),
    entry(None, "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp huyện về thành tích thực hiện nhiệm vụ chính trị", "Nội vụ", 20, PARTIAL),
];

/// Commune-level procedures, most filed first.
pub const COMMUNE: &[Entry] = &[
    fee(entry(Some("2.000815"), "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan tổ chức có thẩm quyền của Việt Nam cấp hoặc chứng nhận", "Chứng thực", 0, PARTIAL), 2_000, "2.000 đồng/trang; từ trang thứ ba trở lên 1.000 đồng/trang, tối đa 200.000 đồng/bản"),
    fee(entry(Some("1.001193"), "Đăng ký khai sinh", "Hộ tịch", 0, FULL), 0, "Miễn lệ phí khi đăng ký đúng hạn"),
    fee(entry(Some("2.000884"), "Chứng thực chữ ký trong các giấy tờ, văn bản (áp dụng cho cả trường hợp chứng thực điểm chỉ và trường hợp người yêu cầu chứng thực không thể ký, không thể điểm chỉ được)", "Chứng thực", 0, PARTIAL), 10_000, "10.000 đồng/trường hợp"),
    fee(entry(Some("1.000656"), "Đăng ký khai tử", "Hộ tịch", 0, FULL), 0, "Miễn lệ phí khi đăng ký đúng hạn"),
    fee(entry(Some("1.000894"), "Đăng ký kết hôn", "Hộ tịch", 0, PARTIAL), 0, "Miễn lệ phí"),
    entry(Some("1.004873"), "Cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch", 3, FULL),
    fee(entry(Some("2.000635"), "Cấp bản sao trích lục hộ tịch", "Hộ tịch", 0, FULL), 8_000, "8.000 đồng/bản sao trích lục"),
    fee(entry(Some("2.001035"), "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất và nhà ở", "Chứng thực", 2, PARTIAL), 50_000, "50.000 đồng/hợp đồng, giao dịch"),
    fee(entry(Some("2.001019"), "Chứng thực di chúc", "Chứng thực", 2, PARTIAL), 50_000, "50.000 đồng/di chúc"),
    fee(entry(Some("2.001008"), "Chứng thực chữ ký người dịch mà người dịch không phải là cộng tác viên dịch thuật", "Chứng thực", 0, PARTIAL), 10_000, "10.000 đồng/trường hợp"),
    entry(Some("2.000942"), "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực", "Chứng thực", 2, PARTIAL),
    entry(Some("1.004859"), "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "Hộ tịch", 3, PARTIAL),
    entry(Some("1.004884"), "Đăng ký lại khai sinh", "Hộ tịch", 5, PARTIAL),
    entry(Some("1.005461"), "Đăng ký lại khai tử", "Hộ tịch", 5, PARTIAL),
    entry(Some("1.004746"), "Đăng ký lại kết hôn", "Hộ tịch", 5, PARTIAL),
    entry(Some("1.000689"), "Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "Hộ tịch", 3, PARTIAL),
    entry(Some("1.001022"), "Đăng ký nhận cha, mẹ, con", "Hộ tịch", 3, PARTIAL),
    entry(Some("1.004837"), "Đăng ký giám hộ", "Hộ tịch", 3, PARTIAL),
    entry(Some("1.004845"), "Đăng ký chấm dứt giám hộ", "Hộ tịch", 2, PARTIAL),
    entry(Some("2.001263"), "Đăng ký việc nuôi con nuôi trong nước", "Hộ tịch", 30, PARTIAL),
    entry(Some("1.001699"), "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật", "Bảo trợ xã hội", 25, PARTIAL),
    entry(Some("1.001653"), "Đổi, cấp lại Giấy xác nhận khuyết tật", "Bảo trợ xã hội", 5, PARTIAL),
    entry(Some("1.001776"), "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng, hỗ trợ kinh phí chăm sóc, nuôi dưỡng hằng tháng", "Bảo trợ xã hội", 20, PARTIAL),
    entry(Some("1.001731"), "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội", "Bảo trợ xã hội", 7, PARTIAL),
    entry(Some("1.011607"), "Công nhận hộ nghèo, hộ cận nghèo thường xuyên hằng năm", "Bảo trợ xã hội", 15, PARTIAL),
    entry(Some("1.010833"), "Cấp giấy xác nhận thân nhân của người có công", "Người có công", 5, PARTIAL),
    entry(Some("1.010803"), "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "Người có công", 10, PARTIAL),
    entry(None, "Hòa giải tranh chấp đất đai", "Đất đai", 45, PARTIAL),
    entry(Some("2.000950"), "Công nhận tổ trưởng tổ hòa giải", "Tư pháp", 3, PARTIAL),
    entry(Some("2.000930"), "Thôi làm hòa giải viên", "Tư pháp", 5, PARTIAL),
    entry(None, "Xét tặng danh hiệu Gia đình văn hóa hằng năm", "Văn hóa", 5, PARTIAL),
];

/// A procedure of the seed catalogue, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedProcedure {
    pub code: String,
    pub name: String,
    pub field: String,
    pub days: i32,
    pub online: OnlineServiceLevel,
    pub fee_vnd: Option<i64>,
    pub fee_note: Option<String>,
    pub non_boundary: bool,
    pub decision_number: String,
    pub decision_date: NaiveDate,
}

/// The seed catalogue at `level`: its real entries first, then filling entries up to `total`, of
/// which the first `online` (the real entries all are) are offered online.
pub fn procedures(level: Level, (total, online): (usize, usize)) -> Vec<SeedProcedure> {
    let (entries, fields, digit) = match level {
        Level::District => (DISTRICT, &DISTRICT_FIELDS[..], 2),
        Level::Commune => (COMMUNE, &COMMUNE_FIELDS[..], 1),
    };
    let real = entries.iter().take(total).enumerate().map(|(i, e)| {
        let code = e.code.map_or_else(|| seed_code(digit, i), str::to_owned);
        SeedProcedure {
            code,
            name: e.name.to_owned(),
            field: e.field.to_owned(),
            days: e.days,
            online: e.online,
            fee_vnd: e.fee_vnd,
            fee_note: e.fee_note.map(str::to_owned),
            non_boundary: e.non_boundary,
            decision_number: decision(e.field).0.to_owned(),
            decision_date: decision(e.field).1,
        }
    });
    let fillers = (entries.len()..total).map(|i| {
        let n = i - entries.len();
        let field = fields.get(n % fields.len()).copied().unwrap_or("Khác");
        SeedProcedure {
            code: seed_code(digit, i),
            name: format!("Thủ tục khác lĩnh vực {field} (mục {})", n + 1),
            field: field.to_owned(),
            days: FILLER_DAYS.get(n % FILLER_DAYS.len()).copied().unwrap_or(5),
            online: match (i < online, n % 3) {
                (false, _) => OnlineServiceLevel::None,
                (true, 0) => PARTIAL,
                (true, _) => FULL,
            },
            fee_vnd: None,
            fee_note: None,
            non_boundary: false,
            decision_number: decision(field).0.to_owned(),
            decision_date: decision(field).1,
        }
    });
    real.chain(fillers).collect()
}

/// `99.<level digit><five digits>`: the level's seed range (see [`SEED_CODE_PREFIX`]).
fn seed_code(level_digit: u8, index: usize) -> String {
    format!("{SEED_CODE_PREFIX}.{level_digit}{index:05}")
}

/// The (seed) provincial decision that published a field's procedures.
fn decision(field: &str) -> (&'static str, NaiveDate) {
    let (number, (y, m, d)) = match field {
        "Hộ tịch" | "Chứng thực" | "Tư pháp" => ("1021/QĐ-UBND", (2022, 8, 19)),
        "Đất đai" | "Môi trường" => ("735/QĐ-UBND", (2022, 6, 10)),
        "Xây dựng" => ("412/QĐ-UBND", (2022, 4, 6)),
        "Đăng ký kinh doanh" | "Kinh tế hợp tác" => ("1187/QĐ-UBND", (2022, 9, 23)),
        "Lao động - Thương binh và Xã hội" | "Bảo trợ xã hội" | "Người có công" => {
            ("906/QĐ-UBND", (2022, 7, 15))
        }
        _ => ("1354/QĐ-UBND", (2022, 10, 28)),
    };
    (number, NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use motcua_core::procedure::validate_procedure_code;
    use unicode_normalization::UnicodeNormalization;

    use super::*;
    use crate::generate::viet_yen_figures::{COMMUNE_PROCEDURES, DISTRICT_PROCEDURES};

    fn both() -> Vec<(Level, (usize, usize), Vec<SeedProcedure>)> {
        [
            (Level::District, DISTRICT_PROCEDURES),
            (Level::Commune, COMMUNE_PROCEDURES),
        ]
        .into_iter()
        .map(|(level, counts)| (level, counts, procedures(level, counts)))
        .collect()
    }

    #[test]
    fn counts_are_the_seed_reports() {
        for (level, (total, online), list) in both() {
            assert_eq!(list.len(), total, "{level:?}");
            let offered = list
                .iter()
                .filter(|p| p.online != OnlineServiceLevel::None)
                .count();
            assert_eq!(offered, online, "{level:?}");
        }
        let district = procedures(Level::District, DISTRICT_PROCEDURES);
        assert_eq!(district.iter().filter(|p| p.non_boundary).count(), 4);
        assert!((25..=35).contains(&DISTRICT.len()));
        assert!((25..=35).contains(&COMMUNE.len()));
    }

    #[test]
    fn real_entries_come_first_with_their_national_codes() {
        let commune = procedures(Level::Commune, COMMUNE_PROCEDURES);
        assert_eq!(commune[1].code, "1.001193");
        assert_eq!(commune[1].name, "Đăng ký khai sinh");
        let filler = &commune[COMMUNE.len()];
        assert_eq!(filler.name, "Thủ tục khác lĩnh vực Hộ tịch (mục 1)");
        assert_eq!(filler.code, format!("99.1{:05}", COMMUNE.len()));
        for entry in DISTRICT.iter().chain(COMMUNE) {
            if let Some(code) = entry.code {
                let (head, tail) = code.split_once('.').unwrap_or_default();
                assert!(
                    matches!(head, "1" | "2") && tail.len() == 6 && tail.starts_with('0'),
                    "{code}"
                );
            }
        }
    }

    #[test]
    fn codes_are_valid_unique_and_seed_codes_are_out_of_the_national_range() {
        let mut seen = HashSet::new();
        for (_, _, list) in both() {
            for p in list {
                assert_eq!(validate_procedure_code(&p.code).as_deref(), Ok(&*p.code));
                assert!(seen.insert(p.code.clone()), "{} twice", p.code);
                let (head, _) = p.code.split_once('.').unwrap_or_default();
                assert!(head.len() == 1 || head == SEED_CODE_PREFIX, "{}", p.code);
            }
        }
    }

    #[test]
    fn only_same_day_procedures_have_no_processing_days() {
        const SAME_DAY: [&str; 5] = [
            "Đăng ký khai sinh",
            "Đăng ký kết hôn",
            "Đăng ký khai tử",
            "Chứng thực",
            "Cấp bản sao trích lục",
        ];
        for (_, _, list) in both() {
            for p in list {
                assert!(p.days >= 0, "{}", p.name);
                if p.days == 0 {
                    assert!(
                        SAME_DAY.iter().any(|s| p.name.starts_with(s)),
                        "{} is not a same-day procedure",
                        p.name
                    );
                }
            }
        }
    }

    #[test]
    fn text_is_nfc() {
        for (_, _, list) in both() {
            for p in list {
                for text in [&p.name, &p.field].into_iter().chain(p.fee_note.as_ref()) {
                    assert_eq!(text.nfc().collect::<String>(), *text);
                }
            }
        }
    }
}
