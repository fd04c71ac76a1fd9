//! `motcua`: runs the system, issues the first admin key, loads reference data and exports the
//! OpenAPI documents. Configuration comes from the environment (see README.md).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

mod archive;
mod demo;
mod keys;
mod sign;
mod verify;

use clap::{Parser, Subcommand, ValueEnum};
use motcua_audit::Actor;
use motcua_core::access::Role;
use motcua_core::record_ids::UnitId;
use motcua_db::{Database, DbPool, PoolOptions};
use motcua_keys::api_keys::{issue_key, KeyRequest, NewApiKeyRequest};
use motcua_reports::config::ReportsConfig;
use motcua_results::config::ResultsConfig;

/// The services allocate and free document buffers (100 KB to 50 MB) at every request; glibc's
/// allocator returns such memory to the system and faults it back in on the next one, which cost
/// about 6 % of a PDF signature.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "One-stop office (Bộ phận Một cửa) results and reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the services until interrupted.
    Serve {
        /// Load the seed scenario first when the database does not hold it: units, staff,
        /// catalogue, dossiers and, on SQLite, the demo PKI (TEST certificates).
        #[arg(long, value_enum)]
        seed: Option<Seed>,
    },
    /// Make the demo PKI (TEST certificates for the seed district's officials and units, under
    /// `$MOTCUA_DATA_DIR/demo-pki/`) and install it in both services' databases.
    DemoPki {
        /// Also on a PostgreSQL database (refused by default: TEST certificates must never
        /// reach production).
        #[arg(long)]
        force: bool,
    },
    /// Issue an API key directly in the database (the first admin key cannot come from the API).
    CreateKey {
        /// Who the key is for.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "admin")]
        role: String,
        /// Which service's database the key is for.
        #[arg(long, value_enum, default_value = "results")]
        service: Service,
        /// The unit an officer or integration key is limited to.
        #[arg(long)]
        unit: Option<i64>,
        /// Scopes of an integration key, e.g. `--scope submissions:write` (repeatable).
        #[arg(long = "scope")]
        scopes: Vec<String>,
    },
    /// Load reference data.
    Seed {
        #[arg(value_enum)]
        data: Seed,
    },
    /// Generate dossiers: the seed report's district, or any number for benchmarks.
    Generate {
        #[command(subcommand)]
        scenario: Scenario,
    },
    /// The signer's side of two-step signing. With `--service`: fetches a signing session (by
    /// `--session`, or the oldest open one of `--next-for` official), shows what is signed, signs
    /// with the token (`--pkcs11-module`, `--token`, `--key`) or a PKCS#12 file, posts the
    /// signature and prints the outcome; the PIN or password is typed without echo or read from
    /// `--pin-fd`. With `--to-be-signed`: signs those bytes with the PKCS#12 file and prints the
    /// signature (base64).
    Sign {
        /// The service holding the session (results or report service), e.g.
        /// `http://127.0.0.1:8080`.
        #[arg(long, conflicts_with = "to_be_signed", requires = "api_key_env")]
        service: Option<String>,
        /// The environment variable holding the official's API key.
        #[arg(long)]
        api_key_env: Option<String>,
        /// The signing session to sign.
        #[arg(long, conflicts_with = "next_for")]
        session: Option<String>,
        /// Sign the oldest open session of this official.
        #[arg(long)]
        next_for: Option<i64>,
        #[arg(long, conflicts_with = "pkcs11_module")]
        pkcs12: Option<PathBuf>,
        /// The PKCS#11 module of the official's token.
        #[arg(long, requires_all = ["token", "key"])]
        pkcs11_module: Option<PathBuf>,
        /// The token's label.
        #[arg(long)]
        token: Option<String>,
        /// The key's label on the token.
        #[arg(long)]
        key: Option<String>,
        /// Read the PIN or password from this file descriptor (first line).
        #[arg(long)]
        pin_fd: Option<u32>,
        /// The PKCS#12 password with `--to-be-signed` (default: the MOTCUA_PKCS12_PASSWORD
        /// variable).
        #[arg(long, env = "MOTCUA_PKCS12_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The bytes to sign, base64, as the service returned them.
        #[arg(long, requires = "pkcs12")]
        to_be_signed: Option<String>,
    },
    /// Keys on PKCS#11 tokens and HSMs: `keys generate --pkcs11 …` makes a key pair on the token
    /// and writes the PKCS#10 request for the CA.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Recompute the statistics counters from the dossiers.
    RebuildStatistics,
    /// Verify every signature of a PDF, of a CMS signature holding its content, or of a detached
    /// CMS signature (`--detached DATA SIG`) offline, and print a short report naming the
    /// revocation data used; the exit code is 0 only when every signature is TOTAL_PASSED.
    Verify {
        /// The signed PDF, or a CMS signature holding its content (`.p7s`/`.p7m`, DER or PEM).
        #[arg(required_unless_present = "detached", conflicts_with = "detached")]
        file: Option<PathBuf>,
        /// A detached CMS signature: the signed data, then the signature (DER or PEM).
        #[arg(long, num_args = 2, value_names = ["DATA", "SIG"])]
        detached: Option<Vec<PathBuf>>,
        /// Folder of trusted CA certificates (`.pem`, `.crt`, `.cer`, `.der`, `.p7b`, `.p7c`:
        /// self-signed ones are roots, the others intermediates) and CRLs (`.crl`).
        #[arg(long, env = "MOTCUA_TRUST_ROOTS_DIR")]
        trust_roots: Option<PathBuf>,
        /// Accept signatures whose certificates have no usable CRL (by default the result is
        /// then INDETERMINATE / TRY_LATER); the report says that revocation was not required.
        /// A CRL that lists a certificate still makes it revoked.
        #[arg(long)]
        no_revocation_check: bool,
        /// Stop after this many seconds: what is not verified by then is INDETERMINATE /
        /// BUDGET_EXCEEDED, so that a hostile file cannot stall an audit.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
        budget_secs: u64,
    },
    /// The archive renewal: `status` counts what the stored documents need, `renew` gives those
    /// that need it a new document timestamp (settings: MOTCUA_SIGNING_CONFIG,
    /// MOTCUA_ARCHIVE_MARGIN_DAYS, MOTCUA_ARCHIVE_RETIRED_HASHES).
    Archive {
        #[command(subcommand)]
        command: archive::ArchiveCommand,
    },
    /// Write the OpenAPI documents into a folder.
    Openapi {
        #[arg(long, default_value = "api-spec")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, Subcommand)]
enum Scenario {
    /// Việt Yên with its dossiers of December 2022, 2023 and Q1/2024, reproducing the report.
    /// Results are on paper: `serve --seed viet-yen` also signs the electronic ones, with the
    /// demo PKI's TEST keys.
    VietYen {
        /// Also write each dossier's status history.
        #[arg(long)]
        history: bool,
    },
    /// Synthetic districts (a desk and 17 communes each) with dossiers over 2023 and 2024.
    Scale {
        #[arg(long)]
        dossiers: u64,
        #[arg(long, default_value_t = 10)]
        districts: u32,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Service {
    Results,
    Reports,
}

#[derive(Clone, Copy, ValueEnum)]
enum Seed {
    /// The district of the seed report (Việt Yên, Bắc Giang): units and desk staff.
    VietYen,
}

fn main() -> ExitCode {
    motcua_web::observe::init_logging();
    let result = match Cli::parse().command {
        Command::Serve { seed } => serve(seed),
        Command::DemoPki { force } => demo_pki(force),
        Command::CreateKey {
            name,
            role,
            service,
            unit,
            scopes,
        } => create_key(name, &role, service, unit, scopes),
        Command::Seed { data } => open_db().and_then(|db| seed_data(&db, data)),
        Command::Generate { scenario } => open_db().and_then(|db| generate(&db, scenario)),
        Command::Sign {
            service,
            api_key_env,
            session,
            next_for,
            pkcs12,
            pkcs11_module,
            token,
            key,
            pin_fd,
            password,
            to_be_signed,
        } => match (service, to_be_signed, pkcs12) {
            (None, Some(to_be_signed), Some(pkcs12)) => password
                .ok_or_else(|| "--password or MOTCUA_PKCS12_PASSWORD is needed".to_owned())
                .and_then(|password| sign(&pkcs12, &password, &to_be_signed)),
            (Some(service), None, pkcs12) => service_signing(
                service,
                api_key_env,
                session,
                next_for,
                pkcs12,
                pkcs11_module.zip(token).zip(key),
                pin_fd,
            )
            .and_then(sign::run),
            _ => Err("give --service, or --pkcs12 with --to-be-signed".into()),
        },
        Command::Keys { command } => keys::run(command),
        Command::RebuildStatistics => open_db().and_then(|db| rebuild_statistics(&db)),
        Command::Verify {
            file,
            detached,
            trust_roots,
            no_revocation_check,
            budget_secs,
        } => match (&file, detached.as_deref()) {
            (_, Some([data, signature])) => verify::run(
                verify::Signed::Detached { data, signature },
                trust_roots.as_deref(),
                !no_revocation_check,
                Duration::from_secs(budget_secs),
            ),
            (Some(file), _) => verify::run(
                verify::Signed::File(file),
                trust_roots.as_deref(),
                !no_revocation_check,
                Duration::from_secs(budget_secs),
            ),
            _ => Err("give the signed FILE, or --detached DATA SIG".into()),
        },
        Command::Archive { command } => archive::run(command, open_archive),
        Command::Openapi { out } => write_openapi(&out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("motcua: {message}");
            ExitCode::FAILURE
        }
    }
}

fn results_config() -> Result<ResultsConfig, String> {
    ResultsConfig::from_env().map_err(|e| e.to_string())
}

fn open_db() -> Result<DbPool, String> {
    let config = results_config()?;
    DbPool::open(
        &config.database_url,
        PoolOptions {
            max_connections: config.db_pool_size,
            ..PoolOptions::default()
        },
    )
}

fn reports_config() -> Result<ReportsConfig, String> {
    ReportsConfig::from_env().map_err(|e| e.to_string())
}

fn open_reports_db(config: &ReportsConfig) -> Result<DbPool, String> {
    DbPool::open_database(
        Database::Reports,
        &config.database_url,
        PoolOptions {
            max_connections: config.db_pool_size,
            ..PoolOptions::default()
        },
    )
}

/// The database and trust store of `service`, for `motcua archive`.
fn open_archive(
    service: motcua_web::archive::ArchiveService,
) -> Result<archive::ServiceArchive, String> {
    use motcua_web::archive::ArchiveService;
    match service {
        ArchiveService::Results => {
            let db = open_db()?;
            let mut conn = db.get().map_err(|e| e.to_string())?;
            let store = motcua_results::certificate_registry::build_store(&mut conn)
                .map_err(|e| e.to_string())?;
            drop(conn);
            Ok(archive::ServiceArchive { db, store })
        }
        ArchiveService::Reports => {
            let config = reports_config()?;
            let store = match &config.trust_roots_dir {
                Some(dir) => motcua_pki::TrustStore::from_dir(dir)?,
                None => motcua_pki::TrustStore::new(),
            };
            Ok(archive::ServiceArchive {
                db: open_reports_db(&config)?,
                store,
            })
        }
    }
}

/// Name of the key `serve` gives the report service to read the results service.
const LOCAL_REPORTS_KEY: &str = "report service (started by motcua serve)";

/// Runs both services. Unless told otherwise (`MOTCUA_RESULTS_URL`), the report service reads
/// the results service started here, with a fresh read-only key (the previous one is revoked).
fn serve(seed: Option<Seed>) -> Result<(), String> {
    let mut config = results_config()?;
    let db = open_db()?;
    let mut reports = reports_config()?;
    let reports_db = open_reports_db(&reports)?;
    if let Some(Seed::VietYen) = seed {
        demo::load_seed_scenario(&db, &reports_db, &config, &reports)?;
    }
    demo::use_demo_settings(&mut config, &mut reports);
    let has_admin = {
        let mut conn = db.get().map_err(|e| e.to_string())?;
        motcua_db::api_keys::count_active_admins(&mut conn).map_err(|e| e.to_string())? > 0
    };
    if reports.results_url.is_none() {
        let key = local_reports_key(&db)?;
        reports.results_url = Some(format!("http://{}", config.bind));
        reports.results_api_key = Some(motcua_web::config::Secret::new(key));
    }
    actix_web::rt::System::new().block_on(async move {
        let (results_server, results_addr) = motcua_results::start_with_pool(config, db)?;
        let (reports_server, reports_addr) = motcua_reports::start_with_pool(reports, reports_db)?;
        println!("motcua results service: http://{results_addr}  (API documentation: /docs/)");
        println!("motcua report service:  http://{reports_addr}  (API documentation: /docs/)");
        if !has_admin {
            println!("No admin key exists yet. Create the first ones in another terminal with:");
            println!("  cargo run --release --bin motcua -- create-key --name \"<your name>\"");
            println!(
                "  cargo run --release --bin motcua -- create-key --service reports --name \"<your name>\""
            );
        }
        let (results, reports) =
            futures_util::future::join(results_server.run(), reports_server.run()).await;
        println!("motcua stopped");
        results.and(reports).map_err(|e| e.to_string())
    })
}

fn local_reports_key(db: &DbPool) -> Result<String, String> {
    let request = KeyRequest::validate(&NewApiKeyRequest {
        name: LOCAL_REPORTS_KEY.into(),
        role: Role::Auditor,
        unit_id: None,
        scopes: Vec::new(),
    })
    .map_err(|e| e.to_string())?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let actor = Actor::command_line("serve");
    let (secret, _) = motcua_db::write_transaction(&mut conn, |conn| {
        let mut after = None;
        loop {
            let page = motcua_db::api_keys::list(conn, after, 200)?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for old in page
                .iter()
                .filter(|key| key.name == LOCAL_REPORTS_KEY && key.revoked_at.is_none())
            {
                motcua_db::api_keys::revoke(conn, old.id, motcua_db::now())?;
            }
        }
        issue_key(conn, &actor, &request, None)
    })
    .map_err(|e| e.to_string())?;
    Ok(secret)
}

fn create_key(
    name: String,
    role: &str,
    service: Service,
    unit: Option<i64>,
    scopes: Vec<String>,
) -> Result<(), String> {
    let role: Role = role.parse().map_err(|e| format!("{e}"))?;
    let request = KeyRequest::validate(&NewApiKeyRequest {
        name,
        role,
        unit_id: unit.map(UnitId),
        scopes,
    })
    .map_err(|e| format!("{e}"))?;
    let (db, unit_exists): (DbPool, Option<motcua_web::context::UnitExists>) = match service {
        Service::Results => (open_db()?, Some(motcua_results::state::unit_exists)),
        Service::Reports => (open_reports_db(&reports_config()?)?, None),
    };
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let actor = Actor::command_line("create-key");
    let (secret, key) = motcua_db::write_transaction(&mut conn, |conn| {
        issue_key(conn, &actor, &request, unit_exists)
    })
    .map_err(|e| e.to_string())?;
    println!("{secret}");
    eprintln!(
        "API key {} ({}, role {}) created. It is shown only this once.",
        key.id, key.name, key.role
    );
    Ok(())
}

/// `motcua demo-pki`: the seed's units and staff first when absent, then the demo PKI.
fn demo_pki(force: bool) -> Result<(), String> {
    let config = results_config()?;
    if demo::is_postgres(&config.database_url) && !force {
        return Err(
            "the demo PKI (TEST certificates) is not made on a PostgreSQL database, which is \
             where production data lives; give --force if this database is a test one"
                .into(),
        );
    }
    let db = open_db()?;
    let reports = reports_config()?;
    let reports_db = open_reports_db(&reports)?;
    seed_data(&db, Seed::VietYen)?;
    demo::load_demo_pki(&db, &reports_db, &config, &reports, force).map(|_| ())
}

fn seed_data(db: &DbPool, data: Seed) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    match data {
        Seed::VietYen => {
            if let Some(district) =
                motcua_results::seed::viet_yen_present(&mut conn).map_err(|e| e.to_string())?
            {
                eprintln!(
                    "{} is already loaded (unit id {}); nothing loaded.",
                    district.name, district.id
                );
                return Ok(());
            }
            let seeded =
                motcua_results::seed::seed_viet_yen(&mut conn).map_err(|e| e.to_string())?;
            eprintln!(
                "Seeded {} ({} communes) under unit id {}.",
                seeded.district.name,
                seeded.communes.len(),
                seeded.district.id
            );
        }
    }
    Ok(())
}

fn generate(db: &DbPool, scenario: Scenario) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let calendar = motcua_results::state::load_calendar(&mut conn).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    match scenario {
        Scenario::VietYen { history } => {
            let (seeded, made) =
                motcua_testdata::generate::viet_yen(&mut conn, &calendar, history, None)
                    .map_err(|e| e.to_string())?;
            eprintln!(
                "{} dossiers and {} events for {} (unit {}).",
                made.dossiers, made.events, seeded.district.name, seeded.district.id
            );
        }
        Scenario::Scale {
            dossiers,
            districts,
        } => {
            let mut report = |written: u64| eprint!("\r{written} dossiers written");
            let made = motcua_testdata::generate::scale(
                &mut conn,
                &calendar,
                districts,
                dossiers,
                &mut report,
            )
            .map_err(|e| e.to_string())?;
            let ids: Vec<String> = made.iter().map(|d| d.id.to_string()).collect();
            eprintln!("\nDistrict unit ids: {}", ids.join(", "));
        }
    }
    eprintln!("Took {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}

fn sign(pkcs12: &std::path::Path, password: &str, to_be_signed: &str) -> Result<(), String> {
    use base64::Engine;
    use motcua_pki::cms::{KeySigner, Signer};
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes =
        std::fs::read(pkcs12).map_err(|e| format!("cannot read {}: {e}", pkcs12.display()))?;
    let signer = KeySigner::from_pkcs12(&bytes, password).map_err(|e| e.to_string())?;
    let data = engine
        .decode(to_be_signed.trim())
        .map_err(|_| "--to-be-signed is not base64".to_owned())?;
    let signature = signer.sign(&data).map_err(|e| e.to_string())?;
    println!("{}", engine.encode(signature));
    eprintln!("signed with {}", signer.certificate().info().subject.text);
    Ok(())
}

/// The settings of `motcua sign --service`, checked.
fn service_signing(
    service: String,
    api_key_env: Option<String>,
    session: Option<String>,
    next_for: Option<i64>,
    pkcs12: Option<PathBuf>,
    pkcs11: Option<((PathBuf, String), String)>,
    pin_fd: Option<u32>,
) -> Result<sign::ServiceSigning, String> {
    let variable = api_key_env.ok_or("--api-key-env names the variable holding the API key")?;
    let api_key = std::env::var(&variable).map_err(|_| format!("{variable} is not set"))?;
    let which = match (session, next_for) {
        (Some(id), None) => sign::Which::Session(id),
        (None, Some(official)) => sign::Which::NextFor(official),
        _ => return Err("give --session ID or --next-for OFFICIAL_ID".into()),
    };
    let key = match (pkcs12, pkcs11) {
        (Some(file), None) => sign::Key::Pkcs12(file),
        (None, Some(((module, token), key))) => sign::Key::Pkcs11 { module, token, key },
        _ => return Err("give --pkcs12 FILE or --pkcs11-module M --token T --key K".into()),
    };
    Ok(sign::ServiceSigning {
        service,
        api_key,
        which,
        key,
        pin_fd,
    })
}

fn rebuild_statistics(db: &DbPool) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let read = motcua_db::write_transaction(&mut conn, motcua_db::statistics::rebuild)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "Counters rebuilt from {read} dossiers in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn write_openapi(out: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    for (name, document) in [
        (
            "results.openapi.json",
            motcua_web::openapi::document_json(
                motcua_results::openapi::base(),
                motcua_results::routes::configure,
            ),
        ),
        (
            "reports.openapi.json",
            motcua_web::openapi::document_json(
                motcua_reports::openapi::base(),
                motcua_reports::routes::configure,
            ),
        ),
    ] {
        let path = out.join(name);
        std::fs::write(&path, document)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
