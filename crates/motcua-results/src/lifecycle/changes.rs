//! What a change of dossiers writes besides the dossier rows: counter deltas and audit records.

use chrono::NaiveDateTime;
use motcua_core::dossier::{Channel, DossierStatus, Rating, Resolution};
use motcua_core::record_ids::{DossierEventId, OfficialId, ProcedureId, UnitId};
use motcua_core::statistics::delta;
use motcua_db::audit::{self, NewAuditEvent};
use motcua_db::dossiers::{Dossier, NewEvent};
use motcua_db::statistics::{self, CountDelta};
use motcua_db::DbConnection;
use serde::Serialize;

use super::LifecycleError;
use motcua_audit::Actor;

/// What a request changes besides the dossier rows: the counters of the statistics and one
/// audit record per dossier per change, collected as it goes and written once before it commits.
/// Written last, so that the counter rows (shared by every dossier of a unit and day) and the
/// trail's lock (shared by every writer) are held as briefly as possible; the trail's lock is
/// taken after the counters, so that it is held only for the append and the commit, and always
/// in that order, so that writers cannot deadlock.
///
/// A `Changes` exists only inside [`Changes::within`], which writes it when the work succeeds:
/// no path can queue changes and forget them. Not a drop guard, because writing can fail, which a
/// `Drop` cannot report, and a failed change must write nothing before its transaction rolls back.
#[derive(Debug)]
pub struct Changes {
    counts: Vec<CountDelta>,
    records: Vec<NewAuditEvent>,
}

impl Changes {
    /// Runs `work` with an empty set of changes and, when it succeeds, writes what it queued;
    /// call it last in the transaction, after which only reads remain.
    pub fn within<T, E: From<LifecycleError>>(
        conn: &mut DbConnection,
        work: impl FnOnce(&mut DbConnection, &mut Changes) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut changes = Changes {
            counts: Vec::new(),
            records: Vec::new(),
        };
        let done = work(conn, &mut changes)?;
        changes.flush(conn)?;
        Ok(done)
    }

    pub(super) fn count(&mut self, dossier: &Dossier, before: Option<&Dossier>) {
        let before_facts = before.map(Dossier::facts);
        for (day, metric, n) in delta(before_facts.as_ref(), &dossier.facts()) {
            self.counts.push(CountDelta {
                unit_id: dossier.unit_id,
                field: dossier.field.clone(),
                day,
                metric,
                n,
            });
        }
    }

    /// Queues the audit record of `action` on `dossier`.
    pub fn record(
        &mut self,
        actor: &Actor,
        action: &str,
        dossier: &Dossier,
        detail: &impl Serialize,
    ) -> Result<(), LifecycleError> {
        let record = actor
            .event(action, "dossier", &dossier.code, detail)
            .map_err(|e| LifecycleError::Internal(e.to_string()))?;
        self.records.push(record);
        Ok(())
    }

    /// Writes the counter changes and the audit records (chained in one go).
    fn flush(self, conn: &mut DbConnection) -> Result<(), LifecycleError> {
        statistics::apply(conn, &self.counts)?;
        audit::append_many(conn, &self.records)?;
        Ok(())
    }
}

/// The audit record of a dossier change: the history event it wrote (with its id, which links
/// the two) and the dossier's lifecycle fields after it. The applicant's personal data stay out
/// of the trail, which can never be erased; they do not change after creation.
#[derive(Serialize)]
pub(super) struct ChangeRecord<'a> {
    event: EventRecord<'a>,
    after: StateRecord<'a>,
}

#[derive(Serialize)]
struct EventRecord<'a> {
    id: DossierEventId,
    kind: &'a str,
    at: NaiveDateTime,
    from_status: Option<DossierStatus>,
    to_status: Option<DossierStatus>,
    official_id: Option<OfficialId>,
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct StateRecord<'a> {
    unit_id: UnitId,
    procedure_id: ProcedureId,
    channel: Channel,
    status: DossierStatus,
    received_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    paused_at: Option<NaiveDateTime>,
    resolved_at: Option<NaiveDateTime>,
    resolution: Option<Resolution>,
    returned_at: Option<NaiveDateTime>,
    appointment_at: Option<NaiveDateTime>,
    digitised: bool,
    electronic_result: bool,
    rating: Option<Rating>,
    receiving_official_id: Option<OfficialId>,
    field: &'a str,
}

impl<'a> ChangeRecord<'a> {
    pub(super) fn new(dossier: &'a Dossier, event: &'a NewEvent, event_id: DossierEventId) -> Self {
        Self {
            event: EventRecord {
                id: event_id,
                kind: &event.kind,
                at: event.at,
                from_status: event.from_status,
                to_status: event.to_status,
                official_id: event.official_id,
                note: event.note.as_deref(),
            },
            after: StateRecord {
                unit_id: dossier.unit_id,
                procedure_id: dossier.procedure_id,
                channel: dossier.channel,
                status: dossier.status,
                received_at: dossier.received_at,
                due_at: dossier.due_at,
                paused_at: dossier.paused_at,
                resolved_at: dossier.resolved_at,
                resolution: dossier.resolution,
                returned_at: dossier.returned_at,
                appointment_at: dossier.appointment_at,
                digitised: dossier.digitised,
                electronic_result: dossier.electronic_result,
                rating: dossier.rating,
                receiving_official_id: dossier.receiving_official_id,
                field: &dossier.field,
            },
        }
    }
}
