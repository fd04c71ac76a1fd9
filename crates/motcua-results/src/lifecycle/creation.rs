//! A dossier's creation: checked against the records, numbered, written with its components and
//! first history event.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use motcua_core::calendar::WorkingCalendar;
use motcua_core::dossier::{dossier_code, vietnam_day, DossierStatus};
use motcua_core::record_ids::{DossierId, ProcedureId, UnitId};
use motcua_db::dossiers::{self, Dossier, NewComponent, NewDossier, NewEvent};
use motcua_db::procedures::Procedure;
use motcua_db::units::Unit;
use motcua_db::{now, officials, procedures, units, DbConnection, DbError};

use super::changes::ChangeRecord;
use super::{check_not_future, due_time, Changes, ComponentInput, DossierInput, LifecycleError};
use motcua_audit::Actor;

/// Creates a dossier: checks it against the records, takes its number, writes it with its
/// components and first history event.
pub fn create(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    input: &DossierInput,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Dossier, LifecycleError> {
    let records = Records::for_inputs(conn, std::iter::once(input))?;
    let planned = plan(conn, calendar, input, actor, &records)?;
    let mut created = write_planned(conn, vec![planned], changes)?;
    created
        .pop()
        .ok_or_else(|| LifecycleError::Internal("the dossier was not written".into()))
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
    ) -> Result<Self, LifecycleError> {
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
) -> Result<PlannedDossier, LifecycleError> {
    check_not_future(input.submitted_at, "submitted_at")?;
    if !matches!(input.status, DossierStatus::New | DossierStatus::Receiving) {
        return Err(LifecycleError::invalid(
            "status",
            "a dossier starts as `new` (accepted) or `receiving` (online, to be accepted)",
        ));
    }
    let unit = records
        .units
        .get(&input.unit_id)
        .ok_or(DbError::NotFound)
        .map_err(LifecycleError::missing_reference("unit_id"))?;
    let day = vietnam_day(input.submitted_at);
    if unit.valid_from > day || unit.valid_to.is_some_and(|last| last < day) {
        return Err(LifecycleError::invalid(
            "unit_id",
            "the unit did not exist on the day of submission",
        ));
    }
    let procedure = records
        .procedures
        .get(&input.procedure_id)
        .ok_or(DbError::NotFound)
        .map_err(LifecycleError::missing_reference("procedure_id"))?;
    if let Some(official) = input.receiving_official_id {
        officials::find(conn, official)
            .map_err(LifecycleError::missing_reference("receiving_official_id"))?;
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
) -> Result<Vec<Dossier>, LifecycleError> {
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
        changes.publish(dossier, None, event.at);
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
fn number(conn: &mut DbConnection, planned: &mut [PlannedDossier]) -> Result<(), LifecycleError> {
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
            .ok_or_else(|| LifecycleError::Internal("no number for a dossier".into()))?;
        let given = u32::try_from(*number)
            .map_err(|_| LifecycleError::Internal("negative dossier number".into()))?;
        if given > 9999 {
            return Err(LifecycleError::Conflict(format!(
                "unit {} has used all 9999 dossier numbers of {}",
                p.unit_code, p.day
            )));
        }
        p.new.code = dossier_code(&p.unit_code, p.day, given);
        *number += 1;
    }
    Ok(())
}
