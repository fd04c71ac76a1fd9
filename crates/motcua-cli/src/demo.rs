//! The demo of the seed district: `serve --seed viet-yen` loads the whole scenario (units,
//! staff, catalogue, dossiers and the TEST certificates of the demo PKI) into an empty database
//! once, and `motcua demo-pki` makes the certificates alone. The certificates are installed
//! through the services' own APIs, on services started here for the purpose, so that they pass
//! the same checks as certificates an admin registers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use actix_web::dev::ServerHandle;
use motcua_audit::Actor;
use motcua_core::access::Role;
use motcua_core::record_ids::ApiKeyId;
use motcua_db::officials::{self, OfficialFilter};
use motcua_db::procedures::{self, ProcedureFilter};
use motcua_db::{units, DbPool};
use motcua_keys::api_keys::{issue_key, KeyRequest, NewApiKeyRequest};
use motcua_reports::config::{ReportsConfig, Secret};
use motcua_results::config::ResultsConfig;
use motcua_testdata::demo_pki::{
    self, DemoHolders, DemoPki, Installed, ServiceClient, KEYSTORE_PASSWORD_FILE, TRUST_FOLDER,
};
use motcua_testdata::results::{ResultSigner, UnitKeys};
use motcua_web::service::Started;

/// The data folder (`MOTCUA_DATA_DIR`, default `data`), as the services read it.
pub fn data_dir() -> PathBuf {
    std::env::var_os("MOTCUA_DATA_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from("data"), PathBuf::from)
}

/// The folder of the demo PKI.
pub fn demo_dir() -> PathBuf {
    data_dir().join(demo_pki::FOLDER)
}

pub fn is_postgres(database_url: &str) -> bool {
    database_url.starts_with("postgres")
}

/// Loads the seed scenario unless its dossiers are there, and says once what it loaded: units
/// and staff, then (on SQLite, without real roots configured) the demo PKI, then the catalogue
/// and dossiers, whose Q1/2024 electronic results are signed with the demo's unit keys.
pub fn load_seed_scenario(
    db: &DbPool,
    reports_db: &DbPool,
    results: &ResultsConfig,
    reports: &ReportsConfig,
) -> Result<(), String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    if let Some(seeded) =
        motcua_testdata::generate::viet_yen_loaded(&mut conn).map_err(|e| e.to_string())?
    {
        eprintln!(
            "The Việt Yên seed is already loaded ({}, unit id {}); nothing loaded.",
            seeded.district.name, seeded.district.id
        );
        return Ok(());
    }
    motcua_results::seed::seed_viet_yen(&mut conn).map_err(|e| e.to_string())?;
    let demo = if is_postgres(&results.database_url) {
        eprintln!(
            "The demo PKI (TEST certificates) is not made on PostgreSQL; run `motcua demo-pki \
             --force` on a test database to have it. No result is electronic without it."
        );
        None
    } else if results.trust_roots_dir.is_some() {
        // Real roots are configured: TEST ones must not take their place in the store.
        eprintln!(
            "MOTCUA_TRUST_ROOTS_DIR is set: the demo PKI (TEST certificates) is not made, and no \
             result is electronic."
        );
        None
    } else {
        load_demo_pki(db, reports_db, results, reports, false)?
    };
    let started = Instant::now();
    let signer = match &demo {
        Some((demo, installed)) => Some(result_signer(&mut conn, demo, installed, results)?),
        None => None,
    };
    let calendar = motcua_results::state::load_calendar(&mut conn).map_err(|e| e.to_string())?;
    let (seeded, made) = motcua_testdata::generate::viet_yen(
        &mut conn,
        &calendar,
        false,
        signer.as_ref().map(|s| s as &dyn ResultSigner),
    )
    .map_err(|e| e.to_string())?;
    let holders = holders(db)?;
    eprintln!(
        "Loaded the Việt Yên seed: {} (unit id {}), its desk and {} communes, {} officials, \
         the procedure catalogue and {} dossiers with {} signed electronic results, in {:.1} s.",
        seeded.district.name,
        seeded.district.id,
        seeded.communes.len(),
        holders.officials.len(),
        made.dossiers,
        made.results,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The demo's unit keys, to sign the seed's electronic results as the results service would.
fn result_signer(
    conn: &mut motcua_db::DbConnection,
    demo: &DemoPki,
    installed: &Installed,
    results: &ResultsConfig,
) -> Result<UnitKeys, String> {
    let seeded = motcua_results::seed::seed_viet_yen(conn).map_err(|e| e.to_string())?;
    let names: HashMap<_, _> = std::iter::once(&seeded.district_desk)
        .chain(&seeded.communes)
        .map(|unit| (unit.id, unit.name.clone()))
        .collect();
    let keys = demo.result_keys(installed, &names)?;
    // The catalogue is written with the dossiers; a first load finds it empty and writes it now.
    motcua_testdata::generate::catalogue(conn).map_err(|e| e.to_string())?;
    let procedures = procedures::list(conn, &ProcedureFilter::default(), None, i64::MAX)
        .map_err(|e| e.to_string())?;
    Ok(UnitKeys {
        keys,
        procedures: procedures.into_iter().map(|p| (p.id, p.name)).collect(),
        public_url: results
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", results.bind)),
    })
}

/// The seed district's units and active officials (the seed's units must be loaded).
fn holders(db: &DbPool) -> Result<DemoHolders, String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let seeded = motcua_results::seed::seed_viet_yen(&mut conn).map_err(|e| e.to_string())?;
    let subtree = units::subtree(&mut conn, seeded.district.id).map_err(|e| e.to_string())?;
    let officials = officials::list(
        &mut conn,
        &OfficialFilter {
            among_units: Some(subtree),
            active: Some(true),
            ..OfficialFilter::default()
        },
        None,
        i64::MAX,
    )
    .map_err(|e| e.to_string())?;
    Ok(DemoHolders {
        district: seeded.district,
        district_desk: seeded.district_desk,
        communes: seeded.communes,
        officials,
    })
}

/// The key-store password the demo's keys are sealed under: the configured one, else the one
/// kept in the demo folder (made there the first time).
fn demo_keystore_password(configured: Option<&Secret>, dir: &Path) -> Result<Secret, String> {
    if let Some(password) = configured {
        return Ok(password.clone());
    }
    let path = dir.join(KEYSTORE_PASSWORD_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok(Secret::new(text.trim().to_owned()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let password = demo_pki::new_keystore_password();
    std::fs::write(&path, format!("{password}\n"))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Secret::new(password))
}

/// Makes the demo PKI and installs it, unless the results service's trust store already holds
/// CA certificates (then the demo, or real roots, are there: nothing is done). Refused on
/// PostgreSQL unless `force`, so that TEST certificates never land in production.
pub fn load_demo_pki(
    db: &DbPool,
    reports_db: &DbPool,
    results: &ResultsConfig,
    reports: &ReportsConfig,
    force: bool,
) -> Result<Option<(DemoPki, Installed)>, String> {
    if is_postgres(&results.database_url) && !force {
        return Err(
            "the demo PKI (TEST certificates) is not made on a PostgreSQL database, which is \
             where production data lives; give --force if this database is a test one"
                .into(),
        );
    }
    {
        let mut conn = db.get().map_err(|e| e.to_string())?;
        let anchors =
            motcua_db::trust::count_active_anchors(&mut conn).map_err(|e| e.to_string())?;
        if anchors > 0 {
            eprintln!(
                "The trust store already holds {anchors} CA certificates; the demo PKI is not \
                 loaded again."
            );
            return Ok(None);
        }
    }
    let started = Instant::now();
    let dir = demo_dir();
    let password = demo_keystore_password(results.keystore_password.as_ref(), &dir)?;
    let holders = holders(db)?;
    let demo = DemoPki::make(&dir, &holders, chrono::Utc::now())?;

    let keys = TemporaryKeys::issue(db, reports_db)?;
    let installed = {
        let mut results_config = ResultsConfig::for_database(results.database_url.clone());
        results_config.keystore_password = Some(password.clone());
        let results_service = InProcess::start({
            let db = db.clone();
            move || motcua_results::start_with_pool(results_config, db)
        })?;
        let mut reports_config = ReportsConfig::for_database(&reports.database_url);
        reports_config.keystore_password = Some(password);
        reports_config.results_url = Some(results_service.base_url.clone());
        reports_config.results_api_key = Some(Secret::new(keys.results_reader.0.clone()));
        reports_config.trust_roots_dir = Some(dir.join(TRUST_FOLDER));
        let reports_service = InProcess::start({
            let db = reports_db.clone();
            move || motcua_reports::start_with_pool(reports_config, db)
        })?;
        let results_client = ServiceClient::new(
            results_service.base_url.clone(),
            keys.results_admin.0.clone(),
        );
        let reports_client = ServiceClient::new(
            reports_service.base_url.clone(),
            keys.reports_admin.0.clone(),
        );
        let installed = actix_web::rt::System::new()
            .block_on(async { demo.install(&results_client, &reports_client).await });
        reports_service.stop();
        results_service.stop();
        installed
    };
    keys.revoke(db, reports_db)?;
    let installed = installed?;
    eprintln!(
        "Loaded the demo PKI (TEST certificates, {}) in {}: {} personal and {} collective \
         certificates registered, {} keys for electronic results, {} key for issuing reports, \
         in {:.1} s. See {}.",
        demo_pki::TEST_LABEL,
        dir.display(),
        installed.personal,
        installed.collective,
        installed.results_keys,
        installed.reports_keys,
        started.elapsed().as_secs_f64(),
        dir.join("README.txt").display()
    );
    Ok(Some((demo, installed)))
}

/// When the demo PKI is in the data folder: its key-store password and trust folder serve the
/// services whose variables are unset, and the log says so.
pub fn use_demo_settings(results: &mut ResultsConfig, reports: &mut ReportsConfig) {
    let dir = demo_dir();
    let password_file = dir.join(KEYSTORE_PASSWORD_FILE);
    if results.keystore_password.is_none() && reports.keystore_password.is_none() {
        if let Ok(text) = std::fs::read_to_string(&password_file) {
            let password = Secret::new(text.trim().to_owned());
            results.keystore_password = Some(password.clone());
            reports.keystore_password = Some(password);
            tracing::info!(
                "MOTCUA_KEYSTORE_PASSWORD is unset: using the demo's key-store password from {}",
                password_file.display()
            );
        }
    }
    let trust = dir.join(TRUST_FOLDER);
    if reports.trust_roots_dir.is_none() && trust.is_dir() {
        tracing::info!(
            "MOTCUA_TRUST_ROOTS_DIR is unset: the report service trusts the demo PKI's TEST \
             roots in {}",
            trust.display()
        );
        reports.trust_roots_dir = Some(trust);
    }
}

/// Admin keys for the installation and a read key for the report service, revoked after.
struct TemporaryKeys {
    results_admin: (String, ApiKeyId),
    results_reader: (String, ApiKeyId),
    reports_admin: (String, ApiKeyId),
}

const TEMPORARY_KEY_NAME: &str = "demo PKI installation (motcua command line)";

impl TemporaryKeys {
    fn issue(db: &DbPool, reports_db: &DbPool) -> Result<Self, String> {
        Ok(Self {
            results_admin: temporary_key(db, Role::Admin)?,
            results_reader: temporary_key(db, Role::Auditor)?,
            reports_admin: temporary_key(reports_db, Role::Admin)?,
        })
    }

    fn revoke(&self, db: &DbPool, reports_db: &DbPool) -> Result<(), String> {
        for (pool, id) in [
            (db, self.results_admin.1),
            (db, self.results_reader.1),
            (reports_db, self.reports_admin.1),
        ] {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            motcua_db::api_keys::revoke(&mut conn, id, motcua_db::now())
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

fn temporary_key(db: &DbPool, role: Role) -> Result<(String, ApiKeyId), String> {
    let request = KeyRequest::validate(&NewApiKeyRequest {
        name: TEMPORARY_KEY_NAME.into(),
        role,
        unit_id: None,
        scopes: Vec::new(),
    })
    .map_err(|e| e.to_string())?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let actor = Actor::command_line("demo-pki");
    let (secret, key) =
        motcua_db::write_transaction(&mut conn, |conn| issue_key(conn, &actor, &request, None))
            .map_err(|e| e.to_string())?;
    Ok((secret, key.id))
}

/// A service on loopback in this process, on its own thread, for the installation only.
struct InProcess {
    base_url: String,
    handle: ServerHandle,
    thread: std::thread::JoinHandle<()>,
}

impl InProcess {
    fn start(start: impl FnOnce() -> Started + Send + 'static) -> Result<Self, String> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                match start() {
                    Ok((server, addr)) => {
                        let _ = sender.send(Ok((server.handle(), addr)));
                        let _ = server.run().await;
                    }
                    Err(error) => {
                        let _ = sender.send(Err(error));
                    }
                }
            });
        });
        let (handle, addr) = receiver
            .recv()
            .map_err(|_| "a service for the demo installation did not start".to_owned())??;
        Ok(Self {
            base_url: format!("http://{addr}"),
            handle,
            thread,
        })
    }

    fn stop(self) {
        let handle = self.handle;
        actix_web::rt::System::new().block_on(handle.stop(true));
        let _ = self.thread.join();
    }
}
