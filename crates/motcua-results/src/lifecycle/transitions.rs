//! Changes of an existing dossier: status transitions (with deadline pauses and resolution),
//! apologies, ratings, digitisation and complaints, each with its history line.

use chrono::{DateTime, NaiveDateTime, Utc};
use motcua_core::calendar::WorkingCalendar;
use motcua_core::dossier::{vietnam_day, DossierStatus, Rating, Resolution};
use motcua_core::record_ids::OfficialId;
use motcua_db::dossiers::{self, Dossier, DossierState, NewEvent};
use motcua_db::{now, officials, procedures, DbConnection};

use super::changes::ChangeRecord;
use super::{
    calendar_error, changed_concurrently, check_event_time, due_time, ApologyInput, Changes,
    LifecycleError, TransitionInput,
};
use motcua_audit::Actor;

pub fn transition(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    dossier: &Dossier,
    input: &TransitionInput,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Dossier, LifecycleError> {
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
        return Err(LifecycleError::Conflict(format!(
            "a `{from}` dossier cannot become `{}`; allowed: {allowed}",
            input.to
        )));
    }
    if input.to.needs_note() && input.note.as_deref().is_none_or(str::is_empty) {
        return Err(LifecycleError::invalid(
            "note",
            format!("give the reason when a dossier becomes `{}`", input.to),
        ));
    }
    if input.electronic_result && input.to != DossierStatus::Releasing {
        return Err(LifecycleError::invalid(
            "electronic_result",
            "only a dossier becoming `releasing` has a result",
        ));
    }
    check_event_time(conn, dossier, input.at)?;
    if let Some(official) = input.official_id {
        officials::find(conn, official)
            .map_err(LifecycleError::missing_reference("official_id"))?;
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
) -> Result<(), LifecycleError> {
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
) -> Result<(), LifecycleError> {
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

/// An apology with a new appointment, for a dossier that is overdue.
pub fn apologise(
    conn: &mut DbConnection,
    dossier: &Dossier,
    apology: &ApologyInput,
    actor: &Actor,
    changes: &mut Changes,
) -> Result<Dossier, LifecycleError> {
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
        return Err(LifecycleError::Conflict(
            "an apology is for an accepted, unresolved dossier past its due time".into(),
        ));
    }
    if new_appointment <= at {
        return Err(LifecycleError::invalid(
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
) -> Result<Dossier, LifecycleError> {
    if dossier.status != DossierStatus::Done {
        return Err(LifecycleError::Conflict(
            "a dossier is rated when its result has been handed over (`done`)".into(),
        ));
    }
    if dossier.rating.is_some() {
        return Err(LifecycleError::Conflict(
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
) -> Result<Dossier, LifecycleError> {
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
) -> Result<(), LifecycleError> {
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
) -> Result<(), LifecycleError> {
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
    if history.kind == "status" {
        changes.publish(dossier, history.from_status, history.at);
    }
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
