//! `motcua`: runs the system, issues the first admin key, loads reference data and exports the
//! OpenAPI documents. Configuration comes from the environment (see README.md).

use std::path::PathBuf;
use std::process::ExitCode;

mod verify;

use clap::{Parser, Subcommand, ValueEnum};
use motcua_core::access::Role;
use motcua_db::{DbPool, PoolOptions};
use motcua_results::audit::Actor;
use motcua_results::config::ResultsConfig;
use motcua_results::routes::api_keys::{issue_key, KeyRequest, NewApiKeyRequest};

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
        /// Load reference data first (skipped when already present).
        #[arg(long, value_enum)]
        seed: Option<Seed>,
    },
    /// Issue an API key directly in the database (the first admin key cannot come from the API).
    CreateKey {
        /// Who the key is for.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "admin")]
        role: String,
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
    /// The signer's side of two-step signing, with a PKCS#12 file standing in for a token: signs
    /// the `to_be_signed_base64` of a signing session and prints the signature (base64).
    Sign {
        #[arg(long)]
        pkcs12: PathBuf,
        /// The PKCS#12 password (default: the MOTCUA_PKCS12_PASSWORD variable).
        #[arg(long, env = "MOTCUA_PKCS12_PASSWORD", hide_env_values = true)]
        password: String,
        /// The bytes to sign, base64, as the service returned them.
        #[arg(long)]
        to_be_signed: String,
    },
    /// Recompute the statistics counters from the dossiers.
    RebuildStatistics,
    /// Verify every signature of a PDF offline and print a short report; the exit code is 0 only
    /// when every signature is TOTAL_PASSED.
    Verify {
        /// The signed PDF.
        file: PathBuf,
        /// Folder of trusted CA certificates (`.pem`, `.crt`, `.cer`, `.der`, `.p7b`, `.p7c`:
        /// self-signed ones are roots, the others intermediates) and CRLs (`.crl`).
        #[arg(long, env = "MOTCUA_TRUST_ROOTS_DIR")]
        trust_roots: Option<PathBuf>,
        /// Without a usable CRL for the signer's chain the result is INDETERMINATE (by default a
        /// missing CRL is reported but does not change the result).
        #[arg(long)]
        require_revocation: bool,
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

#[derive(Clone, Copy, ValueEnum)]
enum Seed {
    /// The district of the seed report (Việt Yên, Bắc Giang): units and desk staff.
    VietYen,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let result = match Cli::parse().command {
        Command::Serve { seed } => serve(seed),
        Command::CreateKey { name, role } => create_key(name, &role),
        Command::Seed { data } => open_db().and_then(|db| seed_data(&db, data)),
        Command::Generate { scenario } => open_db().and_then(|db| generate(&db, scenario)),
        Command::Sign {
            pkcs12,
            password,
            to_be_signed,
        } => sign(&pkcs12, &password, &to_be_signed),
        Command::RebuildStatistics => open_db().and_then(|db| rebuild_statistics(&db)),
        Command::Verify {
            file,
            trust_roots,
            require_revocation,
        } => verify::run(&file, trust_roots.as_deref(), require_revocation),
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

fn serve(seed: Option<Seed>) -> Result<(), String> {
    let config = results_config()?;
    let db = DbPool::open(
        &config.database_url,
        PoolOptions {
            max_connections: config.db_pool_size,
            ..PoolOptions::default()
        },
    )?;
    if let Some(data) = seed {
        seed_data(&db, data)?;
    }
    let has_admin = {
        let mut conn = db.get().map_err(|e| e.to_string())?;
        motcua_db::api_keys::count_active_admins(&mut conn).map_err(|e| e.to_string())? > 0
    };
    actix_web::rt::System::new().block_on(async move {
        let (server, addr) = motcua_results::start_with_pool(config, db)?;
        println!("motcua results service: http://{addr}");
        println!("  OpenAPI document:      http://{addr}/openapi.json");
        println!("  API documentation:     http://{addr}/docs/");
        if !has_admin {
            println!("No admin key exists yet. Create the first one in another terminal with:");
            println!("  cargo run --release --bin motcua -- create-key --name \"<your name>\"");
        }
        server.await.map_err(|e| e.to_string())
    })
}

fn create_key(name: String, role: &str) -> Result<(), String> {
    let role: Role = role.parse().map_err(|e| format!("{e}"))?;
    let request = KeyRequest::validate(&NewApiKeyRequest {
        name,
        role,
        unit_id: None,
        scopes: Vec::new(),
    })
    .map_err(|e| format!("{e}"))?;
    let db = open_db()?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let actor = Actor::command_line("create-key");
    let (secret, key) =
        motcua_db::write_transaction(&mut conn, |conn| issue_key(conn, &actor, &request))
            .map_err(|e| e.to_string())?;
    println!("{secret}");
    eprintln!(
        "API key {} ({}, role {}) created. It is shown only this once.",
        key.id, key.name, key.role
    );
    Ok(())
}

fn seed_data(db: &DbPool, data: Seed) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    match data {
        Seed::VietYen => {
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
            let (seeded, made) = motcua_results::generate::viet_yen(&mut conn, &calendar, history)
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
            let made = motcua_results::generate::scale(
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
    let path = out.join("results.openapi.json");
    std::fs::write(&path, motcua_results::openapi::document_json())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
