//! The rules of a dossier's life: creation with its code and due time, status transitions with
//! deadline pauses and resolution, apologies, ratings and complaints. Every change updates the
//! statistics counters and appends an audit record in the same transaction ([`Changes`]).
//!
//! The rules answer in their own terms ([`LifecycleError`]); the routes turn that into HTTP.

mod changes;
mod creation;
mod error;
mod transitions;

use chrono::{DateTime, Utc};
use motcua_core::calendar::WorkingCalendar;
use motcua_core::dossier::{ApplicantKind, Channel, Digitisation, DossierStatus};
use motcua_core::record_ids::{OfficialId, ProcedureId, UnitId};
use motcua_db::dossiers::{self, Dossier};
use motcua_db::{DbConnection, DbError};

pub use changes::Changes;
pub use creation::{create, plan, write_planned, PlannedDossier, Records};
pub use error::LifecycleError;
pub use transitions::{apologise, complain, component_digitised, rate, transition};

/// Who applies, already validated.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub kind: ApplicantKind,
    pub name: String,
    pub id_number: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ComponentInput {
    pub name: String,
    pub copies: i32,
    pub digitisation: Digitisation,
}

/// A dossier to create, already validated field by field.
#[derive(Debug, Clone)]
pub struct DossierInput {
    pub unit_id: UnitId,
    pub procedure_id: ProcedureId,
    pub channel: Channel,
    pub applicant: Applicant,
    pub request_content: Option<String>,
    pub components: Vec<ComponentInput>,
    pub receiving_official_id: Option<OfficialId>,
    pub submitted_at: DateTime<Utc>,
    /// `new` (accepted at once) or `receiving` (submitted online, to be accepted).
    pub status: DossierStatus,
}

/// A requested status change.
#[derive(Debug, Clone)]
pub struct TransitionInput {
    pub to: DossierStatus,
    pub at: DateTime<Utc>,
    pub official_id: Option<OfficialId>,
    pub note: Option<String>,
    /// For `releasing`: the result is an electronic document.
    pub electronic_result: bool,
}

/// An apology (phiếu xin lỗi và hẹn lại), already validated field by field.
#[derive(Debug, Clone)]
pub struct ApologyInput {
    pub new_appointment: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub official_id: Option<OfficialId>,
    pub reason: String,
}

/// How far in the future an event may be dated (clock differences between systems).
const CLOCK_SKEW_SECONDS: i64 = 300;

fn due_time(
    calendar: &WorkingCalendar,
    received: DateTime<Utc>,
    days: i32,
) -> Result<DateTime<Utc>, LifecycleError> {
    let days = u32::try_from(days)
        .map_err(|_| LifecycleError::Internal("negative processing time".into()))?;
    calendar
        .due_time(received, days)
        .map_err(|e| calendar_error(&e))
}

fn calendar_error(error: &motcua_core::calendar::CalendarError) -> LifecycleError {
    LifecycleError::invalid("at", format!("cannot compute the deadline: {error}"))
}

fn check_not_future(at: DateTime<Utc>, field: &str) -> Result<(), LifecycleError> {
    if at > Utc::now() + chrono::Duration::seconds(CLOCK_SKEW_SECONDS) {
        return Err(LifecycleError::invalid(field, "cannot be in the future"));
    }
    Ok(())
}

/// Events are dated in order: not before the dossier's latest event, not in the future.
fn check_event_time(
    conn: &mut DbConnection,
    dossier: &Dossier,
    at: DateTime<Utc>,
) -> Result<(), LifecycleError> {
    check_not_future(at, "at")?;
    let last = dossiers::last_event_at(conn, dossier.id)?;
    if last.is_some_and(|last| at.naive_utc() < last) {
        return Err(LifecycleError::invalid(
            "at",
            "cannot be earlier than the dossier's latest event",
        ));
    }
    Ok(())
}

fn changed_concurrently(error: DbError) -> LifecycleError {
    match error {
        DbError::Refused(reason) => {
            LifecycleError::Conflict(format!("{reason}; reload it and retry"))
        }
        other => other.into(),
    }
}
