//! What a change of dossiers writes besides the dossier rows: counter deltas, audit records and
//! the events published to other systems.

use chrono::NaiveDateTime;
use motcua_core::dossier::{Channel, DossierStatus, Rating, Resolution};
use motcua_core::event::EventType;
use motcua_core::record_ids::{DossierEventId, DossierId, OfficialId, ProcedureId, UnitId};
use motcua_core::statistics::delta;
use motcua_db::audit::{self, NewAuditEvent};
use motcua_db::dossiers::{Dossier, NewEvent};
use motcua_db::statistics::{self, CountDelta};
use motcua_db::DbConnection;
use motcua_events::data::{DossierEventData, DossierLinks};
use motcua_events::{publish, Publication};
use serde::Serialize;

use super::LifecycleError;
use motcua_audit::Actor;

/// What a request changes besides the dossier rows: the counters of the statistics, one audit
/// record per dossier per change and one event per dossier per change (its creation, a status
/// transition, its signed result), collected as it goes and written once before it commits.
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
    events: Vec<DossierEvent>,
}

/// An event about a dossier, queued.
#[derive(Debug)]
struct DossierEvent {
    event_type: EventType,
    dossier_id: DossierId,
    code: String,
    unit_id: UnitId,
    procedure_id: ProcedureId,
    from_status: Option<DossierStatus>,
    status: DossierStatus,
    at: NaiveDateTime,
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
            events: Vec::new(),
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

    /// Queues the event of `dossier` (as it is after the change) entering its status from
    /// `from` (none when it was created) at `at`: `returned` when the result was handed over,
    /// `transitioned` for any other move.
    pub(super) fn publish(
        &mut self,
        dossier: &Dossier,
        from: Option<DossierStatus>,
        at: NaiveDateTime,
    ) {
        let event_type = match (from, dossier.status) {
            (None, _) => EventType::DossierCreated,
            (Some(_), DossierStatus::Done) => EventType::DossierReturned,
            (Some(_), _) => EventType::DossierTransitioned,
        };
        self.events.push(DossierEvent {
            event_type,
            dossier_id: dossier.id,
            code: dossier.code.clone(),
            unit_id: dossier.unit_id,
            procedure_id: dossier.procedure_id,
            from_status: from,
            status: dossier.status,
            at,
        });
    }

    /// The change of `dossier` queued so far is the signing of its electronic result: one event,
    /// `result_signed`, instead of the transition it made.
    pub fn result_signed(&mut self, dossier: &Dossier) {
        for event in &mut self.events {
            if event.dossier_id == dossier.id {
                event.event_type = EventType::DossierResultSigned;
            }
        }
    }

    /// Writes the counter changes, the audit records (chained in one go) and the events.
    fn flush(self, conn: &mut DbConnection) -> Result<(), LifecycleError> {
        let publications = publications(self.events)?;
        statistics::apply(conn, &self.counts)?;
        audit::append_many(conn, &self.records)?;
        publish(conn, &publications)?;
        Ok(())
    }
}

/// The events of `queued`. Each names its unit only: readers find a unit's subtree in the unit
/// tree when they read (which costs the writers nothing, and follows regrouped units).
fn publications(queued: Vec<DossierEvent>) -> Result<Vec<Publication>, LifecycleError> {
    let mut publications = Vec::with_capacity(queued.len());
    for event in queued {
        let data = DossierEventData {
            links: DossierLinks::new(
                &event.code,
                event.event_type == EventType::DossierResultSigned,
            ),
            dossier_code: event.code.clone(),
            unit_id: event.unit_id,
            procedure_id: event.procedure_id,
            from_status: event.from_status,
            status: event.status,
            at: event.at.and_utc(),
        };
        publications.push(
            Publication::new(event.event_type, event.code, vec![event.unit_id], &data)
                .map_err(|e| LifecycleError::Internal(e.to_string()))?,
        );
    }
    Ok(publications)
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
