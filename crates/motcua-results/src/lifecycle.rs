//! The rules of a dossier's life: creation with its code and due time, status transitions with
//! deadline pauses and resolution, apologies, ratings and complaints. Every change updates the
//! statistics counters and appends an audit record in the same transaction ([`Changes`]).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use motcua_core::calendar::WorkingCalendar;
use motcua_core::dossier::{
    dossier_code, vietnam_day, ApplicantKind, Channel, Digitisation, DossierStatus, Rating,
    Resolution,
};
use motcua_core::ids::{DossierEventId, DossierId, OfficialId, ProcedureId, UnitId};
use motcua_core::statistics::delta;
use motcua_db::audit::{self, NewAuditEvent};
use motcua_db::dossiers::{self, Dossier, DossierState, NewComponent, NewDossier, NewEvent};
use motcua_db::procedures::Procedure;
use motcua_db::statistics::{self, CountDelta};
use motcua_db::units::Unit;
use motcua_db::{now, officials, procedures, units, DbConnection, DbError};
use serde::Serialize;

use motcua_audit::Actor;
use motcua_web::error::ApiError;

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

/// What a request changes besides the dossier rows: the counters of the statistics and one
/// audit record per dossier per change, collected as it goes and written once before it commits.
/// Written last, so that the counter rows (shared by every dossier of a unit and day) and the
/// trail's lock (shared by every writer) are held as briefly as possible; the trail's lock is
/// taken after the counters, so that it is held only for the append and the commit, and always
/// in that order, so that writers cannot deadlock.
#[derive(Debug, Default)]
pub struct Changes {
    counts: Vec<CountDelta>,
    records: Vec<NewAuditEvent>,
}

impl Changes {
    fn count(&mut self, dossier: &Dossier, before: Option<&Dossier>) {
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
    ) -> Result<(), ApiError> {
        self.records
            .push(actor.event(action, "dossier", &dossier.code, detail)?);
        Ok(())
    }

    /// Writes the counter changes and the audit records (chained in one go); call it last in
    /// the transaction.
    pub fn flush(self, conn: &mut DbConnection) -> Result<(), ApiError> {
        statistics::apply(conn, &self.counts)?;
        audit::append_many(conn, &self.records)?;
        Ok(())
    }
}

/// The audit record of a dossier change: the history event it wrote (with its id, which links
/// the two) and the dossier's lifecycle fields after it. The applicant's personal data stay out
/// of the trail, which can never be erased; they do not change after creation.
#[derive(Serialize)]
struct ChangeRecord<'a> {
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
    fn new(dossier: &'a Dossier, event: &'a NewEvent, event_id: DossierEventId) -> Self {
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

/// How far in the future an event may be dated (clock differences between systems).
const CLOCK_SKEW_SECONDS: i64 = 300;

/// Creates a dossier: checks it against the records, takes its number, writes it with its
/// components and first history event.
pub fn create(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    input: &DossierInput,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Dossier, ApiError> {
    let records = Records::for_inputs(conn, std::iter::once(input))?;
    let planned = plan(conn, calendar, input, actor, &records)?;
    let mut created = write_planned(conn, vec![planned], changes)?;
    created
        .pop()
        .ok_or_else(|| ApiError::Internal("the dossier was not written".into()))
}

/// A dossier checked against the records and ready to be written, still without its number.
pub struct PlannedDossier {
    unit_code: String,
    day: NaiveDate,
    new: NewDossier,
    components: Vec<ComponentInput>,
    event: NewEvent,
    actor: Actor,
}

/// The units and procedures that creations name, read once for all of them: a batch of
/// creations names the same few.
pub struct Records {
    units: HashMap<UnitId, Unit>,
    procedures: HashMap<ProcedureId, Procedure>,
}

impl Records {
    /// Reads the units and procedures `inputs` name, in two statements.
    pub fn for_inputs<'a>(
        conn: &mut DbConnection,
        inputs: impl Iterator<Item = &'a DossierInput> + Clone,
    ) -> Result<Self, ApiError> {
        let unit_ids: Vec<UnitId> = inputs.clone().map(|input| input.unit_id).collect();
        let procedure_ids: Vec<ProcedureId> = inputs.map(|input| input.procedure_id).collect();
        Ok(Self {
            units: units::find_many(conn, &unit_ids)?
                .into_iter()
                .map(|unit| (unit.id, unit))
                .collect(),
            procedures: procedures::find_many(conn, &procedure_ids)?
                .into_iter()
                .map(|procedure| (procedure.id, procedure))
                .collect(),
        })
    }
}

/// Checks `input` against the records (unit, procedure, official, dates) and computes its due
/// time; writes nothing.
pub fn plan(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    input: &DossierInput,
    actor: &Actor,
    records: &Records,
) -> Result<PlannedDossier, ApiError> {
    check_not_future(input.submitted_at, "submitted_at")?;
    if !matches!(input.status, DossierStatus::New | DossierStatus::Receiving) {
        return Err(ApiError::invalid(
            "status",
            "a dossier starts as `new` (accepted) or `receiving` (online, to be accepted)",
        ));
    }
    let unit = records
        .units
        .get(&input.unit_id)
        .ok_or(DbError::NotFound)
        .map_err(ApiError::missing_reference("unit_id"))?;
    let day = vietnam_day(input.submitted_at);
    if unit.valid_from > day || unit.valid_to.is_some_and(|last| last < day) {
        return Err(ApiError::invalid(
            "unit_id",
            "the unit did not exist on the day of submission",
        ));
    }
    let procedure = records
        .procedures
        .get(&input.procedure_id)
        .ok_or(DbError::NotFound)
        .map_err(ApiError::missing_reference("procedure_id"))?;
    if let Some(official) = input.receiving_official_id {
        officials::find(conn, official)
            .map_err(ApiError::missing_reference("receiving_official_id"))?;
    }
    let at = now();
    let submitted = input.submitted_at.naive_utc();
    let accepted = input.status == DossierStatus::New;
    let due = if accepted {
        Some(due_time(
            calendar,
            input.submitted_at,
            procedure.processing_days,
        )?)
    } else {
        None
    };
    let new = NewDossier {
        // Set when the number is taken.
        code: String::new(),
        unit_id: unit.id,
        procedure_id: procedure.id,
        field: procedure.field.clone(),
        channel: input.channel,
        status: input.status,
        applicant_kind: input.applicant.kind,
        applicant_name: input.applicant.name.clone(),
        applicant_id_number: input.applicant.id_number.clone(),
        applicant_address: input.applicant.address.clone(),
        applicant_phone: input.applicant.phone.clone(),
        applicant_email: input.applicant.email.clone(),
        request_content: input.request_content.clone(),
        receiving_official_id: input.receiving_official_id,
        submitted_at: submitted,
        received_at: accepted.then_some(submitted),
        received_on: accepted.then_some(day),
        due_at: due.map(|d| d.naive_utc()),
        due_on: due.map(vietnam_day),
        paused_at: None,
        resolved_at: None,
        resolved_on: None,
        resolution: None,
        returned_at: None,
        appointment_at: None,
        rating: None,
        digitised: !input.components.is_empty()
            && input.components.iter().all(|c| c.digitisation.is_digital()),
        reused: input.components.iter().any(|c| c.digitisation.is_reused()),
        electronic_result: false,
        created_at: at,
        updated_at: at,
    };
    let event = NewEvent {
        // Set when the dossier is written.
        dossier_id: DossierId(0),
        at: submitted,
        kind: "status".to_owned(),
        from_status: None,
        to_status: Some(input.status),
        official_id: input.receiving_official_id,
        actor_key_id: actor.key_id,
        note: None,
        request_id: actor.request_id.clone(),
    };
    Ok(PlannedDossier {
        unit_code: unit.code.clone(),
        day,
        new,
        components: input.components.clone(),
        event,
        actor: actor.clone(),
    })
}

/// Writes planned dossiers in a few statements whatever their number: their numbers (each unit
/// and day numbered in the order given, consecutively), the dossiers, their components and
/// history events; queues their counter changes and audit records (one per dossier, appended
/// together). Returns them in the order given.
pub fn write_planned(
    conn: &mut DbConnection,
    mut planned: Vec<PlannedDossier>,
    changes: &mut Changes,
) -> Result<Vec<Dossier>, ApiError> {
    number(conn, &mut planned)?;
    let new: Vec<NewDossier> = planned.iter().map(|p| p.new.clone()).collect();
    let written = dossiers::insert_returning(conn, &new)?;
    let mut components = Vec::new();
    let mut events = Vec::with_capacity(written.len());
    let mut actors = Vec::with_capacity(written.len());
    for (dossier, planned) in written.iter().zip(planned) {
        components.extend(
            planned
                .components
                .into_iter()
                .enumerate()
                .map(|(i, c)| NewComponent {
                    dossier_id: dossier.id,
                    position: i32::try_from(i + 1).unwrap_or(i32::MAX),
                    name: c.name,
                    copies: c.copies,
                    digitisation: c.digitisation,
                }),
        );
        events.push(NewEvent {
            dossier_id: dossier.id,
            ..planned.event
        });
        actors.push(planned.actor);
        changes.count(dossier, None);
    }
    dossiers::insert_components(conn, &components)?;
    let event_ids = dossiers::insert_events_returning(conn, &events)?;
    for (((dossier, event), event_id), actor) in
        written.iter().zip(&events).zip(event_ids).zip(&actors)
    {
        changes.record(
            actor,
            "dossier.create",
            dossier,
            &ChangeRecord::new(dossier, event, event_id),
        )?;
    }
    Ok(written)
}

/// Takes the numbers of the day for `planned` and sets their codes.
fn number(conn: &mut DbConnection, planned: &mut [PlannedDossier]) -> Result<(), ApiError> {
    let mut groups: BTreeMap<(UnitId, NaiveDate), i32> = BTreeMap::new();
    for p in planned.iter() {
        *groups.entry((p.new.unit_id, p.day)).or_default() += 1;
    }
    let groups: Vec<(UnitId, NaiveDate, i32)> = groups
        .into_iter()
        .map(|((unit, day), count)| (unit, day, count))
        .collect();
    let last_numbers = dossiers::take_numbers(conn, &groups)?;
    // The next number to give in each group.
    let mut next: BTreeMap<(UnitId, NaiveDate), i32> = groups
        .iter()
        .zip(&last_numbers)
        .map(|((unit, day, count), last)| ((*unit, *day), last - count + 1))
        .collect();
    for p in planned.iter_mut() {
        let number = next
            .get_mut(&(p.new.unit_id, p.day))
            .ok_or_else(|| ApiError::Internal("no number for a dossier".into()))?;
        let given = u32::try_from(*number)
            .map_err(|_| ApiError::Internal("negative dossier number".into()))?;
        if given > 9999 {
            return Err(ApiError::Conflict(format!(
                "unit {} has used all 9999 dossier numbers of {}",
                p.unit_code, p.day
            )));
        }
        p.new.code = dossier_code(&p.unit_code, p.day, given);
        *number += 1;
    }
    Ok(())
}

pub fn transition(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    dossier: &Dossier,
    input: &TransitionInput,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Dossier, ApiError> {
    let from = dossier.status;
    if !from.can_move_to(input.to) {
        let allowed: Vec<&str> = from
            .next_statuses()
            .into_iter()
            .map(DossierStatus::as_str)
            .collect();
        let allowed = if allowed.is_empty() {
            "none: the dossier is closed".to_owned()
        } else {
            allowed.join(", ")
        };
        return Err(ApiError::Conflict(format!(
            "a `{from}` dossier cannot become `{}`; allowed: {allowed}",
            input.to
        )));
    }
    if input.to.needs_note() && input.note.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::invalid(
            "note",
            format!("give the reason when a dossier becomes `{}`", input.to),
        ));
    }
    if input.electronic_result && input.to != DossierStatus::Releasing {
        return Err(ApiError::invalid(
            "electronic_result",
            "only a dossier becoming `releasing` has a result",
        ));
    }
    check_event_time(conn, dossier, input.at)?;
    if let Some(official) = input.official_id {
        officials::find(conn, official).map_err(ApiError::missing_reference("official_id"))?;
    }
    let mut next = dossier.clone();
    next.status = input.to;
    apply_transition(conn, calendar, &mut next, from, input)?;
    next.updated_at = now();
    dossiers::save_state(
        conn,
        dossier.id,
        dossier.updated_at,
        &DossierState::from(&next),
    )
    .map_err(changed_concurrently)?;
    event(
        conn,
        &next,
        actor,
        changes,
        History {
            kind: "status",
            from_status: Some(from),
            to_status: Some(input.to),
            at: input.at.naive_utc(),
            official_id: input.official_id,
            note: input.note.clone(),
        },
    )?;
    changes.count(&next, Some(dossier));
    Ok(next)
}

fn apply_transition(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    next: &mut Dossier,
    from: DossierStatus,
    input: &TransitionInput,
) -> Result<(), ApiError> {
    let at = input.at;
    if from == DossierStatus::Receiving && input.to == DossierStatus::New {
        let procedure = procedures::find(conn, next.procedure_id)?;
        let due = due_time(calendar, at, procedure.processing_days)?;
        next.received_at = Some(at.naive_utc());
        next.received_on = Some(vietnam_day(at));
        next.due_at = Some(due.naive_utc());
        next.due_on = Some(vietnam_day(due));
    }
    if let (Some(paused_at), false) = (next.paused_at, input.to.pauses_deadline()) {
        resume(calendar, next, paused_at, at)?;
    }
    if input.to.pauses_deadline() && next.received_at.is_some() {
        next.paused_at = Some(at.naive_utc());
        next.due_on = None;
    }
    if input.to.resolves() && next.received_at.is_some() {
        let day = vietnam_day(at);
        next.resolved_at = Some(at.naive_utc());
        next.resolved_on = Some(day);
        next.resolution = Some(Resolution::classify(input.to, day, next.due_on));
        next.electronic_result = input.electronic_result;
    }
    if input.to == DossierStatus::Done {
        next.returned_at = Some(at.naive_utc());
    }
    Ok(())
}

/// The deadline runs again: it moves by the working time the dossier spent paused.
fn resume(
    calendar: &WorkingCalendar,
    next: &mut Dossier,
    paused_at: NaiveDateTime,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(old_due) = next.due_at {
        let due = calendar
            .resume_due(paused_at.and_utc(), old_due.and_utc(), at)
            .map_err(|e| calendar_error(&e))?;
        next.due_at = Some(due.naive_utc());
        next.due_on = Some(vietnam_day(due));
    }
    next.paused_at = None;
    Ok(())
}

/// An apology (phiếu xin lỗi và hẹn lại), already validated field by field.
#[derive(Debug, Clone)]
pub struct ApologyInput {
    pub new_appointment: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub official_id: Option<OfficialId>,
    pub reason: String,
}

/// An apology with a new appointment, for a dossier that is overdue.
pub fn apologise(
    conn: &mut DbConnection,
    dossier: &Dossier,
    apology: &ApologyInput,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Dossier, ApiError> {
    let ApologyInput {
        new_appointment,
        at,
        official_id,
        ref reason,
    } = *apology;
    check_event_time(conn, dossier, at)?;
    let open = dossier.received_at.is_some() && dossier.resolved_at.is_none();
    let overdue = dossier.due_at.is_some_and(|due| due.and_utc() < at);
    if !open || !overdue {
        return Err(ApiError::Conflict(
            "an apology is for an accepted, unresolved dossier past its due time".into(),
        ));
    }
    if new_appointment <= at {
        return Err(ApiError::invalid(
            "new_appointment_at",
            "the new appointment must be later than the apology",
        ));
    }
    let mut next = dossier.clone();
    next.appointment_at = Some(new_appointment.naive_utc());
    next.updated_at = now();
    dossiers::save_state(
        conn,
        dossier.id,
        dossier.updated_at,
        &DossierState::from(&next),
    )
    .map_err(changed_concurrently)?;
    let note = format!(
        "{reason} — new appointment {}",
        new_appointment.to_rfc3339()
    );
    event(
        conn,
        &next,
        actor,
        changes,
        History {
            kind: "apology",
            from_status: None,
            to_status: None,
            at: at.naive_utc(),
            official_id,
            note: Some(note),
        },
    )?;
    Ok(next)
}

/// The applicant's rating, given once when the result is handed over.
pub fn rate(
    conn: &mut DbConnection,
    dossier: &Dossier,
    rating: Rating,
    at: DateTime<Utc>,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Dossier, ApiError> {
    if dossier.status != DossierStatus::Done {
        return Err(ApiError::Conflict(
            "a dossier is rated when its result has been handed over (`done`)".into(),
        ));
    }
    if dossier.rating.is_some() {
        return Err(ApiError::Conflict(
            "this dossier has already been rated".into(),
        ));
    }
    check_event_time(conn, dossier, at)?;
    let mut next = dossier.clone();
    next.rating = Some(rating);
    next.updated_at = now();
    dossiers::save_state(
        conn,
        dossier.id,
        dossier.updated_at,
        &DossierState::from(&next),
    )
    .map_err(changed_concurrently)?;
    event(
        conn,
        &next,
        actor,
        changes,
        History {
            kind: "rating",
            from_status: None,
            to_status: None,
            at: at.naive_utc(),
            official_id: None,
            note: Some(rating.as_str().to_owned()),
        },
    )?;
    changes.count(&next, Some(dossier));
    Ok(next)
}

/// After a component was scanned and signed: the dossier counts as digitised once every component
/// is (the statistics count it on its reception day).
pub fn component_digitised(
    conn: &mut DbConnection,
    dossier: &Dossier,
    changes: &mut Changes,
) -> Result<Dossier, ApiError> {
    let components = dossiers::components(conn, dossier.id)?;
    let digitised =
        !components.is_empty() && components.iter().all(|c| c.digitisation.is_digital());
    if digitised == dossier.digitised {
        return Ok(dossier.clone());
    }
    let mut next = dossier.clone();
    next.digitised = digitised;
    next.updated_at = now();
    dossiers::save_state(
        conn,
        dossier.id,
        dossier.updated_at,
        &DossierState::from(&next),
    )
    .map_err(changed_concurrently)?;
    changes.count(&next, Some(dossier));
    Ok(next)
}

/// A complaint (phản ánh, kiến nghị) about a dossier; it is kept in the dossier's history.
pub fn complain(
    conn: &mut DbConnection,
    dossier: &Dossier,
    content: String,
    at: DateTime<Utc>,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<(), ApiError> {
    check_event_time(conn, dossier, at)?;
    event(
        conn,
        dossier,
        actor,
        changes,
        History {
            kind: "complaint",
            from_status: None,
            to_status: None,
            at: at.naive_utc(),
            official_id: None,
            note: Some(content),
        },
    )
}

/// A line of a dossier's history.
struct History {
    kind: &'static str,
    from_status: Option<DossierStatus>,
    to_status: Option<DossierStatus>,
    at: NaiveDateTime,
    official_id: Option<OfficialId>,
    note: Option<String>,
}

/// Writes `history` for `dossier` (as it is after the change) and queues its audit record.
fn event(
    conn: &mut DbConnection,
    dossier: &Dossier,
    actor: &Actor,
    changes: &mut Changes,
    history: History,
) -> Result<(), ApiError> {
    let new = NewEvent {
        dossier_id: dossier.id,
        at: history.at,
        kind: history.kind.to_owned(),
        from_status: history.from_status,
        to_status: history.to_status,
        official_id: history.official_id,
        actor_key_id: actor.key_id,
        note: history.note,
        request_id: actor.request_id.clone(),
    };
    let id = dossiers::insert_event(conn, &new)?;
    changes.record(
        actor,
        &format!("dossier.{}", action_of(history.kind)),
        dossier,
        &ChangeRecord::new(dossier, &new, id),
    )
}

/// The audit action of a kind of history event.
fn action_of(kind: &str) -> &str {
    match kind {
        "status" => "transition",
        other => other,
    }
}

fn due_time(
    calendar: &WorkingCalendar,
    received: DateTime<Utc>,
    days: i32,
) -> Result<DateTime<Utc>, ApiError> {
    let days =
        u32::try_from(days).map_err(|_| ApiError::Internal("negative processing time".into()))?;
    calendar
        .due_time(received, days)
        .map_err(|e| calendar_error(&e))
}

fn calendar_error(error: &motcua_core::calendar::CalendarError) -> ApiError {
    ApiError::invalid("at", format!("cannot compute the deadline: {error}"))
}

fn check_not_future(at: DateTime<Utc>, field: &str) -> Result<(), ApiError> {
    if at > Utc::now() + chrono::Duration::seconds(CLOCK_SKEW_SECONDS) {
        return Err(ApiError::invalid(field, "cannot be in the future"));
    }
    Ok(())
}

/// Events are dated in order: not before the dossier's latest event, not in the future.
fn check_event_time(
    conn: &mut DbConnection,
    dossier: &Dossier,
    at: DateTime<Utc>,
) -> Result<(), ApiError> {
    check_not_future(at, "at")?;
    let last = dossiers::last_event_at(conn, dossier.id)?;
    if last.is_some_and(|last| at.naive_utc() < last) {
        return Err(ApiError::invalid(
            "at",
            "cannot be earlier than the dossier's latest event",
        ));
    }
    Ok(())
}

fn changed_concurrently(error: DbError) -> ApiError {
    match error {
        DbError::Refused(reason) => ApiError::Conflict(format!("{reason}; reload it and retry")),
        other => other.into(),
    }
}
