//! Checking the audit trail from the outside: inclusion proofs recomputed here, independently of
//! the service's code, and records changed behind the service's back.

use motcua_db::DbPool;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{execute, Backend};

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), from the record's hash, or `None`
/// when the proof is malformed. Also checks that `leaf_hash` is SHA-256(0x00 ‖ record hash).
pub fn root_of_proof(proof: &Value) -> Option<String> {
    let record_hash = hex::decode(proof["record_hash"].as_str()?).ok()?;
    let leaf = sha256(&[&[0u8], &record_hash]);
    if hex::encode(leaf) != proof["leaf_hash"].as_str()? {
        return None;
    }
    let index = proof["leaf_index"].as_u64()?;
    let size = proof["tree_size"].as_u64()?;
    if index >= size {
        return None;
    }
    let (mut f, mut s, mut r) = (index, size - 1, leaf);
    for sibling in proof["audit_path"].as_array()? {
        let p: [u8; 32] = hex::decode(sibling.as_str()?).ok()?.try_into().ok()?;
        if s == 0 {
            return None;
        }
        if f % 2 == 1 || f == s {
            r = sha256(&[&[1u8], &p, &r]);
            while f % 2 == 0 && f != 0 {
                f /= 2;
                s /= 2;
            }
        } else {
            r = sha256(&[&[1u8], &r, &p]);
        }
        f /= 2;
        s /= 2;
    }
    (s == 0).then(|| hex::encode(r))
}

/// Lifts the append-only protection of `audit_events`, as someone with the database's owner
/// rights could.
fn unprotect(backend: Backend) -> Vec<String> {
    match backend {
        Backend::Postgres => vec!["ALTER TABLE audit_events DISABLE TRIGGER ALL".into()],
        Backend::Sqlite => vec![
            "DROP TRIGGER IF EXISTS audit_events_no_update".into(),
            "DROP TRIGGER IF EXISTS audit_events_no_delete".into(),
        ],
    }
}

/// Changes the detail of record `id` directly in the database.
pub fn tamper_with_record(pool: &DbPool, backend: Backend, id: i64) {
    let mut statements = unprotect(backend);
    statements.push(format!(
        "UPDATE audit_events SET detail = '{{\"name\":\"forged\"}}' WHERE id = {id}"
    ));
    execute(pool, &statements);
}

/// Removes record `id` directly in the database.
pub fn delete_record(pool: &DbPool, backend: Backend, id: i64) {
    let mut statements = unprotect(backend);
    statements.push(format!("DELETE FROM audit_events WHERE id = {id}"));
    execute(pool, &statements);
}

/// Empties the audit trail, checkpoints included, as someone with the database's owner rights
/// could: on PostgreSQL the triggers are disabled first (TRUNCATE is refused otherwise), on
/// SQLite they are dropped and every row deleted.
pub fn empty_trail(pool: &DbPool, backend: Backend) {
    let statements: Vec<String> = match backend {
        Backend::Postgres => vec![
            "ALTER TABLE audit_events DISABLE TRIGGER ALL".into(),
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL".into(),
            "TRUNCATE audit_events, audit_checkpoints".into(),
        ],
        Backend::Sqlite => {
            let mut statements = unprotect(backend);
            statements.extend([
                "DROP TRIGGER IF EXISTS audit_checkpoints_no_update".into(),
                "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete".into(),
                "DELETE FROM audit_events".into(),
                "DELETE FROM audit_checkpoints".into(),
            ]);
            statements
        }
    };
    execute(pool, &statements);
}
