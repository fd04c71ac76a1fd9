//! `motcua archive status|renew`: the archive renewal of either service run against its
//! database, as the service's `/archive` endpoints run it, with progress on standard output.

use chrono::Utc;
use clap::Subcommand;
use motcua_db::DbPool;
use motcua_pki::TrustStore;
use motcua_web::archival::{Archival, SigningConfig};
use motcua_web::archive::{
    self, ArchiveService, ArchiveSettings, ArchiveStatus, RenewalBy, RenewalProgress, RenewalRun,
};

#[derive(Clone, Copy, Subcommand)]
pub enum ArchiveCommand {
    /// Count the stored documents by what their archive timestamp needs.
    Status {
        /// Whose documents: `results` (electronic results) or `reports` (issued reports).
        #[arg(long, default_value = "results")]
        service: ArchiveService,
    },
    /// Give the documents that need it a new document timestamp. Safe to interrupt and to run
    /// again: renewed documents need nothing more, so the next run goes on.
    Renew {
        #[arg(long, default_value = "results")]
        service: ArchiveService,
        /// Renew at most this many documents.
        #[arg(long)]
        limit: Option<u64>,
    },
}

/// What the command needs of a service: its database and the trust store chains are built from.
pub struct ServiceArchive {
    pub db: DbPool,
    pub store: TrustStore,
}

/// Runs `command`; `open` opens the database and trust store of a service.
pub fn run(
    command: ArchiveCommand,
    open: impl FnOnce(ArchiveService) -> Result<ServiceArchive, String>,
) -> Result<(), String> {
    let settings = ArchiveSettings::from_env().map_err(|e| e.to_string())?;
    let service = match command {
        ArchiveCommand::Status { service } | ArchiveCommand::Renew { service, .. } => service,
    };
    let opened = open(service)?;
    actix_web::rt::System::new().block_on(async move {
        match command {
            ArchiveCommand::Status { service } => {
                let status = archive::status(&opened.db, service, &settings, Utc::now())
                    .await
                    .map_err(|e| e.to_string())?;
                print_status(&status);
                Ok(())
            }
            ArchiveCommand::Renew { service, limit } => {
                renew(&opened, service, &settings, limit).await
            }
        }
    })
}

async fn renew(
    opened: &ServiceArchive,
    service: ArchiveService,
    settings: &ArchiveSettings,
    limit: Option<u64>,
) -> Result<(), String> {
    let signing = SigningConfig::from_env().map_err(|e| e.to_string())?;
    let archival = Archival::new(signing).map_err(|e| e.to_string())?;
    let run = RenewalRun {
        db: &opened.db,
        service,
        archival: &archival,
        store: &opened.store,
        settings,
        by: RenewalBy {
            key_id: None,
            name: "command line: archive renew".into(),
            request_id: "-".into(),
        },
    };
    let progress = run
        .run(limit, print_progress)
        .await
        .map_err(|e| e.to_string())?;
    for failure in &progress.failed {
        println!("failed {}: {}", failure.object_id, failure.reason);
    }
    print_progress(&progress);
    if progress.failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} documents could not be renewed",
            progress.failed.len()
        ))
    }
}

fn print_progress(progress: &RenewalProgress) {
    println!(
        "examined {} renewed {} not needed {} changed meanwhile {} failed {} remaining {}",
        progress.examined,
        progress.renewed,
        progress.not_needed,
        progress.skipped_changed,
        progress.failed.len(),
        progress.remaining
    );
}

fn print_status(status: &ArchiveStatus) {
    println!("total {}", status.total);
    println!("not needed {}", status.not_needed);
    println!("no document timestamp {}", status.no_document_timestamp);
    println!("authority expiring {}", status.authority_expiring);
    println!("hash retired {}", status.hash_retired);
    println!("unreadable {}", status.unreadable);
}
