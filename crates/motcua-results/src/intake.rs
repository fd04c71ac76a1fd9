//! Dossier intake with group commit. Creations that arrive while a transaction is being written
//! wait and are then written together, in one transaction of a few statements whatever their
//! number (numbers, dossiers, components, history, counters). A transaction per dossier would
//! cost a dozen statements and a commit each, which is what limits intake on a busy desk.
//!
//! Each caller is answered only after the transaction holding its dossier has committed, so an
//! acknowledged dossier is as durable as before. A dossier refused by the records (unit out of
//! scope, unknown procedure) is answered with its own error and leaves the others of its batch
//! alone; any other failure of a batch rolls it back and its dossiers are then written one by
//! one, each in its own transaction, so that every caller gets the answer it would have had
//! alone.

use std::sync::Mutex;

use actix_web::web::Data;
use actix_web::ResponseError;
use motcua_core::calendar::WorkingCalendar;
use motcua_db::dossiers::Dossier;
use motcua_db::{Backend, DbConnection};
use motcua_web::auth::Principal;
use tokio::sync::oneshot;

use crate::auth::UnitScope;
use crate::lifecycle::{self, Changes, DossierInput, Records};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::error::ApiError;

/// Most dossiers written in one transaction.
const MAX_BATCH: usize = 64;

/// Creations waiting to be written together.
pub type IntakeQueue = Batches<Waiting>;

/// Writers at once on `backend`. PostgreSQL locks rows, so while one batch commits the next is
/// already being written (numbers and counters are locked in one order: no deadlock). SQLite
/// has one write lock for the whole database: a second writer would only wait for it, and make
/// the batches smaller.
pub fn writers_for(backend: Backend) -> usize {
    match backend {
        Backend::Postgres => 2,
        Backend::Sqlite => 1,
    }
}

/// Items waiting to be handled in batches by at most `max_writers` writers at a time.
pub struct Batches<T> {
    queue: Mutex<Queue<T>>,
    max_writers: usize,
}

struct Queue<T> {
    waiting: Vec<T>,
    /// Writers at work.
    writers: usize,
}

/// A creation and who waits for its outcome.
pub struct Waiting {
    creation: Creation,
    answer: oneshot::Sender<Result<Dossier, ApiError>>,
}

/// A dossier to create, with who asks for it.
#[derive(Clone)]
struct Creation {
    who: Principal,
    input: DossierInput,
    actor: Actor,
}

impl<T> Batches<T> {
    pub fn new(max_writers: usize) -> Self {
        Self {
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                writers: 0,
            }),
            max_writers: max_writers.max(1),
        }
    }

    /// Queues an item; true when the caller must start a writer.
    fn push(&self, item: T) -> bool {
        let mut queue = self.lock();
        queue.waiting.push(item);
        let start = queue.writers < self.max_writers;
        if start {
            queue.writers += 1;
        }
        start
    }

    /// A writer's next items, oldest first; `None` (and that writer stops) when there are none.
    fn next_batch(&self) -> Option<Vec<T>> {
        let mut queue = self.lock();
        if queue.waiting.is_empty() {
            queue.writers -= 1;
            return None;
        }
        let take = queue.waiting.len().min(MAX_BATCH);
        Some(queue.waiting.drain(..take).collect())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue<T>> {
        // A panic while holding the lock leaves a consistent queue (push and drain only).
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Creates a dossier, written together with the creations that arrive meanwhile.
pub async fn create(
    state: &Data<AppState>,
    who: Principal,
    input: DossierInput,
    actor: Actor,
) -> Result<Dossier, ApiError> {
    let (answer, outcome) = oneshot::channel();
    let creation = Creation { who, input, actor };
    if state.intake.push(Waiting { creation, answer }) {
        // The writer runs on its own, so that a caller who goes away does not stop it.
        actix_web::rt::spawn(write_queued(state.clone()));
    }
    outcome
        .await
        .map_err(|_| ApiError::internal("the dossier writer stopped"))?
}

/// Writes batches until no creation waits.
async fn write_queued(state: Data<AppState>) {
    let mut writer = Writer {
        queue: &state.intake,
        done: false,
    };
    while let Some(batch) = writer.next_batch() {
        write_batch(&state, batch).await;
    }
}

/// A writer's hold on the queue. Should its task end otherwise than by finding the queue empty
/// (a panic, the worker shutting down), the queue counts it as gone, so that the next item
/// starts another and the items still waiting are handled then.
struct Writer<'a, T> {
    queue: &'a Batches<T>,
    done: bool,
}

impl<T> Writer<'_, T> {
    fn next_batch(&mut self) -> Option<Vec<T>> {
        let batch = self.queue.next_batch();
        self.done = batch.is_none();
        batch
    }
}

impl<T> Drop for Writer<'_, T> {
    fn drop(&mut self) {
        if !self.done {
            self.queue.lock().writers -= 1;
        }
    }
}

async fn write_batch(state: &Data<AppState>, batch: Vec<Waiting>) {
    let (creations, answers): (Vec<Creation>, Vec<_>) = batch
        .into_iter()
        .map(|waiting| (waiting.creation, waiting.answer))
        .unzip();
    let calendar = state.calendar();
    let together = {
        let (creations, calendar) = (creations.clone(), calendar.clone());
        state
            .write(move |conn| create_together(conn, &calendar, &creations))
            .await
    };
    let error = match together {
        Ok(outcomes) => {
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                // A caller who went away no longer needs the answer.
                let _ = answer.send(outcome);
            }
            return;
        }
        Err(error) => error,
    };
    if creations.len() > 1 && error.status_code().is_client_error() {
        // Refused as a whole (a unit out of numbers, say): each on its own, to find which.
        for (answer, creation) in answers.into_iter().zip(creations) {
            let calendar = calendar.clone();
            let outcome = state
                .write(move |conn| create_alone(conn, &calendar, &creation))
                .await;
            let _ = answer.send(outcome);
        }
        return;
    }
    // The database failed: every caller gets that answer.
    let mut answers = answers.into_iter();
    let last = answers.next_back();
    for answer in answers {
        let _ = answer.send(Err(server_error_like(&error)));
    }
    if let Some(answer) = last {
        let _ = answer.send(Err(error));
    }
}

/// A server error telling another caller what `error` tells its own.
fn server_error_like(error: &ApiError) -> ApiError {
    match error {
        ApiError::Unavailable(reason) => ApiError::Unavailable(reason.clone()),
        other => ApiError::internal(other.to_string()),
    }
}

/// Refuses a creation the key may not make: a unit outside its subtree (403), a receiving
/// official outside it (403) or unknown or no longer active (422).
pub(crate) fn require_allowed(
    conn: &mut DbConnection,
    who: &Principal,
    input: &DossierInput,
) -> Result<(), ApiError> {
    who.require_unit(conn, input.unit_id)?;
    if let Some(official) = input.receiving_official_id {
        who.require_official(conn, official, "receiving_official_id")?;
    }
    Ok(())
}

/// Creates a dossier in the caller's transaction rather than in a batch: for a request whose
/// answer is kept with its dossier (`Idempotency-Key`), which a shared batch cannot do.
pub fn create_in(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    who: Principal,
    input: DossierInput,
    actor: Actor,
) -> Result<Dossier, ApiError> {
    create_alone(conn, calendar, &Creation { who, input, actor })
}

/// One dossier in its own transaction (the connection's).
fn create_alone(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    creation: &Creation,
) -> Result<Dossier, ApiError> {
    require_allowed(conn, &creation.who, &creation.input)?;
    let dossier = Changes::within(conn, |conn, changes| {
        lifecycle::create(conn, calendar, &creation.input, &creation.actor, changes)
    })?;
    Ok(dossier)
}

/// Every creation in the connection's transaction: an outcome per creation, or an error that
/// rolls all of them back.
fn create_together(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    creations: &[Creation],
) -> Result<Vec<Result<Dossier, ApiError>>, ApiError> {
    let records = Records::for_inputs(conn, creations.iter().map(|c| &c.input))?;
    let mut outcomes: Vec<Option<Result<Dossier, ApiError>>> = Vec::new();
    let mut planned = Vec::new();
    let mut planned_at = Vec::new();
    for (index, creation) in creations.iter().enumerate() {
        let plan = require_allowed(conn, &creation.who, &creation.input).and_then(|()| {
            lifecycle::plan(conn, calendar, &creation.input, &creation.actor, &records)
                .map_err(ApiError::from)
        });
        match plan {
            Ok(plan) => {
                planned.push(plan);
                planned_at.push(index);
                outcomes.push(None);
            }
            // Refused by the records, before anything was written: this creation only.
            Err(refused) if refused.status_code().is_client_error() => {
                outcomes.push(Some(Err(refused)));
            }
            Err(failed) => return Err(failed),
        }
    }
    let written = Changes::within(conn, |conn, changes| {
        lifecycle::write_planned(conn, planned, changes)
    })?;
    for (index, dossier) in planned_at.into_iter().zip(written) {
        if let Some(outcome) = outcomes.get_mut(index) {
            *outcome = Some(Ok(dossier));
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| Err(ApiError::internal("a dossier was not written")))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{Batches, Writer, MAX_BATCH};

    #[test]
    fn one_writer_takes_everything_waiting_in_batches() {
        let batches = Batches::new(1);
        assert!(batches.push(0), "the first item starts the writer");
        for item in 1..100 {
            assert!(!batches.push(item), "a writer is already at work");
        }
        let mut writer = Writer {
            queue: &batches,
            done: false,
        };
        let first = writer.next_batch().unwrap_or_default();
        assert_eq!(first, (0..MAX_BATCH).collect::<Vec<_>>());
        assert_eq!(writer.next_batch().map(|b| b.len()), Some(100 - MAX_BATCH));
        assert_eq!(writer.next_batch(), None);
        drop(writer);
        assert!(
            batches.push(100),
            "the writer stopped: the next item starts one"
        );
    }

    #[test]
    fn a_writer_that_ends_early_lets_the_next_item_start_another() {
        let batches = Batches::new(1);
        assert!(batches.push(1));
        {
            let mut writer = Writer {
                queue: &batches,
                done: false,
            };
            assert_eq!(writer.next_batch(), Some(vec![1]));
            assert!(!batches.push(2));
            // The task ends here without having seen the queue empty.
        }
        assert!(batches.push(3), "a new writer is needed");
        assert_eq!(batches.next_batch(), Some(vec![2, 3]), "nothing was lost");
    }

    #[test]
    fn at_most_the_allowed_writers_start_and_each_stop_frees_a_place() {
        let batches = Batches::new(2);
        assert!(batches.push(1), "first writer");
        assert!(batches.push(2), "second writer");
        assert!(!batches.push(3), "two are at work");
        assert_eq!(batches.next_batch(), Some(vec![1, 2, 3]));
        assert_eq!(batches.next_batch(), None, "one writer stops");
        assert!(batches.push(4), "a place is free again");
        assert!(!batches.push(5));
    }
}
