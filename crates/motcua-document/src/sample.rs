//! A document mirroring the seed report "Tình hình tổ chức và hoạt động của Bộ phận Một cửa
//! cấp huyện, cấp xã" of UBND thị xã Việt Yên (2024), for tests and benchmarks.

use chrono::{FixedOffset, TimeZone};

use crate::model::{
    AdministrativeDocument, Align, Appendix, Attachment, Block, Column, HeaderCell, Metadata, Span,
    Table,
};

fn h(level: u8, text: &str) -> Block {
    Block::Heading {
        level,
        text: text.into(),
    }
}

fn p(text: &str) -> Block {
    Block::Paragraph(vec![Span::plain(text)])
}

fn b(spans: Vec<Span>) -> Block {
    Block::Bullet(spans)
}

fn bp(text: &str) -> Block {
    Block::Bullet(vec![Span::plain(text)])
}

/// The communes and wards of the appendix with their one-stop staff counts.
pub const UNITS: [(&str, &str); 18] = [
    ("Thượng Lan", "3"),
    ("Trung Sơn", "3"),
    ("Tiên Sơn", "4"),
    ("Nghĩa Trung", "4"),
    ("Minh Đức", "4"),
    ("Vân Trung", "3"),
    ("Bích Động", "3"),
    ("Tự Lạn", "3"),
    ("Việt Tiến", "3"),
    ("Hương Mai", "4"),
    ("Vân Hà", "3"),
    ("Quảng Minh", "3"),
    ("Ninh Sơn", "3"),
    ("Quang Châu", "3"),
    ("TT Nếnh", "3"),
    ("Hồng Thái", "4"),
    ("Tăng Tiến", "4"),
    ("Một cửa thị xã", "12"),
];

/// The seed-like report: header, sections, a figures table, signature block, the staff appendix
/// and a JSON attachment.
pub fn seed_like_report() -> AdministrativeDocument {
    let mut body = intro();
    body.extend(results());
    body.extend(organisation());
    AdministrativeDocument {
        superior_body: Some("UBND TỈNH BẮC GIANG".into()),
        issuing_body: "UBND THỊ XÃ VIỆT YÊN".into(),
        number_line: "Số: 05/BC-UBND".into(),
        fill_in_at_issue: false,
        place_date: "Việt Yên, ngày 05 tháng 4 năm 2024".into(),
        kind: "BÁO CÁO".into(),
        subject: "Tình hình tổ chức và hoạt động của Bộ phận Một cửa cấp huyện, cấp xã".into(),
        body,
        recipients: vec![
            "Văn phòng UBND tỉnh (b/c);".into(),
            "Chủ tịch, các PCT UBND thị xã;".into(),
            "VP: LĐVP, CVTH;".into(),
            "Lưu: VT.".into(),
        ],
        authority: vec!["KT. CHỦ TỊCH".into(), "PHÓ CHỦ TỊCH".into()],
        signer_name: "Thân Văn Thuận".into(),
        appendices: vec![staff_appendix()],
        attachments: vec![Attachment {
            file_name: "so-lieu-bao-cao.json".into(),
            mime_type: "application/json".into(),
            description: "Số liệu báo cáo (JSON)".into(),
            content: data_json().into_bytes(),
        }],
        metadata: Metadata {
            title: "Báo cáo tình hình tổ chức và hoạt động của Bộ phận Một cửa cấp huyện, cấp xã"
                .into(),
            author: "UBND THỊ XÃ VIỆT YÊN".into(),
            subject: "Tình hình tổ chức và hoạt động của Bộ phận Một cửa cấp huyện, cấp xã".into(),
            keywords: vec!["một cửa".into(), "TTHC".into(), "Việt Yên".into()],
            creation_date: FixedOffset::east_opt(7 * 3600)
                .and_then(|tz| tz.with_ymd_and_hms(2024, 4, 5, 8, 0, 0).single())
                .unwrap_or_default(),
        },
    }
}

fn intro() -> Vec<Block> {
    vec![
        p("Thực hiện Công văn số 1882/UBND-NC ngày 14/4/2024 của Chủ tịch UBND tỉnh về báo cáo tình hình tổ chức và hoạt động của Bộ phận Một cửa; UBND thị xã Việt Yên báo cáo kết quả như sau:"),
        h(1, "I. TÌNH HÌNH, KẾT QUẢ TIẾP NHẬN, GIẢI QUYẾT TTHC"),
        h(2, "1. Tình hình thực hiện"),
        p("Thực hiện Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết TTHC; Thông tư số 01/2018/TT-VPCP ngày 23/11/2018 của Văn phòng Chính phủ về hướng dẫn thi hành một số quy định của Nghị định số 61/2018/NĐ-CP; Nghị định số 107/2021/NĐ-CP ngày 06/12/2021 của Chính phủ sửa đổi, bổ sung một số điều của Nghị định số 61/2018/NĐ-CP; Nghị quyết số 76/NQ-CP ngày 15/7/2021 của Chính phủ ban hành Chương trình tổng thể Cải cách hành chính (CCHC) nhà nước giai đoạn 2021-2030; Quyết định số 468/QĐ-TTg ngày 21/3/2021 của Thủ tướng Chính phủ về phê duyệt Đề án đổi mới việc thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết TTHC; Chỉ thị số 27/CT-TTg ngày 27/10/2023 của Thủ tướng Chính phủ về việc tiếp tục đẩy mạnh các giải pháp cải cách và nâng cao hiệu quả giải quyết TTHC, cung cấp dịch vụ công phục vụ người dân, doanh nghiệp..."),
        p("Công tác tiếp nhận, giải quyết TTHC được lãnh đạo UBND thị xã quan tâm chỉ đạo công chức bộ phận tiếp nhận và trả kết quả các cấp và tổ chức thực hiện có hiệu quả, được xác định là nhiệm vụ trọng tâm trong công tác lãnh chỉ đạo hàng năm. Lấy sự hài lòng của tổ chức, cá nhân trong giải quyết TTHC tại bộ phận một cửa để đánh giá cán bộ, công chức bộ phận một cửa."),
        b(vec![Span::bold("Thuận lợi:"), Span::plain(" Công tác tiếp nhận và trả kết quả được lãnh đạo, cán bộ, công chức tại bộ phận một cửa các cấp quan tâm chỉ đạo và thực hiện có hiệu quả, đáp ứng được yêu cầu giải quyết các TTHC cho tổ chức, cá nhân một cách nhanh gọn, hiệu quả. Cơ sở vật chất, trang thiết bị phục vụ cho hoạt động của bộ phận một cửa được quan tâm đầu tư trang bị đảm bảo. Tinh thần, trách nhiệm và thái độ phục vụ của cán bộ, công chức bộ phận một cửa đối với các tổ chức, cá nhân được nâng cao.")]),
        b(vec![Span::bold("Khó khăn:"), Span::plain(" Khối lượng công việc phát sinh tại Bộ phận tiếp nhận và trả kết quả lớn; khả năng tiếp cận, thực hiện của một số công dân trong thực hiện dịch vụ công còn hạn chế, cán bộ bộ phận Một cửa các cấp phải hỗ trợ nhiều, làm thay một số công việc. Chế độ hỗ trợ cho cán bộ, công chức bộ phận Một cửa thấp chưa tương ứng với nhiệm vụ.")]),
    ]
}

fn results() -> Vec<Block> {
    vec![
        h(3, "b) Kết quả tiếp nhận và giải quyết thủ tục hành chính"),
        bp("Tổng số thủ tục hành chính đang thực hiện tiếp nhận tại địa phương: 410 TTHC, trong đó cấp huyện 254 TTHC, cấp xã 156 TTHC."),
        bp("Thủ tục hành chính được thực hiện theo phương thức tiếp nhận hồ sơ và trả kết quả giải quyết thủ tục hành chính không phụ thuộc vào địa giới hành chính (phi địa giới hành chính) tại địa phương: 04 thủ tục."),
        bp("Thủ tục hành chính đủ điều kiện, được thực hiện cung cấp dịch vụ công trực tuyến tại địa phương: 385 TTHC, trong đó cấp huyện 241 TTHC, cấp xã 144 TTHC. Kết quả cung cấp dịch vụ công trực tuyến: cấp huyện đạt 94,88%, cấp xã đạt 92,31%."),
        bp("Thống kê kết quả tiếp nhận và giải quyết thủ tục hành chính năm 2023 và quý I/2024:"),
        Block::Table(figures_table()),
        b(vec![
            Span::plain("Năm 2023 tổng số hồ sơ TTHC đã tiếp nhận cấp huyện: "),
            Span::bold("10.726"),
            Span::plain(" hồ sơ, trong đó: Số mới tiếp nhận trong kỳ: "),
            Span::bold("10.659"),
            Span::plain(" ("),
            Span::italic("trực tuyến: 9054, trực tiếp 1445 và qua dịch vụ bưu chính: 160"),
            Span::plain("); số từ kỳ trước chuyển qua: 67."),
        ]),
        h(3, "c) Về số hóa hồ sơ, kết quả giải quyết thủ tục hành chính"),
        p("Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính được thực hiện theo quy định tại Thông tư số 01/2023/TT-VPCP ngày 05/4/2023 của Văn phòng Chính phủ. 100% công chức Một cửa các cấp được cấp chứng thư số cá nhân để ký số hóa khi tiếp nhận hồ sơ; 100% Bộ phận Một cửa cấp xã được cấp chứng thư số tập thể thứ 2 để thực hiện cấp kết quả điện tử."),
        p("Trong năm 2023, kết quả tỷ lệ số hóa, kết quả giải quyết TTHC trên cổng dịch vụ công quốc gia đạt: 92,7%. Quý I/2024 tỷ lệ hồ sơ cấp kết quả điện tử đạt 100%, tỷ lệ TTHC số hoá kết quả giải quyết đạt 100%; tỷ lệ khai thác sử dụng lại tài liệu: cấp huyện đạt 98,71%; cấp xã đạt 98,87%."),
    ]
}

fn organisation() -> Vec<Block> {
    vec![
        h(2, "2. Về tổ chức, vận hành của Bộ phận Một cửa"),
        h(3, "a) Tình hình, tổ chức thực hiện"),
        bp("Về mô hình tổ chức: Bộ phận Một cửa cấp huyện, cấp xã trên địa bàn đang thực hiện theo quy định tại Nghị định số 61/2018/NĐ-CP."),
        bp("Về trang bị cơ sở vật chất: UBND thị xã đã quan tâm xây dựng Đề án đầu tư cơ sở vật chất, trang thiết bị cho bộ phận một cửa cấp xã với kinh phí là 17 tỷ đồng để xây dựng, sửa chữa, nâng cấp bổ sung trang thiết bị cho bộ phận một cửa cấp huyện và cấp xã, xây dựng Bộ phận Một cửa khang trang, hiện đại, tiện ích. Có 3 đơn vị xây mới Bộ phận một cửa cấp xã, gồm: Hương Mai, Minh Đức, Vân Trung; 5 đơn vị cải tạo, sửa chữa nâng cấp Bộ phận một cửa (Tự Lạn, Việt Tiến, Quảng Minh, Nghĩa Trung, Nếnh); 17/17 UBND, công an xã, phường được bố trí trang thiết bị hiện đại nhằm xây dựng chính quyền thân thiện, vì nhân dân phục vụ."),
        bp("Về bố trí cán bộ, công chức làm việc tại bộ phận một cửa: UBND thị xã đã kiện toàn danh sách công chức, viên chức được cử ra làm việc tại Bộ phận Một cửa thị xã; chỉ đạo UBND các xã, phường kiện toàn Bộ phận Một cửa cấp xã theo đúng quy định, đảm bảo đủ về số lượng và có chuyên môn, nghiệp vụ phù hợp đáp ứng yêu cầu công việc (chi tiết trong phụ lục kèm theo)."),
        h(3, "b) Hiệu quả trong tổ chức vận hành Bộ phận Một cửa"),
        p("Việc vận hành mô hình Bộ phận một cửa nâng cao hiệu lực, hiệu quả quản lý nhà nước góp phần thúc đẩy phát triển kinh tế - xã hội tại địa phương. Tại Bộ phận Một cửa không có tình trạng công chức có hành vi nhũng nhiễu, tiêu cực, chậm trễ, không thực hiện đúng hoặc tự đặt thêm quy định trong giải quyết TTHC cho cá nhân, tổ chức; các thủ tục hành chính được niêm yết, công khai minh bạch; thường xuyên rà soát, đề xuất phương án đơn giản hóa các thủ tục hành chính, giảm phiền hà, rút ngắn thời gian giải quyết TTHC."),
        h(2, "3. Kiến nghị, đề xuất"),
        p("Đề nghị UBND tỉnh đề xuất HĐND tỉnh nâng phụ cấp cho công chức, viên chức làm việc tại Bộ phận Một cửa các cấp."),
        p("Đề nghị Văn phòng UBND tỉnh, các Sở, ngành tỉnh thường xuyên tổ chức tập huấn kỹ năng, nghiệp vụ cho công chức, viên chức trong việc giải quyết TTHC tại Bộ phận Một cửa."),
        Block::Closing("UBND thị xã Việt Yên trân trọng báo cáo./.".into()),
    ]
}

fn figures_table() -> Table {
    let row = |cells: [&str; 5]| cells.iter().map(|c| (*c).to_string()).collect::<Vec<_>>();
    Table {
        header: vec![
            vec![
                HeaderCell::spanning("Cấp", 1, 2),
                HeaderCell::spanning("Kỳ báo cáo", 1, 2),
                HeaderCell::spanning("Tổng số hồ sơ tiếp nhận", 1, 2),
                HeaderCell::spanning("Trong đó", 2, 1),
            ],
            vec![
                HeaderCell::new("Mới tiếp nhận trong kỳ"),
                HeaderCell::new("Kỳ trước chuyển qua"),
            ],
        ],
        columns: vec![
            Column {
                width: 2.0,
                align: Align::Left,
            },
            Column {
                width: 2.0,
                align: Align::Centre,
            },
            Column {
                width: 2.0,
                align: Align::Right,
            },
            Column {
                width: 2.0,
                align: Align::Right,
            },
            Column {
                width: 2.0,
                align: Align::Right,
            },
        ],
        rows: vec![
            row(["Cấp huyện", "Năm 2023", "10.726", "10.659", "67"]),
            row(["Cấp huyện", "Quý I/2024", "3.629", "3.155", "474"]),
            row(["Cấp xã", "Năm 2023", "28.616", "28.507", "109"]),
            row(["Cấp xã", "Quý I/2024", "4.500", "4.277", "223"]),
            row(["Tổng cộng", "", "47.471", "46.598", "873"]),
        ],
        bold_rows: vec![4],
        notes: vec!["Nguồn: Hệ thống thông tin giải quyết TTHC tỉnh Bắc Giang.".into()],
    }
}

/// The appendix table: staff of the one-stop office per unit, with a grouped two-row header.
pub fn staff_table() -> Table {
    let mut rows: Vec<Vec<String>> = UNITS
        .iter()
        .enumerate()
        .map(|(i, (unit, total))| {
            vec![
                (i + 1).to_string(),
                (*unit).into(),
                (*total).into(),
                String::new(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    if let Some(last) = rows.last_mut() {
        last[3] = "02¹".into();
        last[4] = "10²".into();
    }
    Table {
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
        columns: vec![
            Column { width: 0.7, align: Align::Centre },
            Column { width: 2.4, align: Align::Left },
            Column { width: 1.3, align: Align::Centre },
            Column { width: 2.2, align: Align::Centre },
            Column { width: 2.4, align: Align::Centre },
            Column { width: 1.3, align: Align::Left },
        ],
        rows,
        bold_rows: vec![],
        notes: vec![
            "¹ Gồm 01 Phó Chánh Văn phòng HĐND và UBND thị xã làm Trưởng Bộ phận và 01 cán bộ Văn phòng phụ trách Bộ phận Một cửa.".into(),
            "² Gồm 01 công chức phòng TN&MT, 03 nhân viên Bưu điện được cử đến Bộ phận Một cửa thực hiện tiếp nhận hồ sơ, trả kết quả và 06 công chức, viên chức các cơ quan của Tỉnh, Trung ương cử đến Bộ phận Một cửa (Chi nhánh VPĐK đất đai 02 người, BHXH 02 người, Chi cục thuế khu vực Việt Yên – Hiệp Hòa 01 người, Điện lực 01 người).".into(),
        ],
    }
}

fn staff_appendix() -> Appendix {
    Appendix {
        title: "PHỤ LỤC".into(),
        subtitle: Some(
            "Tổng số cán bộ, công chức, viên chức làm việc tại Bộ phận Một cửa các cấp".into(),
        ),
        blocks: vec![
            Block::Paragraph(vec![Span::italic(
                "(Kèm theo Báo cáo số 05/BC-UBND ngày 05/4/2024 của UBND thị xã Việt Yên)",
            )]),
            Block::Table(staff_table()),
        ],
    }
}

/// The report's figures as the JSON attachment.
fn data_json() -> String {
    let units: Vec<serde_json::Value> = UNITS
        .iter()
        .map(|(unit, total)| serde_json::json!({ "don_vi": unit, "tong_so": total }))
        .collect();
    let data = serde_json::json!({
        "so_hieu": "05/BC-UBND",
        "ho_so_cap_huyen_2023": 10726,
        "ho_so_cap_xa_2023": 28616,
        "can_bo_mot_cua": units,
    });
    serde_json::to_string_pretty(&data).unwrap_or_default()
}
