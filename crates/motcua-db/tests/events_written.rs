//! Readers of the event log are woken by the commit of a transaction that appended events, and
//! only by such a commit: not by a transaction that rolled back, nor by one that wrote no event.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use motcua_core::event::EventType;
use motcua_db::events::{self, EventFilter, NewStoredEvent};
use motcua_db::{now, write_transaction, Database, DbError, DbPool, PoolOptions};

fn event(id: &str) -> NewStoredEvent {
    NewStoredEvent {
        id: id.to_owned(),
        event_type: EventType::DossierCreated,
        subject: "000.00.01.H01-240101-0001".into(),
        unit_id: None,
        unit_scope: " ".into(),
        occurred_at: now(),
        data: "{}".into(),
    }
}

#[test]
fn only_committed_appends_wake_readers() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/events.sqlite3", dir.path().display());
    let options = PoolOptions {
        max_connections: 1,
        ..PoolOptions::default()
    };
    let pool = DbPool::open_database(Database::Results, &url, options).unwrap();
    let mut conn = pool.get().unwrap();
    let mut written = events::written();
    written.borrow_and_update();

    // Rolled back: nothing to read, nobody woken.
    let failed: Result<(), DbError> = write_transaction(&mut conn, |conn| {
        events::append(conn, &[event("a")])?;
        Err(DbError::Refused("rolled back".into()))
    });
    assert!(failed.is_err());
    assert!(!written.has_changed().unwrap());
    // A write without events wakes nobody.
    write_transaction(&mut conn, |conn| events::last_sequence(conn).map(|_| ())).unwrap();
    assert!(!written.has_changed().unwrap());

    write_transaction(&mut conn, |conn| {
        events::append(conn, &[event("b"), event("c")])
    })
    .unwrap();
    assert!(written.has_changed().unwrap());
    let stored = events::after(&mut conn, 0, &EventFilter::default(), 10).unwrap();
    let ids: Vec<&str> = stored.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["b", "c"]);
    assert!(stored[0].sequence < stored[1].sequence);
}
