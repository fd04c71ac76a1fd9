//! The figures of a report as they are frozen: every section, the compiled whole and its hash.

use chrono::{DateTime, NaiveDate, Utc};
use motcua_core::form06::{Form06Columns, Indicator};
use motcua_core::record_ids::UnitId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::{CoverageFigure, Source};

/// The value of [`Figures::schema`].
pub const FIGURES_SCHEMA: &str = "motcua.report-figures/1";

/// A unit as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    /// `province`, `district`, `commune`, `phuong`, `thi_tran`, `one_stop_desk`, `department`,
    /// `other`.
    pub kind: String,
    /// `province`, `district` or `commune`: the level of Biểu 06 the unit counts at (desks and
    /// other bodies take the level of the unit above them, as the results service does).
    pub level: String,
}

/// One field (lĩnh vực) row of Biểu 06.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRow {
    pub field: String,
    pub columns: Form06Columns,
}

/// The rows of one level of Biểu 06 and their total row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelForm06 {
    /// `province`, `district` or `commune`.
    pub level: String,
    /// In the results service's order (by field name).
    pub fields: Vec<FieldRow>,
    pub total: Form06Columns,
}

/// Biểu 06/VPCP/KSTT of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodForm06 {
    /// As in [`Figures::periods`].
    pub period: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// In the results service's order (province, district, commune).
    pub levels: Vec<LevelForm06>,
    pub total: Form06Columns,
}

/// The QĐ 766 indicators of one period, as the results service returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodIndicators {
    pub period: String,
    pub indicators: Vec<Indicator>,
}

/// A count of a count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// Two decimals, rounded once from the counts (`motcua_core::percent`); absent when the
    /// denominator is 0.
    pub percent: Option<f64>,
}

impl Rate {
    pub fn new(numerator: i64, denominator: i64) -> Self {
        Self {
            numerator,
            denominator,
            percent: motcua_core::percent::value(numerator, denominator),
        }
    }
}

/// Digitisation, electronic results and reuse of one level in one period.
///
/// The rules are those of the results service's QĐ 766 indicators: `digitisation` = dossiers
/// received in the period with every component digitised at reception ÷ dossiers received in the
/// period (indicator `digitisation_rate`); `electronic_result` = dossiers resolved in the period
/// with an electronic result ÷ dossiers resolved in the period with a result, i.e. not withdrawn
/// or stopped (indicator `electronic_result_rate`); `digitised_result` = dossiers resolved in the
/// period that were digitised at reception and got an electronic result ÷ the same (indicator
/// `result_digitisation_rate`); `reuse` = dossiers received in the period with at
/// least one component reused from stored data ÷ dossiers received in the period (indicator
/// `reuse_rate`). The service computes them for a unit subtree only, so a level's
/// counts are those of the subtrees where the level starts minus the subtrees below them where
/// another level starts (e.g. district level = the district's subtree minus its communes').
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelRates {
    pub period: String,
    pub level: String,
    pub digitisation: Rate,
    pub electronic_result: Rate,
    // Versions frozen before these rates existed read them as 0/0.
    #[serde(default)]
    pub digitised_result: Rate,
    #[serde(default)]
    pub reuse: Rate,
}

/// Online public service offered by the catalogue at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnlineCoverage {
    pub level: String,
    /// Procedure versions in force handled at this level.
    pub procedures: i64,
    /// Of which offering online service (full or partial).
    pub online: i64,
    /// `online / procedures`, percent, two decimals.
    pub rate_percent: Option<f64>,
    /// Of which received regardless of administrative boundaries (phi địa giới).
    pub non_boundary: i64,
}

/// The catalogue's online-service coverage (the catalogue is the province's, not the unit's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OnlineCoverageTable {
    /// The levels of the unit's subtree, province first.
    pub levels: Vec<OnlineCoverage>,
    /// Sum over the levels, as the seed report adds them (a procedure handled at two levels
    /// counts twice).
    pub procedures: i64,
    pub online: i64,
    /// Distinct procedures received regardless of administrative boundaries, at any of the
    /// levels.
    pub non_boundary: i64,
}

/// Certificates held in the unit's subtree, as of the compilation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateFigures {
    /// Active officials with a usable, unexpired personal certificate.
    pub officials: CoverageFigure,
    /// Of those, the desk staff (the officials of the desks, as the staffing appendix counts
    /// them, not the leaders of the committee): the figure the report prints ("công chức Một
    /// cửa có chứng thư số cá nhân").
    #[serde(default)]
    pub desk_staff: CoverageFigure,
    /// Desks (communes and one-stop desks existing today) with a usable, unexpired collective
    /// certificate.
    pub desks: CoverageFigure,
    /// Of those, the commune desks ("100 % Bộ phận Một cửa cấp xã").
    pub commune_desks: CoverageFigure,
}

/// One row of the staffing appendix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRow {
    /// TT, from 1.
    pub ordinal: u32,
    pub unit_id: UnitId,
    pub unit_code: String,
    pub unit_name: String,
    /// The unit's kind (`commune`, `phuong`, `thi_tran`, `one_stop_desk`, …).
    #[serde(default)]
    pub unit_kind: String,
    pub total: i64,
    /// Own establishment and seconded (thuộc biên chế hoặc biệt phái).
    pub own_staff: i64,
    /// Sent by specialised agencies (do các cơ quan chuyên môn được cử đến).
    pub agency_sent: i64,
    /// Who sent them, in the results service's order: the appendix's footnote on the row.
    #[serde(default)]
    pub by_agency: Vec<AgencyStaff>,
    /// Own staff per recorded title, in the results service's order (leaders' titles first):
    /// the appendix's footnote on the own-staff cell. Untitled staff are not listed.
    #[serde(default)]
    pub own_by_title: Vec<TitledStaff>,
}

/// Own staff of a desk who hold one title (chức danh).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitledStaff {
    pub title: String,
    pub count: i64,
}

/// Officials sent to a desk by one agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyStaff {
    /// The results service's `Agency` value (`land_registry`, `post_office`, …).
    pub agency: String,
    pub count: i64,
}

/// Where a part of the figures comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The member of [`Figures`] it describes (`form06`, `level_rates`, …).
    pub figures: String,
    /// Always [`COMPUTED_FROM_RECORDS`]: every member of [`Figures`] is computed from the
    /// records; figures from outside are kept apart, in the report's `external_figures`.
    pub origin: String,
    /// The results-service requests (path and query) it was computed from, in the order
    /// fetched. When each was answered, and the SHA-256 of each answer, are in the version's
    /// `sources` (kept out of the figures so that the same records give the same bytes).
    pub requests: Vec<String>,
}

/// The value of [`Provenance::origin`].
pub const COMPUTED_FROM_RECORDS: &str = "computed_from_records";

/// The staffing appendix: communes first, then the other desks (the seed's order), each group in
/// the results service's order (unit id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staffing {
    pub rows: Vec<StaffRow>,
    pub total: i64,
    pub own_staff: i64,
    pub agency_sent: i64,
}

/// Everything a report prints as a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// [`FIGURES_SCHEMA`].
    pub schema: String,
    pub unit: UnitRef,
    /// Parent chain, nearest first, root last (it stops early where the key may not read).
    pub parents: Vec<UnitRef>,
    /// `2023`, `2024-Q1`, … in the order asked.
    pub periods: Vec<String>,
    /// The counting rule of Biểu 06, as the results service states it.
    pub counting_rule: String,
    /// Biểu 06 per period.
    pub form06: Vec<PeriodForm06>,
    /// QĐ 766 indicators per period.
    pub indicators: Vec<PeriodIndicators>,
    /// Per period, then level.
    pub level_rates: Vec<LevelRates>,
    pub online_coverage: OnlineCoverageTable,
    pub certificates: CertificateFigures,
    pub staffing: Staffing,
    /// Which requests each member was computed from.
    #[serde(default)]
    pub provenance: Vec<Provenance>,
}

/// Compiled figures, where they came from, and their hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compiled {
    pub figures: Figures,
    /// Every response read, in the order fetched.
    pub sources: Vec<Source>,
    pub compiled_at: DateTime<Utc>,
    /// SHA-256 (hex) of [`Figures::canonical_json`].
    pub figures_sha256: String,
}

/// Covered of total, as the results service rates it.
pub(crate) fn coverage(covered: usize, total: usize) -> CoverageFigure {
    let covered = i64::try_from(covered).unwrap_or(i64::MAX);
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    CoverageFigure {
        covered,
        total,
        percent: motcua_core::percent::value(covered, total),
    }
}

impl Figures {
    /// The bytes that are hashed: `serde_json::to_vec` of the struct (see the module doc).
    pub fn canonical_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    /// SHA-256 (hex) of [`Figures::canonical_json`].
    pub fn sha256(&self) -> Result<String, serde_json::Error> {
        Ok(hex::encode(Sha256::digest(self.canonical_json()?)))
    }
}
