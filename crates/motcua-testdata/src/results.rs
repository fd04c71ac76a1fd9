//! Electronic results of generated dossiers: a one-page result notice rendered like every
//! motcua document and signed with a collective certificate of the receiving unit, so that a
//! dossier the generator marks as having an electronic result has a stored result that verifies.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Utc};
use motcua_core::record_ids::{CertificateId, ProcedureId, UnitId};
use motcua_document::{AdministrativeDocument, Block, Metadata, Span};
use motcua_keys::keystore::OrganisationSigner;
use motcua_results::electronic_result::sign_result;
use motcua_web::error::ApiError;

/// Printed on every generated result: it is test data, not a decision of the unit.
pub const TEST_NOTICE: &str =
    "Kết quả mẫu do dữ liệu thử nghiệm motcua tạo ra — KHÔNG CÓ GIÁ TRỊ PHÁP LÝ.";

/// What a generated result says about its dossier.
#[derive(Debug, Clone)]
pub struct ResultFacts {
    pub dossier_code: String,
    pub unit: UnitId,
    pub procedure: ProcedureId,
    pub applicant_name: String,
    pub received_at: DateTime<Utc>,
    /// When the result was signed: the dossier's move to `releasing`.
    pub signed_at: DateTime<Utc>,
}

/// A signed result, ready to store.
#[derive(Debug, Clone)]
pub struct SignedResult {
    pub pdf: Vec<u8>,
    pub certificate_id: CertificateId,
}

/// Signs the results the generator marks electronic.
pub trait ResultSigner: Sync {
    fn sign(&self, facts: &ResultFacts) -> Result<SignedResult, ApiError>;
}

/// A unit's collective certificate (registered in the results service) and its key.
#[derive(Clone)]
pub struct UnitKey {
    pub unit_name: String,
    pub certificate_id: CertificateId,
    pub signer: Arc<dyn OrganisationSigner>,
}

/// Signs each unit's results with that unit's key, as `POST /dossiers/{code}/result` does
/// (the verification QR code, then the signature).
pub struct UnitKeys {
    pub keys: HashMap<UnitId, UnitKey>,
    /// Procedure names by id, for the notice.
    pub procedures: HashMap<ProcedureId, String>,
    /// The results service's public base URL, for the verification QR code.
    pub public_url: String,
}

impl ResultSigner for UnitKeys {
    fn sign(&self, facts: &ResultFacts) -> Result<SignedResult, ApiError> {
        let key = self
            .keys
            .get(&facts.unit)
            .ok_or_else(|| ApiError::internal(format!("no result key for unit {}", facts.unit)))?;
        let procedure = self
            .procedures
            .get(&facts.procedure)
            .map_or("", String::as_str);
        let rendered = motcua_document::render(&result_notice(facts, &key.unit_name, procedure))
            .map_err(ApiError::internal_from)?;
        let signed = sign_result(
            &rendered.pdf,
            &self.public_url,
            &facts.dossier_code,
            key.signer.as_ref(),
            key.signer.chain(),
            facts.signed_at,
        )
        .map_err(ApiError::internal_from)?;
        Ok(SignedResult {
            pdf: signed.pdf,
            certificate_id: key.certificate_id,
        })
    }
}

/// Vietnam time (UTC+7, no daylight saving), as results print it.
const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

fn vietnam(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&VIETNAM)
}

/// "THÔNG BÁO Kết quả giải quyết hồ sơ …" in the layout of Decree 30, signed by the unit.
pub fn result_notice(
    facts: &ResultFacts,
    unit_name: &str,
    procedure: &str,
) -> AdministrativeDocument {
    let received = vietnam(facts.received_at);
    let signed = vietnam(facts.signed_at);
    let line = |label: &str, value: String| {
        Block::Bullet(vec![Span::plain(format!("{label}: ")), Span::bold(value)])
    };
    let subject = format!("Kết quả giải quyết hồ sơ {}", facts.dossier_code);
    AdministrativeDocument {
        superior_body: None,
        issuing_body: unit_name.to_uppercase(),
        number_line: String::new(),
        place_date: format!(
            "ngày {:02} tháng {} năm {}",
            signed.format("%d"),
            signed.format("%-m"),
            signed.format("%Y")
        ),
        kind: "THÔNG BÁO".into(),
        subject: subject.clone(),
        body: vec![
            Block::Paragraph(vec![Span::plain(format!(
                "{unit_name} thông báo kết quả giải quyết thủ tục hành chính như sau:"
            ))]),
            line("Mã hồ sơ", facts.dossier_code.clone()),
            line("Thủ tục", procedure.to_owned()),
            line("Người nộp", facts.applicant_name.clone()),
            line(
                "Ngày tiếp nhận",
                received.format("%d/%m/%Y %H:%M").to_string(),
            ),
            line(
                "Ngày có kết quả",
                signed.format("%d/%m/%Y %H:%M").to_string(),
            ),
            Block::Paragraph(vec![Span::plain(
                "Hồ sơ đã được giải quyết. Kết quả điện tử này được ký số bằng chứng thư số \
                 tập thể của cơ quan, có giá trị như bản giấy.",
            )]),
            Block::Paragraph(vec![Span::italic(TEST_NOTICE)]),
        ],
        recipients: vec![
            format!("{};", facts.applicant_name),
            "Lưu: VT, Bộ phận Một cửa.".into(),
        ],
        authority: vec![unit_name.to_uppercase()],
        signer_name: String::new(),
        appendices: Vec::new(),
        attachments: Vec::new(),
        metadata: Metadata {
            title: subject.clone(),
            author: unit_name.to_owned(),
            subject,
            keywords: vec!["kết quả điện tử".into(), facts.dossier_code.clone()],
            creation_date: signed,
        },
        fill_in_at_issue: false,
    }
}
