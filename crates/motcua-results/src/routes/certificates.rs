//! The certificate registry: personal certificates of officials (chứng thư số cá nhân) and
//! collective certificates of units (chứng thư số tập thể), each with its latest verdict, and
//! how well a unit's subtree is covered by usable ones.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::web::{Data, Json};
use actix_web::{get, post};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use motcua_core::access::{Access, Resource};
use motcua_core::certificate::CertificateKind;
use motcua_core::record_ids::{ApiKeyId, CertificateId, OfficialId, UnitId};
use motcua_db::certificates::{
    self, CertificateFilter, CertificateSummary, NewCertificate, StoredCertificate,
};
use motcua_db::officials::{self, Official, OfficialFilter};
use motcua_db::units::{self, Unit, UnitFilter};
use motcua_db::{now, trust, DbConnection, DbError};
use motcua_pki::{
    Certificate, CertificateInfo, Purpose, RevocationPolicy, TrustStore, Verdict, VerdictStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::{Principal, UnitScope};
use crate::certificate_events::publish_certificate;
use crate::certificate_registry::{
    bind_to_official, bind_to_unit, fingerprint, parse_status, refusal, status_text, to_json_text,
    upload_certificate, upload_certificates, validate, Binding,
};
use crate::state::AppState;
use motcua_audit::Actor;
use motcua_web::answer::Answer;
use motcua_web::error::responses::{ReadErrors, WriteErrors};
use motcua_web::error::ApiError;
use motcua_web::extract::{PathId, ValidJson, ValidQuery};
use motcua_web::pagination::{finish_page, PageParams};
use motcua_web::request_id::RequestId;

/// A registered certificate and its latest verdict.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateView {
    pub id: CertificateId,
    pub kind: CertificateKind,
    /// The official holding a personal certificate.
    pub official_id: Option<OfficialId>,
    /// The unit holding a collective certificate.
    pub unit_id: Option<UnitId>,
    /// Subject, RFC 4514 text, e.g. `UID=CCCD:024072001234, CN=Thân Văn Thuận, C=VN`.
    pub subject: String,
    /// Issuing CA, RFC 4514 text.
    pub issuer: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// SHA-256 of the DER, lowercase hex.
    pub fingerprint_sha256: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Whether the certificate names its holder, checked at registration.
    pub binding: Binding,
    /// Status of the latest verdict.
    pub status: VerdictStatus,
    /// One sentence explaining the latest verdict.
    pub summary: String,
    /// Bound to its holder and valid at `validated_at`: the certificate may sign.
    pub usable: bool,
    /// When the latest verdict was computed; verdicts are recomputed when the trust store
    /// changes and at least daily.
    pub validated_at: DateTime<Utc>,
    pub registered_at: DateTime<Utc>,
    /// The API key that registered it.
    pub registered_by: Option<ApiKeyId>,
    /// The latest verdict with every check; on a single certificate, not in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The certificate in PEM; on a single certificate, not in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
    /// The CA certificates from this certificate's issuer up to, not including, the root of the
    /// trust store it chains to, each in PEM, issuing CA first: what a signature made with this
    /// certificate carries, so that a validator given only the root can build the chain. Taken
    /// from the trust store now; empty when the issuer is a root or is not in the trust store.
    /// On a single certificate, not in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_pem: Option<Vec<String>>,
}

impl CertificateView {
    fn from_summary(c: CertificateSummary) -> Result<Self, ApiError> {
        let binding: Binding = serde_json::from_str(&c.binding).map_err(|e| {
            ApiError::internal(format!("stored binding of certificate {}: {e}", c.id))
        })?;
        Ok(Self {
            id: c.id,
            kind: c.kind,
            official_id: c.official_id,
            unit_id: c.unit_id,
            subject: c.subject,
            issuer: c.issuer,
            serial: c.serial,
            fingerprint_sha256: c.fingerprint,
            not_before: utc(c.not_before),
            not_after: utc(c.not_after),
            binding,
            status: parse_status(&c.status)?,
            summary: c.summary,
            usable: c.usable,
            validated_at: utc(c.validated_at),
            registered_at: utc(c.registered_at),
            registered_by: c.registered_by,
            verdict: None,
            pem: None,
            chain_pem: None,
        })
    }

    /// The full view of one certificate: verdict, PEM and its chain in `store` included.
    fn from_stored(c: StoredCertificate, store: &TrustStore) -> Result<Self, ApiError> {
        let verdict: Verdict = serde_json::from_str(&c.verdict).map_err(|e| {
            ApiError::internal(format!("stored verdict of certificate {}: {e}", c.id))
        })?;
        let certificate = Certificate::from_der(&c.der).ok();
        let pem = certificate.as_ref().map(Certificate::to_pem);
        let chain_pem = certificate.map(|certificate| {
            store
                .intermediates_for(&certificate, &[])
                .iter()
                .map(Certificate::to_pem)
                .collect()
        });
        let mut view = Self::from_summary(c.into())?;
        view.verdict = Some(verdict);
        view.pem = pem;
        view.chain_pem = chain_pem;
        Ok(view)
    }
}

motcua_web::page_type!(CertificatePage, CertificateView);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterCertificateRequest {
    /// The certificate alone: PEM text (`-----BEGIN CERTIFICATE-----`) or its DER in base64.
    pub certificate: String,
    /// The official holding a personal certificate (its `UID=CCCD:` must be the official's
    /// `personal_id`). Give this or `unit_id`.
    pub official_id: Option<OfficialId>,
    /// The unit holding a collective certificate (named by `UID=MST:` / `UID=MNS:` when the unit
    /// has a tax or budget code, else by its CN). Give this or `official_id`.
    pub unit_id: Option<UnitId>,
    /// Keep a certificate that fails binding or validation, marked not usable, instead of
    /// refusing it with 422.
    #[serde(default)]
    pub store_unusable: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateCertificateRequest {
    /// The certificate alone: PEM text or its DER in base64.
    pub certificate: String,
    /// Validate at this time instead of now, e.g. when a document was signed.
    #[serde(default, deserialize_with = "motcua_core::time::optional_instant")]
    pub at: Option<DateTime<Utc>>,
    /// Also check that the certificate names this official.
    pub official_id: Option<OfficialId>,
    /// Also check that the certificate names this unit.
    pub unit_id: Option<UnitId>,
    /// `require` (default): without a usable CRL the verdict is `revocation_unknown`;
    /// `best_effort`: a missing or stale CRL is reported but does not change the verdict (a CRL
    /// that lists the certificate still makes it `revoked`, whatever its age).
    pub revocation_policy: Option<RevocationPolicy>,
    /// Certificates that may help build the path (the intermediates a signature carried, for
    /// instance): each item PEM text (one or more blocks) or one certificate's DER in base64, at
    /// most 16 certificates in all. They are never trusted by themselves: the path must still
    /// end at a root of the trust store, and the verdict names the rule a certificate of the
    /// path breaks.
    #[serde(default)]
    #[schema(max_items = 16)]
    pub chain: Vec<String>,
}

/// Most certificates accepted in `chain`: twice the longest path the validator builds.
const MAX_CHAIN_CERTIFICATES: usize = 16;

/// The certificates of `chain`, each item naming its own field on error.
fn upload_chain(items: &[String]) -> Result<Vec<Certificate>, ApiError> {
    let mut certificates = Vec::new();
    for (index, item) in items.iter().enumerate() {
        certificates.extend(upload_certificates(&format!("chain[{index}]"), item)?);
        if certificates.len() > MAX_CHAIN_CERTIFICATES {
            return Err(ApiError::invalid(
                "chain",
                format!("holds more than {MAX_CHAIN_CERTIFICATES} certificates"),
            ));
        }
    }
    Ok(certificates)
}

/// The result of validating a certificate that is not stored.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ValidationReport {
    /// What the certificate says.
    pub certificate: CertificateInfo,
    pub verdict: Verdict,
    /// Present when an `official_id` or `unit_id` was given.
    pub binding: Option<Binding>,
    /// Valid, and bound to the holder when one was given.
    pub usable: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CertificateQuery {
    /// Personal certificates of this official.
    pub official: Option<OfficialId>,
    /// Certificates held in this unit: its collective certificates and the personal
    /// certificates of the officials working there.
    pub unit: Option<UnitId>,
    /// Like `unit`, for this unit and every unit below it.
    pub under: Option<UnitId>,
    pub kind: Option<CertificateKind>,
    /// Status of the latest verdict.
    pub status: Option<VerdictStatus>,
    pub usable: Option<bool>,
    /// Only certificates that have not expired and expire within this many days (0 to 3650).
    #[param(minimum = 0, maximum = 3650)]
    pub expiring_within_days: Option<i64>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

const MAX_EXPIRY_WINDOW_DAYS: i64 = 3650;

fn expiry_window(days: i64, name: &str) -> Result<(NaiveDateTime, NaiveDateTime), ApiError> {
    if !(0..=MAX_EXPIRY_WINDOW_DAYS).contains(&days) {
        return Err(ApiError::bad_param(
            name,
            format!("between 0 and {MAX_EXPIRY_WINDOW_DAYS} days"),
        ));
    }
    let from = now();
    Ok((from, from + Duration::days(days)))
}

/// List registered certificates, in id order.
#[utoipa::path(tag = "certificates", params(CertificateQuery), responses((status = 200, body = CertificatePage), ReadErrors), security(("api_key" = [])))]
#[get("/certificates")]
pub async fn list_certificates(
    state: Data<AppState>,
    who: Principal,
    query: ValidQuery<CertificateQuery>,
) -> Result<Json<CertificatePage>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?.map(CertificateId));
    let not_after_between = query
        .expiring_within_days
        .map(|days| expiry_window(days, "expiring_within_days"))
        .transpose()?;
    let rows = state
        .read(move |conn| {
            if let Some(official) = query.official {
                let official = find_official(conn, official)?;
                who.require_unit(conn, official.unit_id)?;
            }
            let held_in = who.listed_units(conn, query.unit, query.under)?;
            let filter = CertificateFilter {
                official: query.official,
                held_in,
                kind: query.kind,
                status: query.status.map(|s| status_text(s).to_owned()),
                usable: query.usable,
                not_after_between,
            };
            Ok(certificates::list(conn, &filter, after, limit + 1)?)
        })
        .await?;
    let (rows, next) = finish_page(rows, limit, |c| c.id.0);
    Ok(Json(CertificatePage {
        items: rows
            .into_iter()
            .map(CertificateView::from_summary)
            .collect::<Result<_, _>>()?,
        next,
    }))
}

/// Register the certificate of an official (personal) or of a unit (collective). It must name
/// its holder and be valid now; otherwise it is refused with 422, the verdict in the problem's
/// `verdict` member and every failed check in `invalid_params`, unless `store_unusable` is set.
#[utoipa::path(tag = "certificates", request_body = RegisterCertificateRequest, responses((status = 201, body = CertificateView), WriteErrors), security(("api_key" = [])))]
#[post("/certificates")]
pub async fn register_certificate(
    state: Data<AppState>,
    who: Principal,
    request_id: RequestId,
    body: ValidJson<RegisterCertificateRequest>,
) -> Result<Answer, ApiError> {
    who.require(Resource::Certificates, Access::Write)?;
    let request = body.into_inner();
    let (holder, certificate) = both(
        holder_of(request.official_id, request.unit_id).and_then(|holder| {
            holder
                .ok_or_else(|| ApiError::invalid("official_id", "give `official_id` or `unit_id`"))
        }),
        upload_certificate("certificate", &request.certificate),
    )?;
    let actor = Actor::new(&who, &request_id);
    let shared = state.clone();
    state
        .write_answer(move |conn| {
            let binding = bind_holder(conn, &who, holder, &certificate)?;
            let fingerprint = fingerprint(certificate.der());
            if let Some(existing) = certificates::find_by_fingerprint(conn, &fingerprint)? {
                return Err(ApiError::Conflict(format!(
                    "this certificate is already registered as certificate {}",
                    existing.id
                )));
            }
            // Serialises with changes of the trust store (see `motcua_db::trust`).
            let version = trust::lock_version(conn)?;
            let loaded = shared.trust.get(conn, version)?;
            let at = now().and_utc();
            let verdict = validate(&loaded.store, &certificate, at, RevocationPolicy::Require);
            count_verdict(&shared, &verdict);
            let usable = binding.bound && verdict.is_valid();
            if !usable && !request.store_unusable {
                return Err(refusal(verdict, Some(binding)));
            }
            let info = certificate.info();
            let (official_id, unit_id, kind) = match holder {
                Holder::Official(id) => (Some(id), None, CertificateKind::Individual),
                Holder::Unit(id) => (None, Some(id), CertificateKind::Organisation),
            };
            let stored = certificates::insert(
                conn,
                &NewCertificate {
                    kind,
                    official_id,
                    unit_id,
                    subject: info.subject.text.clone(),
                    issuer: info.issuer.text.clone(),
                    serial: info.serial.clone(),
                    fingerprint,
                    not_before: info.not_before.naive_utc(),
                    not_after: info.not_after.naive_utc(),
                    der: certificate.der().to_vec(),
                    bound: binding.bound,
                    binding: to_json_text(&binding)?,
                    status: status_text(verdict.status).to_owned(),
                    summary: verdict.summary.clone(),
                    verdict: to_json_text(&verdict)?,
                    validated_at: at.naive_utc(),
                    usable,
                    registered_at: now(),
                    registered_by: actor.key_id,
                },
            )
            .map_err(|e| match e {
                DbError::Duplicate { .. } => {
                    ApiError::Conflict("this certificate is already registered".into())
                }
                other => other.into(),
            })?;
            let audited = CertificateView::from_summary(stored.clone().into())?;
            actor.record(
                conn,
                "certificate.register",
                "certificate",
                stored.id,
                &audited,
            )?;
            publish_certificate(conn, &stored, None)?;
            let view = CertificateView::from_stored(stored, &loaded.store)?;
            Answer::created(Some(format!("/certificates/{}", view.id)), &view)
        })
        .await
}

/// One certificate with its latest verdict.
#[utoipa::path(tag = "certificates", params(("id" = i64, Path)), responses((status = 200, body = CertificateView), ReadErrors), security(("api_key" = [])))]
#[get("/certificates/{id}")]
pub async fn get_certificate(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
) -> Result<Json<CertificateView>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let id = CertificateId(id.into_inner());
    let shared = state.clone();
    let view = state
        .read(move |conn| {
            let stored = certificates::find(conn, id)
                .map_err(ApiError::not_found_as(format!("certificate {id}")))?;
            let unit = match (stored.official_id, stored.unit_id) {
                (Some(official), _) => find_official(conn, official)?.unit_id,
                (None, Some(unit)) => unit,
                (None, None) => {
                    return Err(ApiError::internal(format!(
                        "certificate {id} has no holder"
                    )))
                }
            };
            who.require_unit(conn, unit)?;
            let loaded = shared.trust.current(conn)?;
            CertificateView::from_stored(stored, &loaded.store)
        })
        .await?;
    Ok(Json(view))
}

/// Validate a certificate against the trust store without storing it, now or at a given time,
/// and optionally check that it names an official or a unit.
#[utoipa::path(tag = "certificates", request_body = ValidateCertificateRequest, responses((status = 200, body = ValidationReport), WriteErrors), security(("api_key" = [])))]
#[post("/certificates/validate")]
pub async fn validate_certificate(
    state: Data<AppState>,
    who: Principal,
    body: ValidJson<ValidateCertificateRequest>,
) -> Result<Json<ValidationReport>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let request = body.into_inner();
    let (holder, certificate) = both(
        holder_of(request.official_id, request.unit_id),
        upload_certificate("certificate", &request.certificate),
    )?;
    let chain = upload_chain(&request.chain)?;
    let at = request.at.unwrap_or_else(|| now().and_utc());
    let policy = request.revocation_policy.unwrap_or_default();
    let shared = state.clone();
    let report = state
        .read(move |conn| {
            let binding = holder
                .map(|holder| bind_holder(conn, &who, holder, &certificate))
                .transpose()?;
            let loaded = shared.trust.current(conn)?;
            let verdict = loaded
                .store
                .validate(&certificate, &chain, at, Purpose::Signing, policy);
            count_verdict(&shared, &verdict);
            let usable = verdict.is_valid() && binding.as_ref().is_none_or(|b| b.bound);
            Ok(ValidationReport {
                certificate: certificate.info().clone(),
                verdict,
                binding,
                usable,
            })
        })
        .await?;
    Ok(Json(report))
}

/// Both values, or every invalid field of both.
fn both<A, B>(a: Result<A, ApiError>, b: Result<B, ApiError>) -> Result<(A, B), ApiError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (
            Err(ApiError::Invalid {
                invalid_params: mut first,
                ..
            }),
            Err(ApiError::Invalid {
                invalid_params: second,
                ..
            }),
        ) => {
            first.extend(second);
            Err(ApiError::invalid_all(first))
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

#[derive(Debug, Clone, Copy)]
enum Holder {
    Official(OfficialId),
    Unit(UnitId),
}

fn holder_of(
    official: Option<OfficialId>,
    unit: Option<UnitId>,
) -> Result<Option<Holder>, ApiError> {
    match (official, unit) {
        (Some(official), None) => Ok(Some(Holder::Official(official))),
        (None, Some(unit)) => Ok(Some(Holder::Unit(unit))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "unit_id",
            "a certificate belongs to an official or to a unit, not both: give one of \
             `official_id` and `unit_id`",
        )),
    }
}

/// Finds the holder, checks the caller may act on it, and binds the certificate to it.
fn bind_holder(
    conn: &mut DbConnection,
    who: &Principal,
    holder: Holder,
    certificate: &Certificate,
) -> Result<Binding, ApiError> {
    match holder {
        Holder::Official(id) => {
            let official = who.require_official(conn, id, "official_id")?;
            Ok(bind_to_official(certificate, &official.personal_id))
        }
        Holder::Unit(id) => {
            let unit = units::find(conn, id).map_err(ApiError::missing_reference("unit_id"))?;
            who.require_unit(conn, unit.id)?;
            Ok(bind_to_unit(certificate, &unit))
        }
    }
}

fn find_official(conn: &mut DbConnection, id: OfficialId) -> Result<Official, ApiError> {
    officials::find(conn, id).map_err(ApiError::not_found_as(format!("official {id}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// Window of the `expiring` list, in days (0 to 3650, default 30).
    #[param(minimum = 0, maximum = 3650)]
    pub expiring_within_days: Option<i64>,
}

/// Part of a whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoverageFigure {
    pub covered: i64,
    pub total: i64,
    /// `covered / total` in percent, two decimals rounded once from the counts; absent when
    /// `total` is 0.
    pub percent: Option<f64>,
}

impl CoverageFigure {
    fn new(covered: usize, total: usize) -> Self {
        let covered = i64::try_from(covered).unwrap_or(i64::MAX);
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        Self {
            covered,
            total,
            percent: motcua_core::percent::value(covered, total),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UncoveredOfficial {
    pub official_id: OfficialId,
    pub full_name: String,
    pub unit_id: UnitId,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UncoveredDesk {
    pub unit_id: UnitId,
    pub unit_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StatusCount {
    pub status: VerdictStatus,
    pub count: i64,
}

/// How well a unit's subtree is covered by usable certificates: the figures behind "100 % of
/// one-stop officials have a personal certificate; 100 % of commune desks have a collective
/// certificate".
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateCoverage {
    pub unit_id: UnitId,
    /// When the report was computed.
    pub at: DateTime<Utc>,
    /// Active officials of the subtree with a usable, unexpired personal certificate.
    pub officials: CoverageFigure,
    /// Of those, the desk staff: the officials of the desks (the people the staffing table
    /// counts; not the leaders who sit at the district or province unit), the figure of "công
    /// chức Một cửa có chứng thư số cá nhân".
    pub desk_staff: CoverageFigure,
    /// Desks (commune-level units, `commune`, `phuong` or `thi_tran`, and `one_stop_desk` units
    /// that exist today) with a usable, unexpired collective certificate.
    pub desks: CoverageFigure,
    pub uncovered_officials: Vec<UncoveredOfficial>,
    pub uncovered_desks: Vec<UncoveredDesk>,
    /// The window of `expiring`, in days.
    pub expiring_within_days: i64,
    /// Usable certificates that expire within the window.
    pub expiring: Vec<CertificateView>,
    /// Certificates revoked by their CA.
    pub revoked: Vec<CertificateView>,
    /// Certificates that do not chain to a trusted root (`untrusted`) or whose chain does not
    /// verify (`bad_signature`).
    pub untrusted: Vec<CertificateView>,
    /// Every certificate held in the subtree, counted by the status of its latest verdict.
    pub by_status: Vec<StatusCount>,
}

const DEFAULT_EXPIRY_WINDOW_DAYS: i64 = 30;

/// Certificate coverage of a unit and every unit below it.
#[utoipa::path(tag = "certificates", params(("id" = i64, Path), CoverageQuery), responses((status = 200, body = CertificateCoverage), ReadErrors), security(("api_key" = [])))]
#[get("/units/{id}/certificate-coverage")]
pub async fn certificate_coverage(
    state: Data<AppState>,
    who: Principal,
    id: PathId,
    query: ValidQuery<CoverageQuery>,
) -> Result<Json<CertificateCoverage>, ApiError> {
    who.require(Resource::Certificates, Access::Read)?;
    let root = UnitId(id.into_inner());
    let days = query
        .into_inner()
        .expiring_within_days
        .unwrap_or(DEFAULT_EXPIRY_WINDOW_DAYS);
    let window = expiry_window(days, "expiring_within_days")?;
    let coverage = state
        .read(move |conn| {
            units::find(conn, root).map_err(ApiError::not_found_as(format!("unit {root}")))?;
            who.require_unit(conn, root)?;
            coverage(conn, root, days, window)
        })
        .await?;
    Ok(Json(coverage))
}

fn coverage(
    conn: &mut DbConnection,
    root: UnitId,
    days: i64,
    (at, until): (NaiveDateTime, NaiveDateTime),
) -> Result<CertificateCoverage, ApiError> {
    let subtree = units::subtree(conn, root)?;
    let today = at.date();
    let desks: Vec<Unit> = units::list(
        conn,
        &UnitFilter {
            among: Some(subtree.clone()),
            active_on: Some(today),
            ..UnitFilter::default()
        },
        None,
        i64::MAX,
    )?
    .into_iter()
    .filter(|u| u.kind.has_desk())
    .collect();
    let people = officials::list(
        conn,
        &OfficialFilter {
            among_units: Some(subtree.clone()),
            active: Some(true),
            ..OfficialFilter::default()
        },
        None,
        i64::MAX,
    )?;
    let held = certificates::list(
        conn,
        &CertificateFilter {
            held_in: Some(subtree),
            ..CertificateFilter::default()
        },
        None,
        i64::MAX,
    )?;
    let in_force = |c: &CertificateSummary| c.usable && c.not_after >= at;
    let covered_officials: BTreeSet<OfficialId> = held
        .iter()
        .filter(|c| in_force(c))
        .filter_map(|c| c.official_id)
        .collect();
    let covered_units: BTreeSet<UnitId> = held
        .iter()
        .filter(|c| in_force(c))
        .filter_map(|c| c.unit_id)
        .collect();
    let uncovered_officials: Vec<UncoveredOfficial> = people
        .iter()
        .filter(|o| !covered_officials.contains(&o.id))
        .map(|o| UncoveredOfficial {
            official_id: o.id,
            full_name: o.full_name.clone(),
            unit_id: o.unit_id,
        })
        .collect();
    let desk_ids: BTreeSet<UnitId> = desks.iter().map(|d| d.id).collect();
    let staff: Vec<&Official> = people
        .iter()
        .filter(|o| desk_ids.contains(&o.unit_id))
        .collect();
    let uncovered_desks: Vec<UncoveredDesk> = desks
        .iter()
        .filter(|d| !covered_units.contains(&d.id))
        .map(|d| UncoveredDesk {
            unit_id: d.id,
            unit_name: d.name.clone(),
        })
        .collect();
    let mut by_status: BTreeMap<VerdictStatus, i64> = BTreeMap::new();
    let mut expiring = Vec::new();
    let mut revoked = Vec::new();
    let mut untrusted = Vec::new();
    for certificate in held {
        let expiring_soon = in_force(&certificate) && certificate.not_after <= until;
        let view = CertificateView::from_summary(certificate)?;
        *by_status.entry(view.status).or_default() += 1;
        if expiring_soon {
            expiring.push(view);
        } else if view.status == VerdictStatus::Revoked {
            revoked.push(view);
        } else if matches!(
            view.status,
            VerdictStatus::Untrusted | VerdictStatus::BadSignature
        ) {
            untrusted.push(view);
        }
    }
    Ok(CertificateCoverage {
        unit_id: root,
        at: utc(at),
        officials: CoverageFigure::new(people.len() - uncovered_officials.len(), people.len()),
        desk_staff: CoverageFigure::new(
            staff
                .iter()
                .filter(|o| covered_officials.contains(&o.id))
                .count(),
            staff.len(),
        ),
        desks: CoverageFigure::new(desks.len() - uncovered_desks.len(), desks.len()),
        uncovered_officials,
        uncovered_desks,
        expiring_within_days: days,
        expiring,
        revoked,
        untrusted,
        by_status: by_status
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
    })
}

/// Counts a verdict in the metrics, by status.
fn count_verdict(state: &AppState, verdict: &motcua_pki::Verdict) {
    state
        .web
        .metrics
        .certificate_verdicts
        .with_label_values(&[crate::certificate_registry::status_text(verdict.status)])
        .inc();
}
