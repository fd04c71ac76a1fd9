//! The demo PKI: a TEST root and issuing CA, a personal certificate for every official of the
//! seed district and collective certificates for its units, written to a folder (PEM, PKCS#12,
//! CRLs) and installed in both services over their APIs, so that a newcomer can sign a report
//! and verify electronic results without certificates from outside. Every subject says it is a
//! test ([`TEST_LABEL`]); nothing here may be used for real documents.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::official::OfficialRole;
use motcua_core::record_ids::{CertificateId, OfficialId, UnitId};
use motcua_db::officials::Official;
use motcua_db::units::Unit;
use motcua_pki::cms::KeySigner;
use motcua_pki::testpki::{CertSpec, CrlSpec, KeySpec, NameSpec, TestCert};
use motcua_pki::IdentifierKind;
use serde_json::{json, Value};

use crate::results::UnitKey;

/// Written as the organisation (O) of every certificate of the demo PKI.
pub const TEST_LABEL: &str = "motcua DEMO — KHÔNG SỬ DỤNG THẬT";
/// The folder of the demo PKI under the data folder.
pub const FOLDER: &str = "demo-pki";
/// The password of every PKCS#12 file of the demo PKI (written in its README).
pub const PKCS12_PASSWORD: &str = "demo-motcua";
/// The file, in the demo folder, holding the key-store password generated for the demo.
pub const KEYSTORE_PASSWORD_FILE: &str = "TEST-keystore-password.txt";
/// The trust folder (roots, intermediates, CRLs) inside the demo folder.
pub const TRUST_FOLDER: &str = "trust";
/// OU of the second collective certificate of a commune, the one that signs electronic results.
pub const SECOND_COLLECTIVE: &str = "Chứng thư số tập thể thứ 2 (kết quả điện tử)";

/// Days the demo CRLs stay current: a demo left for months still verifies.
const CRL_DAYS: i64 = 365;

/// The PKCS#12 file of an official of the demo (the stand-in for their token).
pub fn official_pkcs12_path(dir: &Path, personal_id: &str) -> PathBuf {
    dir.join("officials")
        .join(format!("TEST-{personal_id}.p12"))
}

/// Where the services keep what makes the demo: the seed district's units and officials.
#[derive(Debug, Clone)]
pub struct DemoHolders {
    /// The district (its key signs issued reports).
    pub district: Unit,
    /// The district's one-stop desk.
    pub district_desk: Unit,
    pub communes: Vec<Unit>,
    /// Every active official of the district.
    pub officials: Vec<Official>,
}

/// A collective certificate of the demo and where its key goes.
#[derive(Debug, Clone)]
pub struct UnitCertificate {
    pub unit_id: UnitId,
    pub certificate: TestCert,
    /// Stored in the results service, to sign the unit's electronic results.
    pub signs_results: bool,
    /// Stored in the report service, to issue the unit's reports.
    pub issues_reports: bool,
}

/// The generated demo PKI.
#[derive(Debug, Clone)]
pub struct DemoPki {
    pub dir: PathBuf,
    pub root: TestCert,
    pub issuing_ca: TestCert,
    pub crls: Vec<Vec<u8>>,
    pub officials: Vec<(OfficialId, TestCert)>,
    pub units: Vec<UnitCertificate>,
}

/// The seed's records start in December 2022 and its results are signed when they were decided:
/// the demo's certificates are valid from before, so that those signatures verify.
fn from_history_start(mut spec: CertSpec) -> CertSpec {
    let start = chrono::NaiveDate::from_ymd_opt(2022, 11, 1)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc());
    if let Some(start) = start {
        spec.not_before = spec.not_before.min(start);
    }
    spec
}

fn test_name(common_name: &str) -> NameSpec {
    NameSpec::new()
        .add("C", "VN")
        .add("O", TEST_LABEL)
        .add("CN", common_name)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn pki_error(e: &motcua_pki::PkiError) -> String {
    format!("demo PKI: {e}")
}

impl DemoPki {
    /// Generates the demo PKI for `holders` and writes it under `dir`.
    pub fn make(dir: &Path, holders: &DemoHolders, now: DateTime<Utc>) -> Result<Self, String> {
        let root = TestCert::self_signed(
            &from_history_start(CertSpec::certificate_authority(
                test_name("TEST motcua DEMO Root CA — KHÔNG SỬ DỤNG THẬT"),
                now,
                1,
                20,
            ))
            .key(KeySpec::Rsa2048),
        )
        .map_err(|e| pki_error(&e))?;
        let mut issuing_spec = from_history_start(CertSpec::certificate_authority(
            test_name("TEST motcua DEMO Issuing CA — KHÔNG SỬ DỤNG THẬT"),
            now,
            1,
            10,
        ));
        issuing_spec.path_len = Some(0);
        let issuing_ca = root.issue(&issuing_spec).map_err(|e| pki_error(&e))?;
        let crl = CrlSpec {
            next_update: now + chrono::Duration::days(CRL_DAYS),
            ..CrlSpec::current(now)
        };
        let crls = vec![
            root.crl(&crl).map_err(|e| pki_error(&e))?,
            issuing_ca.crl(&crl).map_err(|e| pki_error(&e))?,
        ];
        let trust = dir.join(TRUST_FOLDER);
        write(&trust.join("TEST-demo-root.pem"), root.pem().as_bytes())?;
        write(
            &trust.join("TEST-demo-issuing-ca.pem"),
            issuing_ca.pem().as_bytes(),
        )?;
        write(&trust.join("TEST-demo-root.crl"), &crls[0])?;
        write(&trust.join("TEST-demo-issuing-ca.crl"), &crls[1])?;

        let mut officials = Vec::with_capacity(holders.officials.len());
        for official in &holders.officials {
            let subject = test_name(&official.full_name)
                .add_identifier(IdentifierKind::Cccd, &official.personal_id);
            let certificate = issuing_ca
                .issue(&from_history_start(CertSpec::new(subject, now)))
                .map_err(|e| pki_error(&e))?;
            let p12 = certificate
                .pkcs12(PKCS12_PASSWORD, &[&issuing_ca])
                .map_err(|e| pki_error(&e))?;
            write(&official_pkcs12_path(dir, &official.personal_id), &p12)?;
            officials.push((official.id, certificate));
        }

        let mut units = Vec::new();
        let mut add_unit = |unit: &Unit,
                            unit_label: Option<&str>,
                            file: String,
                            signs_results: bool,
                            issues_reports: bool|
         -> Result<(), String> {
            let mut subject = NameSpec::new()
                .add("C", "VN")
                .add("L", "Bắc Giang")
                .add("O", TEST_LABEL);
            if let Some(label) = unit_label {
                subject = subject.add("OU", label);
            }
            let subject = subject.add("CN", &unit.name);
            let certificate = issuing_ca
                .issue(&from_history_start(CertSpec::new(subject, now)))
                .map_err(|e| pki_error(&e))?;
            let p12 = certificate
                .pkcs12(PKCS12_PASSWORD, &[&issuing_ca])
                .map_err(|e| pki_error(&e))?;
            write(&dir.join("units").join(file), &p12)?;
            units.push(UnitCertificate {
                unit_id: unit.id,
                certificate,
                signs_results,
                issues_reports,
            });
            Ok(())
        };
        let district = &holders.district;
        add_unit(
            district,
            None,
            format!("TEST-unit-{}.p12", district.id),
            false,
            true,
        )?;
        let desk = &holders.district_desk;
        add_unit(
            desk,
            None,
            format!("TEST-unit-{}.p12", desk.id),
            true,
            false,
        )?;
        for commune in &holders.communes {
            add_unit(
                commune,
                None,
                format!("TEST-unit-{}.p12", commune.id),
                false,
                false,
            )?;
            add_unit(
                commune,
                Some(SECOND_COLLECTIVE),
                format!("TEST-unit-{}-2.p12", commune.id),
                true,
                false,
            )?;
        }
        let demo = Self {
            dir: dir.to_owned(),
            root,
            issuing_ca,
            crls,
            officials,
            units,
        };
        write(&dir.join("README.txt"), demo.readme(holders).as_bytes())?;
        Ok(demo)
    }

    fn readme(&self, holders: &DemoHolders) -> String {
        let leaders: Vec<String> = holders
            .officials
            .iter()
            .filter(|o| o.role == OfficialRole::Leader && o.unit_id == holders.district.id)
            .map(|o| {
                format!(
                    "  {} ({}): officials/TEST-{}.p12",
                    o.full_name,
                    o.title.as_deref().unwrap_or(""),
                    o.personal_id
                )
            })
            .collect();
        format!(
            "TEST CERTIFICATES — {TEST_LABEL}\n\
             \n\
             A demo PKI made by motcua for the seed district. Every certificate names\n\
             \"{TEST_LABEL}\" as its organisation. Never use these files for real documents.\n\
             \n\
             Password of every .p12 file: {PKCS12_PASSWORD}\n\
             \n\
             trust/      the TEST root and issuing CA (PEM) and their CRLs: the trust folder of\n\
             \x20           the report service and of `motcua verify --trust-roots`\n\
             officials/  one PKCS#12 file per official, TEST-<personal_id>.p12, standing in for\n\
             \x20           their token (UID=CCCD:<personal_id>, which binds it to the official)\n\
             units/      one PKCS#12 file per collective certificate, TEST-unit-<unit id>.p12\n\
             \x20           (CN = the unit's name, which binds it to the unit); communes also have\n\
             \x20           TEST-unit-<unit id>-2.p12, the second collective certificate that signs\n\
             \x20           their electronic results\n\
             {KEYSTORE_PASSWORD_FILE}\n\
             \x20           the key-store password the demo uses when MOTCUA_KEYSTORE_PASSWORD is unset\n\
             \n\
             The district's leader, who signs its reports:\n{}\n\
             \n\
             {} personal and {} collective certificates.\n",
            leaders.join("\n"),
            self.officials.len(),
            self.units.len(),
        )
    }

    /// Installs the demo in the running services: trust anchors, CRLs and certificates in the
    /// results service, the collective keys that sign electronic results in its key store, and
    /// the district's key in the report service's. Keys given must be admin keys.
    pub async fn install(
        &self,
        results: &ServiceClient,
        reports: &ServiceClient,
    ) -> Result<Installed, String> {
        for (kind, certificate) in [("root", &self.root), ("intermediate", &self.issuing_ca)] {
            results
                .post(
                    "/trust-anchors",
                    &json!({"kind": kind, "certificate": certificate.pem()}),
                )
                .await?;
        }
        for crl in &self.crls {
            results
                .post("/crls", &json!({"crl": STANDARD.encode(crl)}))
                .await?;
        }
        for (official_id, certificate) in &self.officials {
            results
                .register(&json!({"certificate": certificate.pem(), "official_id": official_id}))
                .await?;
        }
        let mut installed = Installed {
            personal: self.officials.len(),
            ..Installed::default()
        };
        for unit in &self.units {
            let certificate_id = results
                .register(&json!({"certificate": unit.certificate.pem(), "unit_id": unit.unit_id}))
                .await?;
            installed.collective += 1;
            let p12 = STANDARD.encode(
                unit.certificate
                    .pkcs12(PKCS12_PASSWORD, &[&self.issuing_ca])
                    .map_err(|e| pki_error(&e))?,
            );
            if unit.signs_results {
                installed
                    .result_certificates
                    .push((unit.unit_id, CertificateId(certificate_id)));
                results
                    .post(
                        &format!("/units/{}/organisation-keys", unit.unit_id),
                        &json!({"certificate_id": certificate_id, "pkcs12_base64": p12,
                                "password": PKCS12_PASSWORD}),
                    )
                    .await?;
                installed.results_keys += 1;
            }
            if unit.issues_reports {
                reports
                    .post(
                        "/organisation-keys",
                        &json!({"unit_id": unit.unit_id, "pkcs12_base64": p12,
                                "password": PKCS12_PASSWORD}),
                    )
                    .await?;
                installed.reports_keys += 1;
            }
        }
        Ok(installed)
    }
}

/// What [`DemoPki::install`] put in the services.
#[derive(Debug, Clone, Default)]
pub struct Installed {
    pub personal: usize,
    pub collective: usize,
    pub results_keys: usize,
    pub reports_keys: usize,
    /// The certificate each unit signs its electronic results with, as registered.
    pub result_certificates: Vec<(UnitId, CertificateId)>,
}

impl DemoPki {
    /// The keys that sign each unit's electronic results, with the certificates as `installed`
    /// registered them: what the seed's generated results are signed with.
    pub fn result_keys(
        &self,
        installed: &Installed,
        unit_names: &HashMap<UnitId, String>,
    ) -> Result<HashMap<UnitId, UnitKey>, String> {
        let mut keys = HashMap::new();
        for (unit_id, certificate_id) in &installed.result_certificates {
            let unit = self
                .units
                .iter()
                .find(|u| u.unit_id == *unit_id && u.signs_results)
                .ok_or_else(|| format!("no result certificate made for unit {unit_id}"))?;
            let p12 = unit
                .certificate
                .pkcs12(PKCS12_PASSWORD, &[&self.issuing_ca])
                .map_err(|e| pki_error(&e))?;
            let signer =
                KeySigner::from_pkcs12(&p12, PKCS12_PASSWORD).map_err(|e| pki_error(&e))?;
            keys.insert(
                *unit_id,
                UnitKey {
                    unit_name: unit_names.get(unit_id).cloned().unwrap_or_default(),
                    certificate_id: *certificate_id,
                    signer: Arc::new(signer),
                },
            );
        }
        Ok(keys)
    }
}

/// A service's API with an admin key.
pub struct ServiceClient {
    pub base_url: String,
    pub key: String,
    client: reqwest::Client,
}

impl ServiceClient {
    pub fn new(base_url: String, key: String) -> Self {
        Self {
            base_url,
            key,
            client: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.base_url);
        let response = self
            .client
            .post(&url)
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("POST {url}: {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("POST {url}: {e}"))
    }

    /// Registers a certificate, which must come out usable; returns its id.
    async fn register(&self, body: &Value) -> Result<i64, String> {
        let registered = self.post("/certificates", body).await?;
        if registered["usable"] != true {
            return Err(format!("a demo certificate is not usable: {registered}"));
        }
        registered["id"]
            .as_i64()
            .ok_or_else(|| format!("no certificate id in {registered}"))
    }
}

/// A key-store password for the demo: 32 random hexadecimal digits.
pub fn new_keystore_password() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
