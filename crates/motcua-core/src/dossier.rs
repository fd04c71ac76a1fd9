//! Dossiers (hồ sơ): their status machine with the national portal's codes, channels, applicants,
//! components, and how a resolution is classified for Biểu 06.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::identifiers::{
    validate_budget_code, validate_cccd, validate_cmnd, validate_passport, validate_tax_code,
};

crate::text_enum! {
    /// The status of a dossier, spelled as the national public service portal spells it.
    pub enum DossierStatus {
        /// 1 — submitted online, not yet accepted (chờ tiếp nhận).
        Receiving = "receiving",
        /// 2 — accepted (mới tiếp nhận).
        New = "new",
        /// 3 — refused at reception (từ chối tiếp nhận).
        Denied = "denied",
        /// 4 — being processed (đang xử lý).
        Processing = "processing",
        /// 5 — waiting for the applicant to supplement it (chờ bổ sung); the deadline pauses.
        Waiting = "waiting",
        /// 6 — waiting for fees or taxes to be paid (chờ thực hiện nghĩa vụ tài chính); the deadline pauses.
        Paying = "paying",
        /// 7 — withdrawn by the applicant or returned (rút / trả lại hồ sơ).
        Cancelled = "cancelled",
        /// 8 — processing stopped (dừng xử lý).
        Unresolved = "unresolved",
        /// 9 — result ready, waiting to be handed over (đã có kết quả, chờ trả).
        Releasing = "releasing",
        /// 10 — result handed over (đã trả kết quả).
        Done = "done",
    }
}

impl DossierStatus {
    /// The portal's numeric code (TrangThaiHoSo).
    pub fn portal_code(self) -> u8 {
        match self {
            Self::Receiving => 1,
            Self::New => 2,
            Self::Denied => 3,
            Self::Processing => 4,
            Self::Waiting => 5,
            Self::Paying => 6,
            Self::Cancelled => 7,
            Self::Unresolved => 8,
            Self::Releasing => 9,
            Self::Done => 10,
        }
    }

    /// The transitions the one-stop procedure allows.
    pub fn can_move_to(self, next: Self) -> bool {
        use DossierStatus::*;
        matches!(
            (self, next),
            (Receiving, New | Denied | Cancelled)
                | (New, Processing | Waiting | Cancelled | Unresolved)
                | (
                    Processing,
                    Waiting | Paying | Releasing | Cancelled | Unresolved
                )
                | (Waiting, Processing | Cancelled | Unresolved)
                | (Paying, Processing | Releasing | Cancelled)
                | (Releasing, Done)
        )
    }

    /// The statuses reachable from this one.
    pub fn next_statuses(self) -> Vec<Self> {
        Self::ALL
            .iter()
            .copied()
            .filter(|next| self.can_move_to(*next))
            .collect()
    }

    /// The deadline does not run while the applicant has to act.
    pub fn pauses_deadline(self) -> bool {
        matches!(self, Self::Waiting | Self::Paying)
    }

    /// Entering this status resolves the dossier for the statistics: a result is ready, or the
    /// dossier was closed without one after it had been accepted.
    pub fn resolves(self) -> bool {
        matches!(self, Self::Releasing | Self::Cancelled | Self::Unresolved)
    }

    /// No transition leaves these.
    pub fn is_final(self) -> bool {
        self.next_statuses().is_empty()
    }

    /// A reason must be written when entering these.
    pub fn needs_note(self) -> bool {
        matches!(
            self,
            Self::Denied | Self::Waiting | Self::Paying | Self::Cancelled | Self::Unresolved
        )
    }
}

crate::text_enum! {
    /// How the dossier was submitted (KenhThucHien).
    pub enum Channel {
        /// 1 — at the desk (trực tiếp).
        Direct = "direct",
        /// 2 — on the public service portal (trực tuyến).
        Online = "online",
        /// 3 — by public postal service (bưu chính công ích).
        Postal = "postal",
    }
}

crate::text_enum! {
    /// Who applies.
    pub enum ApplicantKind {
        /// A citizen, identified by CCCD (or an older CMND, or a passport).
        Citizen = "citizen",
        /// A business, identified by its tax code.
        Business = "business",
        /// A state agency, identified by its budget-relationship or tax code.
        Agency = "agency",
        /// Any other organisation, identified by its tax code.
        Organisation = "organisation",
    }
}

impl ApplicantKind {
    /// Validates the identification number for this kind of applicant.
    pub fn validate_id_number(self, text: &str) -> Result<String, String> {
        match self {
            Self::Citizen => validate_cccd(text)
                .or_else(|_| validate_cmnd(text))
                .or_else(|_| validate_passport(text))
                .map_err(|_| "a citizen is identified by a 12-digit CCCD, a 9-digit CMND or a passport number".to_owned()),
            Self::Business | Self::Organisation => validate_tax_code(text),
            Self::Agency => validate_budget_code(text)
                .or_else(|_| validate_tax_code(text))
                .map_err(|_| "an agency is identified by its 7-digit budget-relationship code or its tax code".to_owned()),
        }
    }
}

crate::text_enum! {
    /// Whether a component was digitised at reception (TT 01/2023).
    pub enum Digitisation {
        /// 0 — paper only.
        NotDigitised = "not_digitised",
        /// 1 — scanned at reception.
        Digitised = "digitised",
        /// 2 — reused from another component already digitised.
        ReusedComponent = "reused_component",
        /// 3 — reused from the electronic result of another dossier.
        ReusedResult = "reused_result",
    }
}

impl Digitisation {
    pub fn is_digital(self) -> bool {
        !matches!(self, Self::NotDigitised)
    }

    pub fn is_reused(self) -> bool {
        matches!(self, Self::ReusedComponent | Self::ReusedResult)
    }
}

crate::text_enum! {
    /// The applicant's rating of the service when the result is handed over.
    pub enum Rating {
        Satisfied = "satisfied",
        Normal = "normal",
        Unsatisfied = "unsatisfied",
    }
}

crate::text_enum! {
    /// Biểu 06 columns 8–10: resolved before, on or after the due date.
    pub enum Resolution {
        Early = "early",
        OnTime = "on_time",
        Late = "late",
    }
}

impl Resolution {
    /// Classifies a resolution on `resolved_on` of a dossier due on `due_on` (Vietnam dates).
    ///
    /// The rule, applied everywhere: a dossier withdrawn or returned at the applicant's request
    /// (`cancelled`) counts as on time, since the office did not delay it; a dossier closed while
    /// its deadline was paused (no due date) counts as on time; every other closure is compared by
    /// calendar day with its due date.
    pub fn classify(
        closing: DossierStatus,
        resolved_on: NaiveDate,
        due_on: Option<NaiveDate>,
    ) -> Self {
        match (closing, due_on) {
            (DossierStatus::Cancelled, _) | (_, None) => Self::OnTime,
            (_, Some(due)) if resolved_on < due => Self::Early,
            (_, Some(due)) if resolved_on == due => Self::OnTime,
            _ => Self::Late,
        }
    }
}

/// The Vietnam calendar day of an instant (UTC+7, no daylight saving): days in reports and
/// dossier codes are local days.
pub fn vietnam_day(at: DateTime<Utc>) -> NaiveDate {
    let utc = at.naive_utc();
    utc.checked_add_signed(Duration::hours(7))
        .unwrap_or(utc)
        .date()
}

/// The dossier code of TT 01/2018 Art. 19: `<unit code>-YYMMDD-XXXX`.
pub fn dossier_code(unit_code: &str, day: NaiveDate, number: u32) -> String {
    format!("{unit_code}-{}-{number:04}", day.format("%y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_machine() {
        use DossierStatus::*;
        assert!(Receiving.can_move_to(New));
        assert!(!New.can_move_to(Done));
        assert!(Waiting.can_move_to(Processing));
        assert!(!Done.can_move_to(Processing));
        assert!(
            Done.is_final() && Denied.is_final() && Cancelled.is_final() && Unresolved.is_final()
        );
        assert_eq!(Releasing.next_statuses(), vec![Done]);
        let codes: Vec<u8> = DossierStatus::ALL.iter().map(|s| s.portal_code()).collect();
        assert_eq!(codes, (1..=10).collect::<Vec<u8>>());
    }

    #[test]
    fn resolution_rule() {
        let d = |day| NaiveDate::from_ymd_opt(2024, 3, day).unwrap();
        use DossierStatus::*;
        assert_eq!(
            Resolution::classify(Releasing, d(9), Some(d(10))),
            Resolution::Early
        );
        assert_eq!(
            Resolution::classify(Releasing, d(10), Some(d(10))),
            Resolution::OnTime
        );
        assert_eq!(
            Resolution::classify(Releasing, d(11), Some(d(10))),
            Resolution::Late
        );
        assert_eq!(
            Resolution::classify(Unresolved, d(11), Some(d(10))),
            Resolution::Late
        );
        assert_eq!(
            Resolution::classify(Cancelled, d(11), Some(d(10))),
            Resolution::OnTime
        );
        assert_eq!(
            Resolution::classify(Releasing, d(11), None),
            Resolution::OnTime
        );
    }

    #[test]
    fn codes_and_days() {
        let day = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
        assert_eq!(
            dossier_code("000.00.24.H05", day, 7),
            "000.00.24.H05-240115-0007"
        );
        let late_evening_utc = DateTime::parse_from_rfc3339("2024-01-14T18:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            vietnam_day(late_evening_utc),
            day,
            "18:30 UTC is already the next day in Vietnam"
        );
    }

    #[test]
    fn applicant_ids_by_kind() {
        assert!(ApplicantKind::Citizen
            .validate_id_number("024190000123")
            .is_ok());
        assert!(ApplicantKind::Citizen
            .validate_id_number("121234567")
            .is_ok());
        assert!(ApplicantKind::Citizen
            .validate_id_number("0100109106")
            .is_err());
        assert!(ApplicantKind::Business
            .validate_id_number("0100109106")
            .is_ok());
        assert!(ApplicantKind::Agency.validate_id_number("1234567").is_ok());
    }
}
