//! The trust store: the root and intermediate CA certificates that certificates are validated
//! against, and the CRLs of those CAs with how fresh each is. Admins change it, and the
//! scheduled CRL refresh imports newer CRLs the same way; every change recomputes the verdict of
//! every registered certificate in the same transaction.

use std::sync::Arc;

use actix_web::web::{Data, Json};
use actix_web::{delete, get, post};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::certificate::TrustAnchorKind;
use motcua_core::record_ids::{ApiKeyId, CrlId, TrustAnchorId};
use motcua_db::trust::{self, CrlRecord, NewCrl, TrustAnchor, TrustAnchorFilter};
use motcua_db::{now, DbConnection};
use motcua_pki::{Certificate, PkiError, TrustStore};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::Principal;
use crate::certificate_registry::{
    build_store, fingerprint, new_anchor, revalidate_all, upload_certificates, upload_crl,
    LoadedTrust, RevalidationSummary,
};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::{PathId, ValidJson, ValidQuery};
use motcua_web::pagination::{finish_page, PageParams};
use motcua_web::request_id::RequestId;

/// A CA certificate of the trust store.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrustAnchorView {
    pub id: TrustAnchorId,
    pub kind: TrustAnchorKind,
    /// Subject, RFC 4514 text, e.g. `CN=RootCA chuyên dùng Chính phủ G2, O=Ban Cơ yếu Chính phủ, C=VN`.
    pub subject: String,
    pub issuer: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint_sha256: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub added_at: DateTime<Utc>,
    /// The API key that added it; absent when installed from `MOTCUA_TRUST_ROOTS_DIR`.
    pub added_by: Option<ApiKeyId>,
    /// When it was taken out of the trust store; absent while it is in it.
    pub removed_at: Option<DateTime<Utc>>,
    pub removed_by: Option<ApiKeyId>,
    /// The certificate in PEM.
    pub pem: String,
    /// The CRL the trust store uses for the certificates this CA issued; null for a removed CA.
    pub crl: Option<AnchorCrl>,
}

/// How fresh the CRL held for a CA is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CrlFreshness {
    /// Its nextUpdate is still ahead.
    Current,
    /// Its nextUpdate has passed (or it has none): certificates under the CA are
    /// `revocation_unknown` until a newer CRL is imported or downloaded.
    Stale,
    /// The trust store holds no CRL of this CA.
    Missing,
}

/// The CRL held for a CA, as the scheduled refresh (`MOTCUA_CRL_REFRESH_SECS`) keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnchorCrl {
    pub freshness: CrlFreshness,
    pub this_update: Option<DateTime<Utc>>,
    pub next_update: Option<DateTime<Utc>>,
}

impl AnchorCrl {
    /// The CRL `store` holds for the CA certificate `der`, judged at `now`.
    fn held(store: &TrustStore, der: &[u8], now: DateTime<Utc>) -> Self {
        let held = Certificate::from_der(der)
            .ok()
            .and_then(|authority| store.held_crl(&authority).map(|(info, _)| info));
        match held {
            None => Self {
                freshness: CrlFreshness::Missing,
                this_update: None,
                next_update: None,
            },
            Some(info) => Self {
                freshness: if info.next_update.is_some_and(|next| next > now) {
                    CrlFreshness::Current
                } else {
                    CrlFreshness::Stale
                },
                this_update: Some(info.this_update),
                next_update: info.next_update,
            },
        }
    }
}

impl TrustAnchorView {
    /// The view with the freshness of its CRL in `store` (none for a removed CA).
    fn with_crl(anchor: TrustAnchor, store: &TrustStore) -> Self {
        let crl = anchor
            .removed_at
            .is_none()
            .then(|| AnchorCrl::held(store, &anchor.der, Utc::now()));
        Self {
            crl,
            ..Self::from(anchor)
        }
    }
}

impl From<TrustAnchor> for TrustAnchorView {
    fn from(a: TrustAnchor) -> Self {
        let pem = Certificate::from_der(&a.der)
            .map(|certificate| certificate.to_pem())
            .unwrap_or_default();
        Self {
            id: a.id,
            kind: a.kind,
            subject: a.subject,
            issuer: a.issuer,
            serial: a.serial,
            fingerprint_sha256: a.fingerprint,
            not_before: utc(a.not_before),
            not_after: utc(a.not_after),
            added_at: utc(a.added_at),
            added_by: a.added_by,
            removed_at: a.removed_at.map(utc),
            removed_by: a.removed_by,
            pem,
            crl: None,
        }
    }
}

motcua_web::page_type!(TrustAnchorPage, TrustAnchorView);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTrustAnchorRequest {
    /// `root`: trusted; `intermediate`: used to build chains up to a root.
    pub kind: TrustAnchorKind,
    /// CA certificate(s): PEM text (one or several blocks), DER in base64, or a PKCS#7 bundle
    /// (`.p7b`, PEM or base64). Every certificate of a bundle is added with `kind`.
    pub certificate: String,
}

/// What adding CA certificates did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrustAnchorsAdded {
    /// The certificates added (those already in the trust store are left as they are).
    pub anchors: Vec<TrustAnchorView>,
    pub revalidation: RevalidationSummary,
}

/// What removing a CA certificate did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrustAnchorRemoved {
    pub anchor: TrustAnchorView,
    pub revalidation: RevalidationSummary,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrustAnchorQuery {
    pub kind: Option<TrustAnchorKind>,
    /// `true`: only certificates in the trust store; `false`: only removed ones.
    pub active: Option<bool>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// An imported CRL.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CrlView {
    pub id: CrlId,
    /// The CA that issued it, RFC 4514 text.
    pub issuer: String,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
    /// cRLNumber, hex.
    pub number: Option<String>,
    /// Certificates it lists as revoked.
    pub revoked_count: i64,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint_sha256: String,
    pub added_at: DateTime<Utc>,
    pub added_by: Option<ApiKeyId>,
}

impl From<CrlRecord> for CrlView {
    fn from(c: CrlRecord) -> Self {
        Self {
            id: c.id,
            issuer: c.issuer,
            this_update: utc(c.this_update),
            next_update: c.next_update.map(utc),
            number: c.number,
            revoked_count: c.revoked_count,
            fingerprint_sha256: c.fingerprint,
            added_at: utc(c.added_at),
            added_by: c.added_by,
        }
    }
}

motcua_web::page_type!(CrlPage, CrlView);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCrlRequest {
    /// The CRL: PEM text (`-----BEGIN X509 CRL-----`) or its DER in base64. Its issuer must be in
    /// the trust store and must have signed it.
    pub crl: String,
}

/// What importing a CRL did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CrlImported {
    pub crl: CrlView,
    /// Whether it is now the CRL used for its issuer (`false` when a newer one was imported
    /// before).
    pub current: bool,
    pub revalidation: RevalidationSummary,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CrlQuery {
    /// The issuer, exactly as shown in `issuer`.
    pub issuer: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List the CA certificates of the trust store (and, with `active=false`, removed ones), each
/// with the thisUpdate, nextUpdate and freshness of the CRL held for it.
#[utoipa::path(tag = "trust-store", params(TrustAnchorQuery), responses((status = 200, body = TrustAnchorPage), ReadErrors), security(("api_key" = [])))]
#[get("/trust-anchors")]
pub async fn list_trust_anchors(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<TrustAnchorQuery>,
) -> Result<Json<TrustAnchorPage>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(TrustAnchorId));
    let filter = TrustAnchorFilter {
        kind: query.kind,
        active: query.active,
    };
    let shared = state.clone();
    let (rows, loaded) = state
        .read(move |conn| {
            let rows = trust::list_anchors(conn, &filter, after, limit + 1)?;
            Ok((rows, shared.trust.current(conn)?))
        })
        .await?;
    let (rows, next) = finish_page(rows, limit, |a| a.id.0);
    Ok(Json(TrustAnchorPage {
        items: rows
            .into_iter()
            .map(|anchor| TrustAnchorView::with_crl(anchor, &loaded.store))
            .collect(),
        next,
    }))
}

/// Add root or intermediate CA certificates to the trust store (admins only). Every
/// registered certificate is revalidated.
#[utoipa::path(tag = "trust-store", request_body = NewTrustAnchorRequest, responses((status = 201, body = TrustAnchorsAdded), WriteErrors), security(("api_key" = [])))]
#[post("/trust-anchors")]
pub async fn add_trust_anchors(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewTrustAnchorRequest>,
) -> Result<Answer, ApiError> {
    who.require_admin("change the trust store")?;
    let request = body.into_inner();
    let kind = request.kind;
    let certificates = upload_certificates("certificate", &request.certificate)?;
    // Refuses what no trust store accepts (not a CA, unusable key) before any change.
    let mut check = TrustStore::new();
    for certificate in &certificates {
        match kind {
            TrustAnchorKind::Root => check.add_root(certificate.clone()),
            TrustAnchorKind::Intermediate => check.add_intermediate(certificate.clone()),
        }
        .map_err(|e| ApiError::invalid("certificate", e.to_string()))?;
    }
    let actor = Actor::new(&who, &request_id);
    let change = move |conn: &mut DbConnection, actor: &Actor| {
        refuse_collisions(conn, kind, &certificates)?;
        let mut added = Vec::new();
        let mut present = Vec::new();
        for certificate in &certificates {
            let fingerprint = fingerprint(certificate.der());
            if let Some(held) = trust::find_active_anchor_by_fingerprint(conn, &fingerprint)? {
                present.push(held);
                continue;
            }
            let anchor = trust::insert_anchor(conn, &new_anchor(kind, certificate, actor.key_id))?;
            let view = TrustAnchorView::from(anchor.clone());
            actor.record(conn, "trust_anchor.add", "trust_anchor", view.id, &view)?;
            added.push(anchor);
        }
        if added.is_empty() {
            let held: Vec<String> = present
                .iter()
                .map(|a| format!("{} (trust anchor {}, {})", a.subject, a.id, a.kind))
                .collect();
            return Err(ApiError::Conflict(format!(
                "already in the trust store: {}",
                held.join("; ")
            )));
        }
        Ok((added, Rebuild::FromDatabase))
    };
    change_trust_store(&state, actor, change, |added, revalidation, store| {
        let added: Vec<TrustAnchorView> = added
            .into_iter()
            .map(|anchor| TrustAnchorView::with_crl(anchor, store))
            .collect();
        let location = added.first().map(|a| format!("/trust-anchors/{}", a.id));
        Answer::created(
            location,
            &TrustAnchorsAdded {
                anchors: added,
                revalidation,
            },
        )
    })
    .await
}

/// One CA certificate of the trust store.
#[utoipa::path(tag = "trust-store", params(("id" = i64, Path)), responses((status = 200, body = TrustAnchorView), ReadErrors), security(("api_key" = [])))]
#[get("/trust-anchors/{id}")]
pub async fn get_trust_anchor(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<TrustAnchorView>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let id = TrustAnchorId(id.into_inner());
    let shared = state.clone();
    let (anchor, loaded) = state
        .read(move |conn| Ok((find_anchor(conn, id)?, shared.trust.current(conn)?)))
        .await?;
    Ok(Json(TrustAnchorView::with_crl(anchor, &loaded.store)))
}

/// Take a CA certificate out of the trust store (admins only); the record stays, with
/// `removed_at`. Every registered certificate is revalidated.
#[utoipa::path(tag = "trust-store", params(("id" = i64, Path)), responses((status = 200, body = TrustAnchorRemoved), WriteErrors), security(("api_key" = [])))]
#[delete("/trust-anchors/{id}")]
pub async fn remove_trust_anchor(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    id: PathId,
) -> Result<Answer, ApiError> {
    who.require_admin("change the trust store")?;
    let id = TrustAnchorId(id.into_inner());
    let actor = Actor::new(&who, &request_id);
    let change = move |conn: &mut DbConnection, actor: &Actor| {
        let anchor = find_anchor(conn, id)?;
        if let Some(removed_at) = anchor.removed_at {
            return Err(ApiError::Conflict(format!(
                "trust anchor {id} was already removed on {}",
                utc(removed_at)
            )));
        }
        let removed = trust::remove_anchor(conn, id, now(), actor.key_id)?;
        let view = TrustAnchorView::from(removed);
        actor.record(conn, "trust_anchor.remove", "trust_anchor", id, &view)?;
        Ok((view, Rebuild::FromDatabase))
    };
    change_trust_store(&state, actor, change, |anchor, revalidation, _| {
        Answer::ok(&TrustAnchorRemoved {
            anchor,
            revalidation,
        })
    })
    .await
}

/// List imported CRLs, in id order.
#[utoipa::path(tag = "trust-store", params(CrlQuery), responses((status = 200, body = CrlPage), ReadErrors), security(("api_key" = [])))]
#[get("/crls")]
pub async fn list_crls(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<CrlQuery>,
) -> Result<Json<CrlPage>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(CrlId));
    let rows = state
        .read(move |conn| {
            Ok(trust::list_crls(
                conn,
                query.issuer.as_deref(),
                after,
                limit + 1,
            )?)
        })
        .await?;
    let (rows, next) = finish_page(rows, limit, |c| c.id.0);
    Ok(Json(CrlPage {
        items: rows.into_iter().map(CrlView::from).collect(),
        next,
    }))
}

/// Import a CRL of a CA in the trust store (admins only). Every registered certificate is
/// revalidated, so certificates it revokes become `revoked`.
#[utoipa::path(tag = "trust-store", request_body = NewCrlRequest, responses((status = 201, body = CrlImported), WriteErrors), security(("api_key" = [])))]
#[post("/crls")]
pub async fn import_crl(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<NewCrlRequest>,
) -> Result<Answer, ApiError> {
    who.require_admin("change the trust store")?;
    let der = upload_crl("crl", &body.into_inner().crl)?;
    let actor = Actor::new(&who, &request_id);
    let shared = state.clone();
    let change = move |conn: &mut DbConnection, actor: &Actor| {
        let fingerprint = fingerprint(&der);
        if let Some(held) = trust::find_crl_by_fingerprint(conn, &fingerprint)? {
            return Err(ApiError::Conflict(format!(
                "this CRL was already imported as CRL {}",
                held.id
            )));
        }
        // The store before this change (the version row is locked, so it is current).
        let mut store = shared.trust.current(conn)?.store.clone();
        let imported = record_crl(conn, &mut store, der, actor)?;
        Ok((imported, Rebuild::Use(Box::new(store))))
    };
    change_trust_store(&state, actor, change, |(crl, current), revalidation, _| {
        Answer::created(
            Some(format!("/crls/{}", crl.id)),
            &CrlImported {
                crl,
                current,
                revalidation,
            },
        )
    })
    .await
}

/// One imported CRL.
#[utoipa::path(tag = "trust-store", params(("id" = i64, Path)), responses((status = 200, body = CrlView), ReadErrors), security(("api_key" = [])))]
#[get("/crls/{id}")]
pub async fn get_crl(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<CrlView>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let id = CrlId(id.into_inner());
    let crl = state
        .read(move |conn| {
            trust::find_crl(conn, id).map_err(ApiError::not_found_as(format!("CRL {id}")))
        })
        .await?;
    Ok(Json(crl.into()))
}

/// A CA certificate of the trust store, as another service installs it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExportedAnchor {
    pub kind: TrustAnchorKind,
    /// The certificate's DER in base64.
    pub der_base64: String,
}

/// The trust store in use: its CA certificates and, for each, the CRL it uses.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrustStoreExport {
    /// Raised by every change of the trust store.
    pub version: i64,
    /// Roots and intermediates in the store now (removed ones are left out).
    pub anchors: Vec<ExportedAnchor>,
    /// The DER in base64 of the CRL used for each CA that has one (the newest imported or
    /// downloaded).
    pub crls_der_base64: Vec<String>,
}

/// The trust store in use, in DER, for another service to verify against the same anchors
/// and CRLs (the report service reads it with its read key).
#[utoipa::path(tag = "trust-store", responses((status = 200, body = TrustStoreExport), ReadErrors), security(("api_key" = [])))]
#[get("/trust-store")]
pub async fn export_trust_store(
    state: Data<AppState>,
    who: Principal,
) -> Result<Json<TrustStoreExport>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let shared = state.clone();
    let (anchors, loaded) = state
        .read(move |conn| Ok((trust::active_anchors(conn)?, shared.trust.current(conn)?)))
        .await?;
    let crls = anchors
        .iter()
        .filter_map(|anchor| Certificate::from_der(&anchor.der).ok())
        .filter_map(|authority| {
            loaded
                .store
                .held_crl(&authority)
                .map(|(_, der)| STANDARD.encode(der))
        })
        .collect();
    Ok(Json(TrustStoreExport {
        version: loaded.version,
        anchors: anchors
            .into_iter()
            .map(|anchor| ExportedAnchor {
                kind: anchor.kind,
                der_base64: STANDARD.encode(&anchor.der),
            })
            .collect(),
        crls_der_base64: crls,
    }))
}

/// Stores the CRL `der` with its audit record, and adds it to `store`, which uses it from then
/// on when it is newer than the CRL held for its issuer; returns it and whether it is used.
fn record_crl(
    conn: &mut DbConnection,
    store: &mut TrustStore,
    der: Vec<u8>,
    actor: &Actor,
) -> Result<(CrlView, bool), ApiError> {
    let info = store
        .add_crl(&der)
        .map_err(|e| ApiError::invalid("crl", e.to_string()))?;
    let record = trust::insert_crl(
        conn,
        &NewCrl {
            issuer: info.issuer.clone(),
            this_update: info.this_update.naive_utc(),
            next_update: info.next_update.map(|at| at.naive_utc()),
            number: info.number.clone(),
            revoked_count: i64::try_from(info.revoked_count).unwrap_or(i64::MAX),
            fingerprint: fingerprint(&der),
            der,
            added_at: now(),
            added_by: actor.key_id,
        },
    )?;
    let view = CrlView::from(record);
    actor.record(conn, "crl.import", "crl", view.id, &view)?;
    Ok((view, info.current))
}

const ALREADY_IMPORTED: &str = "every downloaded CRL is already stored";

/// Imports CRLs downloaded by the scheduled refresh as an admin's import does (stored, audited,
/// every certificate revalidated), skipping those already stored; returns those imported.
pub(crate) async fn import_downloaded_crls(
    state: &Data<AppState>,
    ders: Vec<Vec<u8>>,
) -> Result<Vec<CrlView>, ApiError> {
    let actor = Actor::system("scheduled CRL refresh");
    let shared = state.clone();
    let change = move |conn: &mut DbConnection, actor: &Actor| {
        let mut store = shared.trust.current(conn)?.store.clone();
        let mut imported = Vec::new();
        for der in ders {
            if trust::find_crl_by_fingerprint(conn, &fingerprint(&der))?.is_none() {
                imported.push(record_crl(conn, &mut store, der, actor)?.0);
            }
        }
        if imported.is_empty() {
            // Another instance imported them first: no change, no revalidation.
            return Err(ApiError::Conflict(ALREADY_IMPORTED.into()));
        }
        Ok((imported, Rebuild::Use(Box::new(store))))
    };
    let applied = state
        .write(move |conn| {
            apply_change(conn, &actor, change, |imported, _, _| {
                Ok::<_, ApiError>(imported)
            })
        })
        .await;
    match applied {
        Ok((imported, loaded)) => {
            state.trust.install(loaded);
            Ok(imported)
        }
        Err(ApiError::Conflict(reason)) if reason == ALREADY_IMPORTED => Ok(Vec::new()),
        Err(other) => Err(other),
    }
}

/// How the trust store is obtained after a change.
enum Rebuild {
    /// Read everything back from the database (after adding or removing a CA certificate).
    FromDatabase,
    /// This store already holds the change (after importing a CRL).
    Use(Box<TrustStore>),
}

/// Runs `change` in one transaction with the trust store's version row locked, then rebuilds
/// the store, revalidates every registered certificate against it (audit records by the same
/// actor), builds the answer in that transaction and, once committed, makes the new store the
/// one in memory.
async fn change_trust_store<T, F, A>(
    state: &Data<AppState>,
    actor: Actor,
    change: F,
    answer: A,
) -> Result<Answer, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &Actor) -> Result<(T, Rebuild), ApiError> + Send + 'static,
    A: FnOnce(T, RevalidationSummary, &TrustStore) -> Result<Answer, ApiError> + Send + 'static,
{
    let (built, installed) = std::sync::mpsc::channel();
    let answer = state
        .write_answer(move |conn| {
            let (answer, loaded) = apply_change(conn, &actor, change, answer)?;
            // Installed only once committed (a replayed answer installs nothing).
            let _ = built.send(loaded);
            Ok(answer)
        })
        .await?;
    match installed.try_recv() {
        Ok(loaded) if !answer.is_replay() => state.trust.install(loaded),
        _ => {}
    }
    Ok(answer)
}

/// The work of a trust store change inside its transaction: `change`, the new version, the
/// store rebuilt, every certificate revalidated, and `answer` built with the new store.
fn apply_change<T, R, F, A>(
    conn: &mut DbConnection,
    actor: &Actor,
    change: F,
    answer: A,
) -> Result<(R, Arc<LoadedTrust>), ApiError>
where
    F: FnOnce(&mut DbConnection, &Actor) -> Result<(T, Rebuild), ApiError>,
    A: FnOnce(T, RevalidationSummary, &TrustStore) -> Result<R, ApiError>,
{
    trust::lock_version(conn)?;
    let (value, rebuild) = change(conn, actor)?;
    let version = trust::bump_version(conn, now())?;
    let store = match rebuild {
        Rebuild::FromDatabase => build_store(conn)?,
        Rebuild::Use(store) => *store,
    };
    let revalidation = revalidate_all(conn, &store, now().and_utc(), actor)?;
    trust::mark_revalidated(conn, now())?;
    let answer = answer(value, revalidation, &store)?;
    Ok((answer, Arc::new(LoadedTrust { version, store })))
}

/// 409 when a new root carries the name of a root in the store with another key: the store
/// would then trust two keys under one name, which is how a look-alike root gets in.
fn refuse_collisions(
    conn: &mut DbConnection,
    kind: TrustAnchorKind,
    certificates: &[Certificate],
) -> Result<(), ApiError> {
    if kind != TrustAnchorKind::Root {
        return Ok(());
    }
    let mut store = build_store(conn)?;
    for certificate in certificates {
        match store.add_root(certificate.clone()) {
            Err(collision @ PkiError::AnchorCollision { .. }) => {
                return Err(ApiError::Conflict(collision.to_string()))
            }
            Err(other) => return Err(ApiError::invalid("certificate", other.to_string())),
            Ok(()) => {}
        }
    }
    Ok(())
}

fn find_anchor(conn: &mut DbConnection, id: TrustAnchorId) -> Result<TrustAnchor, ApiError> {
    trust::find_anchor(conn, id).map_err(ApiError::not_found_as(format!("trust anchor {id}")))
}
