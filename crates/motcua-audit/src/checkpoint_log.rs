//! The newest audit checkpoint kept outside the database: whoever can change the database can
//! lift its triggers and empty both audit tables, leaving nothing inside it to compare with, but
//! cannot reach a file kept elsewhere, the logs or the metrics scraped by another system.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_db::audit::Checkpoint;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use motcua_web::observe::Metrics;

/// A checkpoint's tree head as copied outside the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckpointRoot {
    pub checkpoint_id: i64,
    pub created_at: DateTime<Utc>,
    pub first_record_id: i64,
    pub last_record_id: i64,
    pub tree_size: i64,
    pub root_hash: String,
    pub last_record_hash: String,
    /// SHA-256 (hex) of the signing certificate; absent when unsigned.
    pub signer_fingerprint: Option<String>,
    /// Detached CMS signature (DER, base64) over the checkpoint's statement.
    pub signature_base64: Option<String>,
}

impl From<&Checkpoint> for CheckpointRoot {
    fn from(c: &Checkpoint) -> Self {
        Self {
            checkpoint_id: c.id,
            created_at: c.created_at.and_utc(),
            first_record_id: c.first_record_id,
            last_record_id: c.last_record_id,
            tree_size: c.tree_size,
            root_hash: c.root_hash.clone(),
            last_record_hash: c.last_record_hash.clone(),
            signer_fingerprint: c.signer_fingerprint.clone(),
            signature_base64: c
                .signature
                .as_ref()
                .map(|s| base64::engine::general_purpose::STANDARD.encode(s)),
        }
    }
}

/// Where checkpoints are copied outside the database.
pub struct CheckpointLog {
    file: Option<PathBuf>,
    /// The newest checkpoint this process made.
    latest: Mutex<Option<CheckpointRoot>>,
}

impl CheckpointLog {
    pub fn new(file: Option<PathBuf>) -> Self {
        Self {
            file,
            latest: Mutex::new(None),
        }
    }

    /// Copies a committed checkpoint outside: a line of the file (flushed to disk), a log line,
    /// the metrics and this process's memory. A failure is logged: the checkpoint is committed.
    pub fn publish(&self, checkpoint: &Checkpoint, metrics: &Metrics) {
        let root = CheckpointRoot::from(checkpoint);
        tracing::info!(
            checkpoint_id = root.checkpoint_id,
            first_record_id = root.first_record_id,
            last_record_id = root.last_record_id,
            tree_size = root.tree_size,
            root_hash = %root.root_hash,
            last_record_hash = %root.last_record_hash,
            signer_fingerprint = root.signer_fingerprint.as_deref().unwrap_or("-"),
            "audit checkpoint root"
        );
        metrics.checkpoint_made(root.checkpoint_id, &root.root_hash, root.last_record_id);
        if let Some(file) = &self.file {
            if let Err(error) = append_line(file, &root) {
                tracing::error!(%error, file = %file.display(), "audit checkpoint not copied to its file");
            }
        }
        *self.latest.lock().unwrap_or_else(PoisonError::into_inner) = Some(root);
    }

    /// The newest copy that can be read (the file's last line, or this process's memory when
    /// newer or when there is no file), with where it was read.
    pub fn newest(&self) -> Option<(String, CheckpointRoot)> {
        let from_file = self.file.as_ref().and_then(|file| match last_line(file) {
            Ok(root) => root.map(|root| (format!("file {}", file.display()), root)),
            Err(error) => {
                tracing::warn!(%error, file = %file.display(), "audit checkpoint file unreadable");
                None
            }
        });
        let in_memory = self
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .map(|root| ("memory of the running service".to_owned(), root));
        match (from_file, in_memory) {
            (Some(file), Some(memory)) if memory.1.checkpoint_id > file.1.checkpoint_id => {
                Some(memory)
            }
            (Some(file), _) => Some(file),
            (None, memory) => memory,
        }
    }
}

fn append_line(file: &Path, root: &CheckpointRoot) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(root).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    out.write_all(&line)?;
    out.sync_data()
}

/// The last complete line of the file, read from its end (the file grows by a line per
/// checkpoint for as long as the service runs).
fn last_line(file: &Path) -> std::io::Result<Option<CheckpointRoot>> {
    const TAIL: u64 = 64 * 1024;
    let mut input = match std::fs::File::open(file) {
        Ok(input) => input,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let length = input.metadata()?.len();
    input.seek(SeekFrom::Start(length.saturating_sub(TAIL)))?;
    let mut tail = String::new();
    input.read_to_string(&mut tail)?;
    let Some(line) = tail.lines().rev().find(|line| !line.trim().is_empty()) else {
        return Ok(None);
    };
    serde_json::from_str(line)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
