//! The logic of the certificate registry: reading uploaded certificates and CRLs, binding a
//! certificate to its holder, the trust store kept in memory, and the revalidation of every
//! stored verdict.
//!
//! The trust store lives in the database (`trust_anchors`, `crls`) and, for validation, in memory
//! as a [`TrustStore`]. The `trust_store` row's version grows with every change; each instance
//! compares it with the version of its copy and rebuilds when they differ, so several instances
//! on one database stay consistent.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use actix_web::web::Data;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::certificate::TrustAnchorKind;
use motcua_core::record_ids::{ApiKeyId, CertificateId};
use motcua_db::certificates::{self, VerdictUpdate};
use motcua_db::trust::{self, NewTrustAnchor};
use motcua_db::units::Unit;
use motcua_db::{now, write_transaction, DbConnection, DbPool};
use motcua_pki::binding;
pub use motcua_pki::binding::{bind_to_official, Binding, BindingMethod};
use motcua_pki::revocation::CrlRefreshOutcome;
use motcua_pki::{
    parse_certificates, Certificate, Purpose, RevocationPolicy, TrustStore, Verdict, VerdictStatus,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::certificate_events::{publish_certificate, PreviousVerdict};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::error::{ApiError, CertificateRefusal, InvalidParam};

/// Newest CRLs kept per issuer name when the store is rebuilt (a re-keyed CA signs with two keys
/// for a while, each with its own CRL).
const CRLS_PER_ISSUER: usize = 4;

/// Certificates revalidated per database round trip.
const REVALIDATION_BATCH: i64 = 200;

/// A trust store built from the database at one version.
#[derive(Debug)]
pub struct LoadedTrust {
    pub version: i64,
    pub store: TrustStore,
}

/// The in-memory trust store, shared by every worker.
#[derive(Debug, Default)]
pub struct TrustCache {
    current: RwLock<Option<Arc<LoadedTrust>>>,
}

impl TrustCache {
    /// The store at `version`: the one in memory when it is that version, else rebuilt from the
    /// database through `conn` (and kept).
    pub fn get(&self, conn: &mut DbConnection, version: i64) -> Result<Arc<LoadedTrust>, ApiError> {
        let held = self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(held) = held.filter(|held| held.version == version) {
            return Ok(held);
        }
        let loaded = Arc::new(LoadedTrust {
            version,
            store: build_store(conn)?,
        });
        self.install(loaded.clone());
        Ok(loaded)
    }

    /// The store at the current version of the database.
    pub fn current(&self, conn: &mut DbConnection) -> Result<Arc<LoadedTrust>, ApiError> {
        let version = trust::version(conn)?;
        self.get(conn, version)
    }

    /// Keeps `loaded` unless a newer version is already held. Call it only with a store whose
    /// version is committed: a version number of a rolled-back change is used again later.
    pub fn install(&self, loaded: Arc<LoadedTrust>) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current
            .as_ref()
            .is_none_or(|held| held.version <= loaded.version)
        {
            *current = Some(loaded);
        }
    }
}

/// Builds a trust store from the certificates and CRLs in the database. A CRL whose issuer was
/// removed from the store is skipped: nothing it says can be used.
pub fn build_store(conn: &mut DbConnection) -> Result<TrustStore, ApiError> {
    let mut store = TrustStore::new();
    for anchor in trust::active_anchors(conn)? {
        let added = Certificate::from_der(&anchor.der).and_then(|certificate| match anchor.kind {
            TrustAnchorKind::Root => store.add_root(certificate),
            TrustAnchorKind::Intermediate => store.add_intermediate(certificate),
        });
        if let Err(error) = added {
            tracing::warn!(anchor = %anchor.id, %error, "trust store certificate not usable");
        }
    }
    for crl in trust::recent_crls(conn, CRLS_PER_ISSUER)? {
        if let Err(error) = store.add_crl(&crl.der) {
            tracing::debug!(crl = %crl.id, %error, "CRL not used");
        }
    }
    Ok(store)
}

/// SHA-256 of `der`, lowercase hex, as stored in the `fingerprint` columns.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// The bytes of an uploaded certificate or CRL: PEM text as it is, anything else read as base64
/// DER (standard or URL-safe alphabet, line breaks allowed).
pub fn decode_upload(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ApiError::invalid(field, "is empty"));
    }
    if text.contains("-----BEGIN ") {
        return Ok(text.as_bytes().to_vec());
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|engine| engine.decode(&compact).ok())
        .filter(|der| !der.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                "expected PEM text (-----BEGIN …-----) or the DER encoding in base64",
            )
        })
}

/// Every certificate of an upload (PEM, base64 DER, or a PKCS#7 bundle).
pub fn upload_certificates(field: &str, text: &str) -> Result<Vec<Certificate>, ApiError> {
    let bytes = decode_upload(field, text)?;
    parse_certificates(&bytes).map_err(|error| ApiError::invalid(field, error.to_string()))
}

/// The one certificate of an upload.
pub fn upload_certificate(field: &str, text: &str) -> Result<Certificate, ApiError> {
    let mut certificates = upload_certificates(field, text)?;
    match certificates.len() {
        1 => Ok(certificates.remove(0)),
        count => Err(ApiError::invalid(
            field,
            format!(
                "holds {count} certificates; send the holder's certificate alone (CA certificates \
                 belong in the trust store: POST /trust-anchors)"
            ),
        )),
    }
}

/// The DER of an uploaded CRL (PEM `X509 CRL` or base64 DER).
pub fn upload_crl(field: &str, text: &str) -> Result<Vec<u8>, ApiError> {
    let bytes = decode_upload(field, text)?;
    if !bytes.starts_with(b"-----BEGIN ") {
        return Ok(bytes);
    }
    x509_parser::pem::Pem::iter_from_buffer(&bytes)
        .filter_map(Result::ok)
        .find(|block| block.label == "X509 CRL")
        .map(|block| block.contents)
        .ok_or_else(|| ApiError::invalid(field, "the PEM text has no \"X509 CRL\" block"))
}

/// A collective certificate names its unit by tax code or budget code when the unit has one,
/// else by its name (the certificate's CN).
pub fn bind_to_unit(certificate: &Certificate, unit: &Unit) -> Binding {
    binding::bind_to_unit(
        certificate,
        &unit.name,
        unit.tax_code.as_deref(),
        unit.budget_code.as_deref(),
    )
}

/// Validates a holder's certificate for signing. Stored verdicts use
/// [`RevocationPolicy::Require`]: without a usable CRL a certificate is not usable.
pub fn validate(
    store: &TrustStore,
    certificate: &Certificate,
    at: DateTime<Utc>,
    policy: RevocationPolicy,
) -> Verdict {
    store.validate(certificate, &[], at, Purpose::Signing, policy)
}

/// The text of a status, as stored and as in the API (`revocation_unknown`).
pub fn status_text(status: VerdictStatus) -> &'static str {
    match status {
        VerdictStatus::BadSignature => "bad_signature",
        VerdictStatus::Untrusted => "untrusted",
        VerdictStatus::ConstraintViolation => "constraint_violation",
        VerdictStatus::WrongKeyUsage => "wrong_key_usage",
        VerdictStatus::Revoked => "revoked",
        VerdictStatus::Expired => "expired",
        VerdictStatus::NotYetValid => "not_yet_valid",
        VerdictStatus::RevocationUnknown => "revocation_unknown",
        VerdictStatus::Valid => "valid",
    }
}

/// The status of a stored text.
pub fn parse_status(text: &str) -> Result<VerdictStatus, ApiError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|e| ApiError::internal(format!("stored verdict status `{text}`: {e}")))
}

/// Serialises a verdict (or anything else) for a JSON text column.
pub use motcua_web::error::to_json_text;

/// The 422 for a certificate that does not name its holder or is not valid: every failed check
/// in `invalid_params`, the verdict and binding in the problem's extension members.
pub fn refusal(verdict: Verdict, binding: Option<Binding>) -> ApiError {
    let mut invalid_params = Vec::new();
    if let Some(binding) = binding.as_ref().filter(|binding| !binding.bound) {
        invalid_params.push(InvalidParam::new(
            "certificate",
            format!("binding check failed: {}", binding.detail),
        ));
    }
    for check in verdict.failures() {
        let kind = serde_json::to_value(check.check)
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default();
        invalid_params.push(InvalidParam::new(
            "certificate",
            format!(
                "{kind} check failed for {}: {}",
                check.subject, check.detail
            ),
        ));
    }
    let status = status_text(verdict.status);
    let detail = format!(
        "the certificate is not usable (verdict `{status}`{}); send `store_unusable: true` to \
         keep it as not usable",
        if binding.as_ref().is_some_and(|b| !b.bound) {
            ", and it does not name its holder"
        } else {
            ""
        }
    );
    ApiError::CertificateRefused(Box::new(CertificateRefusal {
        detail,
        invalid_params,
        verdict,
        binding,
    }))
}

/// What a revalidation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RevalidationSummary {
    /// The time every certificate was validated at.
    pub at: DateTime<Utc>,
    /// Certificates validated.
    pub checked: i64,
    /// Certificates whose status or usability changed (each has a
    /// `certificate.verdict_changed` audit record).
    pub changed: i64,
}

/// Recomputes the verdict of every registered certificate at `at`, stores it, and records each
/// change of status or usability in the audit trail as `certificate.verdict_changed`.
pub fn revalidate_all(
    conn: &mut DbConnection,
    store: &TrustStore,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<RevalidationSummary, ApiError> {
    let validated_at = at.naive_utc();
    let mut summary = RevalidationSummary {
        at,
        checked: 0,
        changed: 0,
    };
    let mut after: Option<CertificateId> = None;
    loop {
        let rows = certificates::for_revalidation(conn, after, REVALIDATION_BATCH)?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id);
        for row in rows {
            let certificate = match Certificate::from_der(&row.der) {
                Ok(certificate) => certificate,
                Err(error) => {
                    tracing::warn!(certificate = %row.id, %error, "stored certificate unreadable");
                    continue;
                }
            };
            let verdict = validate(store, &certificate, at, RevocationPolicy::Require);
            let status = status_text(verdict.status);
            let usable = row.bound && verdict.is_valid();
            certificates::set_verdict(
                conn,
                row.id,
                &VerdictUpdate {
                    status: status.to_owned(),
                    summary: verdict.summary.clone(),
                    verdict: to_json_text(&verdict)?,
                    validated_at,
                    usable,
                },
            )?;
            summary.checked += 1;
            if row.status != status || row.usable != usable {
                summary.changed += 1;
                actor.record(
                    conn,
                    "certificate.verdict_changed",
                    "certificate",
                    row.id,
                    &serde_json::json!({
                        "old_status": row.status,
                        "new_status": status,
                        "old_usable": row.usable,
                        "new_usable": usable,
                        "summary": verdict.summary,
                        "validated_at": at,
                    }),
                )?;
                let previous = PreviousVerdict {
                    status: &row.status,
                    usable: row.usable,
                };
                let stored = certificates::find(conn, row.id)?;
                publish_certificate(conn, &stored, Some(previous))?;
            }
        }
    }
    Ok(summary)
}

/// One scheduled revalidation, against the trust store of the current version.
pub async fn revalidate_now(state: &Data<AppState>) -> Result<RevalidationSummary, ApiError> {
    let shared = state.clone();
    state
        .write(move |conn| {
            let version = trust::lock_version(conn)?;
            let loaded = shared.trust.get(conn, version)?;
            let summary = revalidate_all(
                conn,
                &loaded.store,
                now().and_utc(),
                &Actor::system("scheduled revalidation"),
            )?;
            trust::mark_revalidated(conn, now())?;
            Ok(summary)
        })
        .await
}

/// One revalidation round: every certificate's verdict recomputed (revocation, expiry).
pub async fn revalidation_round(state: &Data<AppState>) {
    match revalidate_now(state).await {
        Ok(summary) => tracing::info!(
            checked = summary.checked,
            changed = summary.changed,
            "certificates revalidated"
        ),
        Err(error) => tracing::warn!(%error, "certificate revalidation failed"),
    }
}

/// How long before the earliest nextUpdate of the held CRLs their refresh is due.
const CRL_REFRESH_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The shortest wait between two CRL refreshes (shorter only when the interval is), so that an
/// unreachable distribution point is not asked in a loop.
const CRL_REFRESH_MIN_WAIT: Duration = Duration::from_secs(60);

/// One CRL refresh: the CRLs of the trust store downloaded again (on a copy of the store, so
/// that validations never wait on the network), and those newer than the ones held imported as
/// an admin's import is (stored, audited, every certificate revalidated). Returns how long to
/// wait until the next refresh.
pub async fn crl_refresh_round(state: &Data<AppState>) -> Duration {
    let interval = state.config.crl_refresh_interval;
    let shared = state.clone();
    let loaded = match state.read(move |conn| shared.trust.current(conn)).await {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::warn!(%error, "CRL refresh: the trust store cannot be read");
            return interval.min(CRL_REFRESH_MIN_WAIT);
        }
    };
    let mut copy = loaded.store.clone();
    let reports = state.archival.fetcher().refresh_store_crls(&mut copy).await;
    for report in &reports {
        if let CrlRefreshOutcome::Failed(reason) = &report.outcome {
            tracing::warn!(issuer = %report.issuer, %reason, "CRL refresh failed");
        }
    }
    let downloaded = newer_crls(&loaded.store, &copy);
    if !downloaded.is_empty() {
        match crate::routes::trust::import_downloaded_crls(state, downloaded).await {
            Ok(imported) => tracing::info!(imported = imported.len(), "CRLs refreshed"),
            Err(error) => {
                tracing::warn!(%error, "CRL refresh: the downloaded CRLs cannot be stored")
            }
        }
    }
    next_crl_refresh(&copy, Utc::now(), interval)
}

/// The CRLs `after` uses that `before` does not (DER, each once).
fn newer_crls(before: &TrustStore, after: &TrustStore) -> Vec<Vec<u8>> {
    let mut newer: Vec<Vec<u8>> = Vec::new();
    for authority in after.ca_certificates() {
        let Some((_, der)) = after.held_crl(&authority) else {
            continue;
        };
        let held_before = before
            .held_crl(&authority)
            .is_some_and(|(_, held)| held == der);
        if !held_before && !newer.iter().any(|known| known.as_slice() == der) {
            newer.push(der.to_vec());
        }
    }
    newer
}

/// The wait until a refresh is due: shortly before the earliest nextUpdate held, at the latest
/// after `interval`, never sooner than [`CRL_REFRESH_MIN_WAIT`] (or `interval` if shorter).
fn next_crl_refresh(store: &TrustStore, now: DateTime<Utc>, interval: Duration) -> Duration {
    let earliest = store
        .ca_certificates()
        .iter()
        .filter_map(|authority| {
            store
                .held_crl(authority)
                .and_then(|(info, _)| info.next_update)
        })
        .min();
    let until_due = earliest.map_or(interval, |next| {
        (next - CRL_REFRESH_MARGIN - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
    });
    until_due
        .min(interval)
        .max(interval.min(CRL_REFRESH_MIN_WAIT))
}

/// File extensions read from `MOTCUA_TRUST_ROOTS_DIR`.
const CERTIFICATE_FILE_EXTENSIONS: &[&str] = &["pem", "crt", "cer", "der", "p7b", "p7c"];

/// Installs the CA certificates found in `dir` when the trust store is empty: self-signed ones
/// as roots, the others as intermediates. Returns how many were added. A file that cannot be
/// read or holds something other than CA certificates stops the start: a trust store silently
/// missing a root would refuse every certificate under it.
pub fn install_default_roots(db: &DbPool, dir: &Path) -> Result<usize, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read MOTCUA_TRUST_ROOTS_DIR {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .and_then(|ext| ext.to_str())
                    .is_some_and(|ext| {
                        CERTIFICATE_FILE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
                    })
        })
        .collect();
    files.sort();
    let mut found = Vec::new();
    let mut check = TrustStore::new();
    for file in &files {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let certificates =
            parse_certificates(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
        for certificate in certificates {
            let kind = if certificate.is_self_signed() {
                TrustAnchorKind::Root
            } else {
                TrustAnchorKind::Intermediate
            };
            let added = match kind {
                TrustAnchorKind::Root => check.add_root(certificate.clone()),
                TrustAnchorKind::Intermediate => check.add_intermediate(certificate.clone()),
            };
            added.map_err(|e| format!("{}: {e}", file.display()))?;
            found.push((kind, certificate));
        }
    }
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let actor = Actor::system("MOTCUA_TRUST_ROOTS_DIR");
    write_transaction(&mut conn, |conn| {
        if trust::count_active_anchors(conn)? > 0 || found.is_empty() {
            return Ok(0);
        }
        trust::bump_version(conn, now())?;
        let mut added = 0;
        for (kind, certificate) in &found {
            let fingerprint = fingerprint(certificate.der());
            if trust::find_active_anchor_by_fingerprint(conn, &fingerprint)?.is_some() {
                continue;
            }
            let anchor = trust::insert_anchor(conn, &new_anchor(*kind, certificate, None))?;
            actor.record(
                conn,
                "trust_anchor.add",
                "trust_anchor",
                anchor.id,
                &serde_json::json!({
                    "kind": anchor.kind,
                    "subject": anchor.subject,
                    "fingerprint": anchor.fingerprint,
                }),
            )?;
            added += 1;
        }
        Ok::<_, ApiError>(added)
    })
    .map_err(|e| format!("cannot install the trust roots: {e}"))
}

/// The row of a CA certificate added to the trust store.
pub fn new_anchor(
    kind: TrustAnchorKind,
    certificate: &Certificate,
    added_by: Option<ApiKeyId>,
) -> NewTrustAnchor {
    let info = certificate.info();
    NewTrustAnchor {
        kind,
        subject: info.subject.text.clone(),
        issuer: info.issuer.text.clone(),
        serial: info.serial.clone(),
        fingerprint: fingerprint(certificate.der()),
        not_before: info.not_before.naive_utc(),
        not_after: info.not_after.naive_utc(),
        der: certificate.der().to_vec(),
        added_at: now(),
        added_by,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use motcua_pki::IdentifierKind;

    #[test]
    fn uploads_accept_pem_and_base64_and_refuse_garbage() {
        assert_eq!(decode_upload("f", "AQID").unwrap(), vec![1, 2, 3]);
        assert_eq!(decode_upload("f", "AQ\nID").unwrap(), vec![1, 2, 3]);
        assert!(decode_upload("f", "-----BEGIN CERTIFICATE-----\nxx").is_ok());
        for garbage in ["", "   ", "not base64 at all!", "=="] {
            let error = decode_upload("certificate", garbage).unwrap_err();
            assert!(
                matches!(&error, ApiError::Invalid { invalid_params, .. } if invalid_params[0].name == "certificate"),
                "{garbage:?}: {error}"
            );
        }
        assert!(upload_certificate("certificate", "AQID").is_err());
    }

    use chrono::NaiveDate;
    use motcua_core::record_ids::UnitId;
    use motcua_core::unit::UnitKind;
    use motcua_pki::testpki::{CertSpec, KeySpec, NameSpec, TestPki};

    fn pki() -> TestPki {
        TestPki::new(KeySpec::EcP256, Utc::now()).unwrap()
    }

    fn issued(pki: &TestPki, spec: &CertSpec) -> Certificate {
        pki.issue(spec).unwrap().certificate().clone()
    }

    fn unit(name: &str, tax_code: Option<&str>, budget_code: Option<&str>) -> Unit {
        let at = now();
        Unit {
            id: UnitId(7),
            code: "000.01.24.H05".into(),
            name: name.into(),
            kind: UnitKind::Commune,
            parent_id: None,
            tax_code: tax_code.map(str::to_owned),
            budget_code: budget_code.map(str::to_owned),
            valid_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            valid_to: None,
            merged_into_id: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn personal_certificates_are_bound_by_cccd() {
        let pki = pki();
        let own = issued(&pki, &pki.individual("Thân Văn Thuận", "024072001234"));
        assert!(bind_to_official(&own, "024072001234").bound);
        let other = bind_to_official(&own, "024072009999");
        assert!(!other.bound);
        assert!(other.detail.contains("024072009999"), "{}", other.detail);
        let old_card = CertSpec::new(
            NameSpec::new()
                .add("C", "VN")
                .add("CN", "Thân Văn Thuận")
                .add_identifier(IdentifierKind::Cmnd, "121234567"),
            pki.now(),
        );
        let old = bind_to_official(&issued(&pki, &old_card), "024072001234");
        assert!(!old.bound);
        assert!(old.detail.contains("CMND:121234567"), "{}", old.detail);
    }

    #[test]
    fn collective_certificates_are_bound_by_code_else_by_name() {
        let pki = pki();
        let named = issued(
            &pki,
            &pki.organisation("UBND XÃ THƯỢNG LAN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang"),
        );
        let by_name = bind_to_unit(&named, &unit("UBND xã  Thượng Lan", None, None));
        assert_eq!((by_name.bound, by_name.method), (true, BindingMethod::Name));
        assert!(!bind_to_unit(&named, &unit("UBND xã Trung Sơn", None, None)).bound);
        // Once the unit has a code, its name is not enough.
        let coded = bind_to_unit(
            &named,
            &unit("UBND xã Thượng Lan", Some("0400260612"), None),
        );
        assert_eq!((coded.bound, coded.method), (false, BindingMethod::TaxCode));

        let with_mst = issued(
            &pki,
            &pki.organisation("SỞ Y TẾ", "UBND THÀNH PHỐ ĐÀ NẴNG", "Đà Nẵng")
                .identifier(IdentifierKind::TaxCode, "0400260612"),
        );
        let by_mst = bind_to_unit(&with_mst, &unit("Sở Y tế", Some("0400260612"), None));
        assert_eq!(
            (by_mst.bound, by_mst.method),
            (true, BindingMethod::TaxCode)
        );
        let wrong = bind_to_unit(&with_mst, &unit("Sở Y tế", Some("0100109106"), None));
        assert!(!wrong.bound);
        assert!(wrong.detail.contains("MST:0400260612"), "{}", wrong.detail);

        let with_mns = issued(
            &pki,
            &pki.organisation("UBND XÃ TĂNG TIẾN", "UBND THỊ XÃ VIỆT YÊN", "Bắc Giang")
                .identifier(IdentifierKind::BudgetCode, "1234567"),
        );
        let both_codes = unit("UBND xã Tăng Tiến", Some("0100109106"), Some("1234567"));
        let by_mns = bind_to_unit(&with_mns, &both_codes);
        assert_eq!(
            (by_mns.bound, by_mns.method),
            (true, BindingMethod::BudgetCode)
        );

        let personal = issued(&pki, &pki.individual("UBND xã Thượng Lan", "024072001234"));
        let refused = bind_to_unit(&personal, &unit("UBND xã Thượng Lan", None, None));
        assert_eq!(
            (refused.bound, refused.method),
            (false, BindingMethod::Cccd)
        );
    }

    #[test]
    fn crl_refresh_is_due_before_the_earliest_next_update() {
        use chrono::SubsecRound;
        use motcua_pki::testpki::CrlSpec;
        let pki = pki();
        // CRLs carry whole seconds.
        let now = pki.now().trunc_subsecs(0);
        let hour = Duration::from_secs(3600);
        let mut store = pki.trust_store().unwrap();
        assert_eq!(
            next_crl_refresh(&store, now, hour),
            hour,
            "nothing held: the interval"
        );
        let soon = CrlSpec {
            next_update: now + chrono::TimeDelta::minutes(30),
            ..CrlSpec::current(now)
        };
        store
            .add_crl(&pki.root_crl(&CrlSpec::current(now)).unwrap())
            .unwrap();
        assert_eq!(
            next_crl_refresh(&store, now, hour),
            hour,
            "a week ahead: the interval"
        );
        store.add_crl(&pki.crl(&soon).unwrap()).unwrap();
        assert_eq!(
            next_crl_refresh(&store, now, hour),
            Duration::from_secs(25 * 60),
            "five minutes before the issuing CA's nextUpdate"
        );
        let mut stale = pki.trust_store().unwrap();
        stale
            .add_crl(&pki.crl(&CrlSpec::stale(now)).unwrap())
            .unwrap();
        assert_eq!(next_crl_refresh(&stale, now, hour), CRL_REFRESH_MIN_WAIT);
        assert_eq!(
            next_crl_refresh(&stale, now, Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn every_status_has_its_text() {
        for status in [
            VerdictStatus::BadSignature,
            VerdictStatus::Untrusted,
            VerdictStatus::ConstraintViolation,
            VerdictStatus::WrongKeyUsage,
            VerdictStatus::Revoked,
            VerdictStatus::Expired,
            VerdictStatus::NotYetValid,
            VerdictStatus::RevocationUnknown,
            VerdictStatus::Valid,
        ] {
            assert_eq!(parse_status(status_text(status)).unwrap(), status);
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::String(status_text(status).into())
            );
        }
    }
}
