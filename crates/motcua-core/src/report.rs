//! Periodic reports to the provincial People's Committee office: their types and the steps of
//! their workflow.

crate::text_enum! {
    /// What a report contains.
    pub enum ReportKind {
        /// "Báo cáo tình hình tổ chức và hoạt động của Bộ phận Một cửa": the seed's report, with
        /// the appendix of staff per unit.
        OneStopActivity = "one_stop_activity",
        /// The Biểu 06/VPCP/KSTT table alone.
        Form06 = "form_06",
        /// The QĐ 766/QĐ-TTg indicator table alone.
        Indicators = "indicators",
    }
}

crate::text_enum! {
    /// Where a report is in its life. Each step is done by a different person and audited.
    pub enum ReportStatus {
        /// Compiled; figures may be recompiled and texts edited (each time a new version).
        Draft = "draft",
        /// Rendered and frozen, waiting for the leader's signature.
        ReadyForSignature = "ready_for_signature",
        /// Signed by the leader with a personal certificate.
        LeaderSigned = "leader_signed",
        /// Numbered, dated and signed by the organisation: never changed again.
        Issued = "issued",
        /// Handed to the outbox for delivery to the province.
        Submitted = "submitted",
        /// The province verified it and returned a signed receipt.
        Acknowledged = "acknowledged",
    }
}

impl ReportStatus {
    /// Whether the report's content can still change.
    pub fn is_draft(self) -> bool {
        self == ReportStatus::Draft
    }

    /// Whether the report has been issued (and so can no longer change).
    pub fn is_issued(self) -> bool {
        matches!(
            self,
            ReportStatus::Issued | ReportStatus::Submitted | ReportStatus::Acknowledged
        )
    }
}

impl ReportKind {
    /// The document type's abbreviation in the number line ("Số: 05/BC-UBND").
    pub fn number_suffix(self) -> &'static str {
        "BC-UBND"
    }
}
