//! Every change of a report's status, in one place: which moves the transition table of
//! [`ReportStatus::can_move_to`] allows, the `*_at` time each move stamps, and the audit record
//! it leaves. Handlers (and the outbox worker) check their input, do the work of the step (a
//! rendering, a signature, a queued package) and then [`take`] the step here.

use chrono::{DateTime, NaiveDateTime, Utc};
use motcua_audit::Actor;
use motcua_core::event::EventType;
use motcua_core::record_ids::{ApiKeyId, OfficialId, UnitId};
use motcua_core::report::{ReportKind, ReportStatus};
use motcua_db::reports::{self, Report, ReportVersion};
use motcua_db::{now, DbConnection, DbError};
use motcua_events::data::{ReportEventData, ReportLinks};
use motcua_events::{publish, Publication};
use motcua_pki::pades::SignatureLevel;
use motcua_web::error::ApiError;
use serde_json::{json, Value};

use crate::content::Signatory;

/// The moves of a report, without their data: what [`check`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    MakeReady,
    ReturnToDraft,
    SignByLeader,
    Issue,
    Submit,
    Acknowledge,
}

impl Transition {
    /// The status the move leaves.
    pub fn from(self) -> ReportStatus {
        match self {
            Transition::MakeReady => ReportStatus::Draft,
            Transition::ReturnToDraft | Transition::SignByLeader => ReportStatus::ReadyForSignature,
            Transition::Issue => ReportStatus::LeaderSigned,
            Transition::Submit => ReportStatus::Issued,
            Transition::Acknowledge => ReportStatus::Submitted,
        }
    }

    /// The status the move enters.
    pub fn to(self) -> ReportStatus {
        match self {
            Transition::MakeReady => ReportStatus::ReadyForSignature,
            Transition::ReturnToDraft => ReportStatus::Draft,
            Transition::SignByLeader => ReportStatus::LeaderSigned,
            Transition::Issue => ReportStatus::Issued,
            Transition::Submit => ReportStatus::Submitted,
            Transition::Acknowledge => ReportStatus::Acknowledged,
        }
    }

    /// What the move does, as refusals say it ("cannot issue the report").
    pub fn doing(self) -> &'static str {
        match self {
            Transition::MakeReady => "make the report ready",
            Transition::ReturnToDraft => "return the report",
            Transition::SignByLeader => "sign the report",
            Transition::Issue => "issue the report",
            Transition::Submit => "submit the report",
            Transition::Acknowledge => "acknowledge the report",
        }
    }
}

/// A move with what it records.
#[derive(Debug, Clone)]
pub enum Step {
    /// The signatory is fixed in `version`, rendered and frozen.
    MakeReady { version: i32, signatory: Signatory },
    /// Back to draft, e.g. with the leader's remarks.
    ReturnToDraft { reason: String },
    /// The leader's personal signature was assembled and checked.
    SignByLeader {
        at: NaiveDateTime,
        official_id: OfficialId,
        certificate_sha256: String,
        /// The level the signature reached, and why not the configured one if it fell back.
        level: SignatureLevel,
        fallback_reason: Option<String>,
    },
    /// Numbered and signed by the organisation.
    Issue {
        at: NaiveDateTime,
        number: i32,
        year: i32,
        number_text: String,
        organisation_key: i64,
        /// The level the signature reached, and why not the configured one if it fell back.
        level: SignatureLevel,
        fallback_reason: Option<String>,
    },
    /// Queued for delivery to `destination`.
    Submit {
        at: NaiveDateTime,
        destination: String,
    },
    /// The province's signed receipt was verified.
    Acknowledge {
        at: NaiveDateTime,
        receiver: String,
        received_at: DateTime<Utc>,
    },
}

impl Step {
    pub fn transition(&self) -> Transition {
        match self {
            Step::MakeReady { .. } => Transition::MakeReady,
            Step::ReturnToDraft { .. } => Transition::ReturnToDraft,
            Step::SignByLeader { .. } => Transition::SignByLeader,
            Step::Issue { .. } => Transition::Issue,
            Step::Submit { .. } => Transition::Submit,
            Step::Acknowledge { .. } => Transition::Acknowledge,
        }
    }
}

/// Why a step was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The transition table does not allow the move from the report's status.
    #[error("cannot {doing}: report {report} is `{status}`, not `{expected}`")]
    NotAllowed {
        doing: &'static str,
        report: String,
        status: ReportStatus,
        expected: ReportStatus,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    /// The audit record or the event could not be written as text.
    #[error("audit detail: {0}")]
    Record(String),
}

impl From<LifecycleError> for ApiError {
    fn from(error: LifecycleError) -> Self {
        match error {
            LifecycleError::NotAllowed { .. } => ApiError::Conflict(error.to_string()),
            LifecycleError::Db(error) => error.into(),
            LifecycleError::Record(_) => ApiError::internal(error.to_string()),
        }
    }
}

/// Refuses a move the transition table forbids from the report's status.
pub fn check(report: &Report, transition: Transition) -> Result<(), LifecycleError> {
    if report.status.can_move_to(transition.to()) {
        Ok(())
    } else {
        Err(not_allowed(report, transition.doing(), transition.from()))
    }
}

/// Refuses a change that is not a move (an edit of a draft) unless the report is in `expected`.
pub fn require_status(
    report: &Report,
    expected: ReportStatus,
    doing: &'static str,
) -> Result<(), LifecycleError> {
    if report.status == expected {
        Ok(())
    } else {
        Err(not_allowed(report, doing, expected))
    }
}

fn not_allowed(report: &Report, doing: &'static str, expected: ReportStatus) -> LifecycleError {
    LifecycleError::NotAllowed {
        doing,
        report: report.id.clone(),
        status: report.status,
        expected,
    }
}

/// Takes `step`: the new status and its time, saved with the rest of `report` (which the
/// caller may have changed for the step), and the audit record, in the caller's transaction.
pub fn take(
    conn: &mut DbConnection,
    report: &mut Report,
    step: Step,
    actor: &Actor,
) -> Result<(), LifecycleError> {
    let transition = step.transition();
    check(report, transition)?;
    let (action, detail, at) = match step {
        Step::MakeReady { version, signatory } => {
            report.leader_official_id = Some(signatory.official_id);
            report.leader_name = Some(signatory.full_name.clone());
            let detail = json!({ "version": version, "signatory": signatory });
            ("report.ready_for_signature", detail, now())
        }
        Step::ReturnToDraft { reason } => {
            report.leader_official_id = None;
            report.leader_name = None;
            (
                "report.returned_to_draft",
                json!({ "reason": reason }),
                now(),
            )
        }
        Step::SignByLeader {
            at,
            official_id,
            certificate_sha256,
            level,
            fallback_reason,
        } => {
            report.leader_signed_at = Some(at);
            let detail = json!({
                "official_id": official_id, "certificate_sha256": certificate_sha256,
                "signature_level": level, "fallback_reason": fallback_reason,
            });
            ("report.signed_by_leader", detail, at)
        }
        Step::Issue {
            at,
            number,
            year,
            number_text,
            organisation_key,
            level,
            fallback_reason,
        } => {
            report.number = Some(number);
            report.number_year = Some(year);
            report.number_text = Some(number_text.clone());
            report.issued_at = Some(at);
            let detail = json!({
                "number": number_text, "organisation_key": organisation_key,
                "signature_level": level, "fallback_reason": fallback_reason,
            });
            ("report.issued", detail, at)
        }
        Step::Submit { at, destination } => {
            report.submitted_at = Some(at);
            (
                "report.submitted",
                json!({ "destination": destination }),
                at,
            )
        }
        Step::Acknowledge {
            at,
            receiver,
            received_at,
        } => {
            report.acknowledged_at = Some(at);
            let detail = json!({
                "receiver": receiver,
                "received_at": received_at,
                "acknowledged_at": Utc::now(),
            });
            ("report.acknowledged", detail, at)
        }
    };
    let from = report.status;
    report.status = transition.to();
    report.updated_at = at;
    reports::save(conn, report)?;
    record(conn, actor, action, &report.id, &detail)?;
    publish_move(conn, report, from)
}

/// Publishes the moves other systems follow: issued, submitted, acknowledged.
fn publish_move(
    conn: &mut DbConnection,
    report: &Report,
    from: ReportStatus,
) -> Result<(), LifecycleError> {
    let event_type = match report.status {
        ReportStatus::Issued => EventType::ReportIssued,
        ReportStatus::Submitted => EventType::ReportSubmitted,
        ReportStatus::Acknowledged => EventType::ReportAcknowledged,
        ReportStatus::Draft | ReportStatus::ReadyForSignature | ReportStatus::LeaderSigned => {
            return Ok(())
        }
    };
    let data = ReportEventData {
        report_id: report.id.clone(),
        kind: report.kind,
        unit_id: report.unit_id,
        unit_name: report.unit_name.clone(),
        from_status: from,
        status: report.status,
        number_text: report.number_text.clone(),
        links: ReportLinks::new(&report.id, report.status),
    };
    let publication = Publication::new(
        event_type,
        report.id.clone(),
        reports::unit_chain(&report.unit_scope),
        &data,
    )
    .map_err(|e| LifecycleError::Record(e.to_string()))?;
    Ok(publish(conn, &[publication])?)
}

/// What a new draft is made of: its version 1 is compiled separately.
pub struct NewDraft {
    pub id: String,
    pub kind: ReportKind,
    pub unit_id: UnitId,
    pub unit_name: String,
    /// The reporting unit and the units above it, nearest first, as the figures name them:
    /// keys of each of these units see the report.
    pub ancestry: Vec<UnitId>,
    pub periods: Vec<String>,
    /// The issued report this one corrects.
    pub corrects: Option<String>,
    pub created_by: ApiKeyId,
}

/// A new report, a draft at version 1, not yet stored (see [`create`]).
pub fn draft(new: NewDraft) -> Report {
    let at = now();
    Report {
        unit_scope: reports::unit_scope(&new.ancestry),
        periods: new.periods.join(" "),
        status: ReportStatus::Draft,
        current_version: 1,
        created_at: at,
        created_by: Some(new.created_by),
        updated_at: at,
        id: new.id,
        kind: new.kind,
        unit_id: new.unit_id,
        unit_name: new.unit_name,
        corrects: new.corrects,
        leader_official_id: None,
        leader_name: None,
        leader_signed_at: None,
        number: None,
        number_year: None,
        number_text: None,
        issued_at: None,
        submitted_at: None,
        acknowledged_at: None,
    }
}

/// Stores a [`draft`] with its first version, and the audit record of its compilation.
pub fn create(
    conn: &mut DbConnection,
    report: &Report,
    version: &ReportVersion,
    actor: &Actor,
) -> Result<(), LifecycleError> {
    reports::insert(conn, report)?;
    reports::insert_version(conn, version)?;
    let detail = json!({
        "kind": report.kind, "unit_id": report.unit_id, "periods": report.periods,
        "figures_sha256": version.figures_sha256,
    });
    record(conn, actor, "report.compiled", &report.id, &detail)
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    report: &str,
    detail: &Value,
) -> Result<(), LifecycleError> {
    let event = actor
        .event(action, "report", report, detail)
        .map_err(|e| LifecycleError::Record(e.to_string()))?;
    motcua_db::audit::append(conn, &event)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Transition; 6] = [
        Transition::MakeReady,
        Transition::ReturnToDraft,
        Transition::SignByLeader,
        Transition::Issue,
        Transition::Submit,
        Transition::Acknowledge,
    ];

    #[test]
    fn every_move_is_in_the_table() {
        for transition in ALL {
            assert!(
                transition.from().can_move_to(transition.to()),
                "{transition:?}"
            );
        }
        // And every move of the table is a step.
        let moves: usize = ReportStatus::ALL
            .iter()
            .map(|status| status.next_statuses().len())
            .sum();
        assert_eq!(moves, ALL.len());
    }
}
