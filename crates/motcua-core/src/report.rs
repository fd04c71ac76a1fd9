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
    /// Whether a report in this status may move to `next`. A report only goes forward, except
    /// that a report waiting for signature can be sent back to draft.
    pub fn can_move_to(self, next: Self) -> bool {
        use ReportStatus::*;
        matches!(
            (self, next),
            (Draft, ReadyForSignature)
                | (ReadyForSignature, Draft | LeaderSigned)
                | (LeaderSigned, Issued)
                | (Issued, Submitted)
                | (Submitted, Acknowledged)
        )
    }

    /// The statuses reachable from this one, in the order of [`ReportStatus::ALL`].
    pub fn next_statuses(self) -> Vec<Self> {
        let reachable = |next: &&Self| self.can_move_to(**next);
        Self::ALL.iter().filter(reachable).copied().collect()
    }

    /// No transition leaves these: the province has acknowledged the report.
    pub fn is_final(self) -> bool {
        !Self::ALL.iter().any(|next| self.can_move_to(*next))
    }

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

#[cfg(test)]
mod tests {
    use super::ReportStatus::{self, *};

    #[test]
    fn transition_table() {
        let expected: &[(ReportStatus, &[ReportStatus])] = &[
            (Draft, &[ReadyForSignature]),
            (ReadyForSignature, &[Draft, LeaderSigned]),
            (LeaderSigned, &[Issued]),
            (Issued, &[Submitted]),
            (Submitted, &[Acknowledged]),
            (Acknowledged, &[]),
        ];
        assert_eq!(expected.len(), ReportStatus::ALL.len());
        for (from, to) in expected {
            assert_eq!(from.next_statuses(), to.to_vec(), "from {from}");
        }
    }

    #[test]
    fn forbidden_moves() {
        assert!(!Draft.can_move_to(LeaderSigned));
        assert!(!Draft.can_move_to(Issued));
        assert!(!LeaderSigned.can_move_to(Draft));
        assert!(!Issued.can_move_to(Draft));
        assert!(!Acknowledged.can_move_to(Submitted));
        for status in ReportStatus::ALL {
            assert!(!status.can_move_to(*status), "{status} to itself");
        }
    }

    #[test]
    fn final_and_issued() {
        assert!(Acknowledged.is_final());
        assert!(ReportStatus::ALL
            .iter()
            .filter(|status| **status != Acknowledged)
            .all(|status| !status.is_final()));
        assert!(Issued.is_issued() && Submitted.is_issued() && Acknowledged.is_issued());
        assert!(!LeaderSigned.is_issued());
    }
}
