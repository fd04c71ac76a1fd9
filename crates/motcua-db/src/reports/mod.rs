//! Storage of the report service: reports, their immutable versions and documents, the leader's
//! signing sessions, the organisation key, the outbox and, at the province, received reports.

pub mod schema;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use motcua_core::record_ids::{ApiKeyId, OfficialId, UnitId};
use motcua_core::report::{ReportKind, ReportStatus};
use motcua_core::signing_session::SessionState;

use self::schema::{
    official_signature_images, organisation_keys, outbox, received_reports, report_documents,
    report_signing_sessions, report_versions, reports, unit_seal_images,
};
use crate::{DbConnection, DbResult};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = reports, treat_none_as_null = true)]
pub struct Report {
    pub id: String,
    pub kind: ReportKind,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub unit_scope: String,
    pub periods: String,
    pub status: ReportStatus,
    pub corrects: Option<String>,
    pub current_version: i32,
    pub leader_official_id: Option<OfficialId>,
    pub leader_name: Option<String>,
    pub leader_signed_at: Option<NaiveDateTime>,
    pub number: Option<i32>,
    pub number_year: Option<i32>,
    pub number_text: Option<String>,
    pub issued_at: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
    pub updated_at: NaiveDateTime,
}

/// `unit_scope` of a unit and its ancestors (nearest first): padded so that `LIKE '% 7 %'`
/// finds every report of unit 7 and of the units below it.
pub fn unit_scope(chain: &[UnitId]) -> String {
    let mut scope = String::from(" ");
    for unit in chain {
        scope.push_str(&unit.0.to_string());
        scope.push(' ');
    }
    scope
}

/// The units of a `unit_scope`, nearest first.
pub fn unit_chain(scope: &str) -> Vec<UnitId> {
    scope
        .split_whitespace()
        .filter_map(|id| id.parse().ok().map(UnitId))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_versions)]
pub struct ReportVersion {
    pub report_id: String,
    pub version: i32,
    /// The frozen figures, JSON.
    pub figures: String,
    pub figures_sha256: String,
    /// What the figures were computed from: JSON list of paths and hashes of the responses.
    pub sources: String,
    pub compiled_at: NaiveDateTime,
    /// The texts the drafter wrote and the letterhead, JSON.
    pub texts: String,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_documents)]
pub struct ReportDocument {
    pub report_id: String,
    /// `rendered`, `leader_signed` or `issued`.
    pub stage: String,
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = report_signing_sessions)]
pub struct SigningSession {
    pub id: String,
    pub report_id: String,
    pub official_id: OfficialId,
    pub official_name: String,
    pub certificate: Vec<u8>,
    /// The CA certificates to embed, DER, concatenated.
    pub chain: Vec<u8>,
    pub prepared: String,
    pub pdf: Vec<u8>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    /// Where the session is (`motcua_core::signing_session`); set only through
    /// [`move_session`].
    pub state: SessionState,
    /// The remote signing provider asked, by its configured name.
    pub remote_provider: Option<String>,
    /// The provider's credential chosen.
    pub remote_credential: Option<String>,
    /// The provider's transaction (kept for polling; never shown).
    pub remote_transaction: Option<String>,
    /// When an unanswered remote request expires.
    pub approval_deadline: Option<NaiveDateTime>,
    /// Why the session was rejected or expired.
    pub state_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = organisation_keys)]
pub struct OrganisationKey {
    pub id: i64,
    pub unit_id: UnitId,
    pub certificate: Vec<u8>,
    /// The PKCS#12 encrypted under the key-store password; absent for a key on a device.
    pub pkcs12: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
    /// JSON of the PKCS#11 token or HSM holding the key (`motcua_keys::pkcs11::DeviceKey`);
    /// absent for a stored key.
    pub device: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organisation_keys)]
pub struct NewOrganisationKey {
    pub unit_id: UnitId,
    pub certificate: Vec<u8>,
    /// Exactly one of `pkcs12` and `device` is set.
    pub pkcs12: Option<Vec<u8>>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<ApiKeyId>,
    pub device: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxEntry {
    pub report_id: String,
    pub destination: String,
    pub package: Vec<u8>,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub receipt: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = received_reports)]
pub struct ReceivedReport {
    pub report_id: String,
    pub sender_unit_id: UnitId,
    pub sender_unit_name: String,
    pub sender_level: String,
    pub kind: ReportKind,
    pub periods: String,
    pub number_text: String,
    pub issued_at: NaiveDateTime,
    pub corrects: Option<String>,
    pub figures: String,
    pub figures_sha256: String,
    pub pdf: Vec<u8>,
    pub pdf_sha256: String,
    pub verification: String,
    pub receipt: String,
    pub received_at: NaiveDateTime,
    pub received_by: Option<ApiKeyId>,
}

pub fn insert(conn: &mut DbConnection, report: &Report) -> DbResult<()> {
    diesel::insert_into(reports::table)
        .values(report)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> DbResult<Report> {
    Ok(reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)?)
}

/// Writes every column of `report` back.
pub fn save(conn: &mut DbConnection, report: &Report) -> DbResult<()> {
    diesel::update(reports::table.find(&report.id))
        .set(report)
        .execute(conn)?;
    Ok(())
}

/// Reports in id order (ids are UUIDv7, so creation order) after `after` (keyset), optionally
/// limited to the subtree of a unit and to one status.
pub fn list(
    conn: &mut DbConnection,
    within: Option<UnitId>,
    status: Option<ReportStatus>,
    after: Option<String>,
    limit: i64,
) -> DbResult<Vec<Report>> {
    let mut query = reports::table.select(Report::as_select()).into_boxed();
    if let Some(unit) = within {
        query = query.filter(reports::unit_scope.like(format!("% {} %", unit.0)));
    }
    if let Some(status) = status {
        query = query.filter(reports::status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(reports::id.gt(after));
    }
    Ok(query.order(reports::id).limit(limit).load(conn)?)
}

/// The next document number of `unit` in `year`: numbering restarts each year (NĐ 30).
pub fn next_number(conn: &mut DbConnection, unit: UnitId, year: i32) -> DbResult<i32> {
    let highest: Option<i32> = reports::table
        .filter(reports::unit_id.eq(unit))
        .filter(reports::number_year.eq(year))
        .select(diesel::dsl::max(reports::number))
        .first(conn)?;
    Ok(highest.unwrap_or(0) + 1)
}

pub fn insert_version(conn: &mut DbConnection, version: &ReportVersion) -> DbResult<()> {
    diesel::insert_into(report_versions::table)
        .values(version)
        .execute(conn)?;
    Ok(())
}

pub fn version(conn: &mut DbConnection, report: &str, version: i32) -> DbResult<ReportVersion> {
    Ok(report_versions::table
        .find((report, version))
        .select(ReportVersion::as_select())
        .first(conn)?)
}

pub fn versions(conn: &mut DbConnection, report: &str) -> DbResult<Vec<ReportVersion>> {
    Ok(report_versions::table
        .filter(report_versions::report_id.eq(report))
        .order(report_versions::version)
        .select(ReportVersion::as_select())
        .load(conn)?)
}

pub fn put_document(conn: &mut DbConnection, document: &ReportDocument) -> DbResult<()> {
    diesel::insert_into(report_documents::table)
        .values(document)
        .execute(conn)?;
    Ok(())
}

/// Drops the documents of a report that went back to draft (only unsigned renders exist then).
pub fn delete_documents(conn: &mut DbConnection, report: &str) -> DbResult<()> {
    diesel::delete(report_documents::table.filter(report_documents::report_id.eq(report)))
        .execute(conn)?;
    Ok(())
}

pub fn document(
    conn: &mut DbConnection,
    report: &str,
    stage: &str,
) -> DbResult<Option<ReportDocument>> {
    Ok(report_documents::table
        .find((report, stage))
        .select(ReportDocument::as_select())
        .first(conn)
        .optional()?)
}

crate::signing::session_storage!(report_signing_sessions, SigningSession);

pub fn insert_key(conn: &mut DbConnection, key: &NewOrganisationKey) -> DbResult<i64> {
    Ok(diesel::insert_into(organisation_keys::table)
        .values(key)
        .returning(organisation_keys::id)
        .get_result(conn)?)
}

/// An official's handwritten signature or a unit's seal, as uploaded (PNG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppearanceOwner {
    Official(OfficialId),
    Unit(UnitId),
}

/// Stores the image of `owner`, replacing the one it had.
pub fn put_appearance_image(
    conn: &mut DbConnection,
    owner: AppearanceOwner,
    png: &[u8],
    at: NaiveDateTime,
) -> DbResult<()> {
    match owner {
        AppearanceOwner::Official(official) => {
            diesel::delete(official_signature_images::table.find(official.0)).execute(conn)?;
            diesel::insert_into(official_signature_images::table)
                .values((
                    official_signature_images::official_id.eq(official.0),
                    official_signature_images::png.eq(png),
                    official_signature_images::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        AppearanceOwner::Unit(unit) => {
            diesel::delete(unit_seal_images::table.find(unit.0)).execute(conn)?;
            diesel::insert_into(unit_seal_images::table)
                .values((
                    unit_seal_images::unit_id.eq(unit.0),
                    unit_seal_images::png.eq(png),
                    unit_seal_images::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// The image of `owner` (PNG), if one was uploaded.
pub fn appearance_image(
    conn: &mut DbConnection,
    owner: AppearanceOwner,
) -> DbResult<Option<Vec<u8>>> {
    Ok(match owner {
        AppearanceOwner::Official(official) => official_signature_images::table
            .find(official.0)
            .select(official_signature_images::png)
            .first(conn)
            .optional()?,
        AppearanceOwner::Unit(unit) => unit_seal_images::table
            .find(unit.0)
            .select(unit_seal_images::png)
            .first(conn)
            .optional()?,
    })
}

/// Removes the image of `owner`; answers the removed image (PNG), `None` when it had none.
pub fn remove_appearance_image(
    conn: &mut DbConnection,
    owner: AppearanceOwner,
) -> DbResult<Option<Vec<u8>>> {
    Ok(match owner {
        AppearanceOwner::Official(official) => {
            diesel::delete(official_signature_images::table.find(official.0))
                .returning(official_signature_images::png)
                .get_result(conn)
                .optional()?
        }
        AppearanceOwner::Unit(unit) => diesel::delete(unit_seal_images::table.find(unit.0))
            .returning(unit_seal_images::png)
            .get_result(conn)
            .optional()?,
    })
}

/// The newest key of `unit`: a rotated key replaces the previous one for new signatures.
pub fn current_key(conn: &mut DbConnection, unit: UnitId) -> DbResult<Option<OrganisationKey>> {
    Ok(organisation_keys::table
        .filter(organisation_keys::unit_id.eq(unit))
        .order(organisation_keys::id.desc())
        .select(OrganisationKey::as_select())
        .first(conn)
        .optional()?)
}

pub fn keys_of(conn: &mut DbConnection, unit: Option<UnitId>) -> DbResult<Vec<OrganisationKey>> {
    let mut query = organisation_keys::table
        .select(OrganisationKey::as_select())
        .into_boxed();
    if let Some(unit) = unit {
        query = query.filter(organisation_keys::unit_id.eq(unit));
    }
    Ok(query.order(organisation_keys::id).load(conn)?)
}

pub fn enqueue(conn: &mut DbConnection, entry: &OutboxEntry) -> DbResult<()> {
    diesel::insert_into(outbox::table)
        .values(entry)
        .execute(conn)?;
    Ok(())
}

pub fn outbox_entry(conn: &mut DbConnection, report: &str) -> DbResult<Option<OutboxEntry>> {
    Ok(outbox::table
        .find(report)
        .select(OutboxEntry::as_select())
        .first(conn)
        .optional()?)
}

/// Undelivered entries whose next attempt is due, oldest first.
pub fn due(conn: &mut DbConnection, at: NaiveDateTime, limit: i64) -> DbResult<Vec<OutboxEntry>> {
    Ok(outbox::table
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::next_attempt_at.le(at))
        .order((outbox::next_attempt_at, outbox::report_id))
        .limit(limit)
        .select(OutboxEntry::as_select())
        .load(conn)?)
}

/// How many entries wait for delivery.
pub fn outbox_depth(conn: &mut DbConnection) -> DbResult<i64> {
    Ok(outbox::table
        .filter(outbox::delivered_at.is_null())
        .count()
        .get_result(conn)?)
}

pub fn record_failure(
    conn: &mut DbConnection,
    report: &str,
    error: &str,
    next_attempt_at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(outbox::table.find(report))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(error),
            outbox::next_attempt_at.eq(next_attempt_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn record_delivery(
    conn: &mut DbConnection,
    report: &str,
    receipt: &str,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(outbox::table.find(report))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(None::<String>),
            outbox::delivered_at.eq(at),
            outbox::receipt.eq(receipt),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_received(conn: &mut DbConnection, received: &ReceivedReport) -> DbResult<()> {
    diesel::insert_into(received_reports::table)
        .values(received)
        .execute(conn)?;
    Ok(())
}

pub fn find_received(conn: &mut DbConnection, report: &str) -> DbResult<Option<ReceivedReport>> {
    Ok(received_reports::table
        .find(report)
        .select(ReceivedReport::as_select())
        .first(conn)
        .optional()?)
}

/// Received reports, optionally of one period set (`periods` as stored, e.g. "2023 2024-Q1").
pub fn received(
    conn: &mut DbConnection,
    periods: Option<&str>,
    kind: Option<ReportKind>,
) -> DbResult<Vec<ReceivedReport>> {
    let mut query = received_reports::table
        .select(ReceivedReport::as_select())
        .into_boxed();
    if let Some(periods) = periods {
        query = query.filter(received_reports::periods.eq(periods.to_owned()));
    }
    if let Some(kind) = kind {
        query = query.filter(received_reports::kind.eq(kind));
    }
    Ok(query
        .order((received_reports::received_at, received_reports::report_id))
        .load(conn)?)
}

/// The stage of a report's issued (signed and numbered) document, the archival record.
pub const ISSUED_STAGE: &str = "issued";

/// Up to `limit` issued documents in report id order after `after` (keyset).
pub fn issued_documents_after(
    conn: &mut DbConnection,
    after: Option<&str>,
    limit: i64,
) -> DbResult<Vec<ReportDocument>> {
    Ok(report_documents::table
        .filter(report_documents::stage.eq(ISSUED_STAGE))
        .filter(report_documents::report_id.gt(after.unwrap_or("")))
        .order(report_documents::report_id)
        .limit(limit)
        .select(ReportDocument::as_select())
        .load(conn)?)
}

/// How many issued documents come after `after` in report id order.
pub fn count_issued_documents_after(conn: &mut DbConnection, after: Option<&str>) -> DbResult<i64> {
    Ok(report_documents::table
        .filter(report_documents::stage.eq(ISSUED_STAGE))
        .filter(report_documents::report_id.gt(after.unwrap_or("")))
        .count()
        .get_result(conn)?)
}

/// Replaces the issued document of `report` only if its SHA-256 is still `expected` (compare
/// and swap); whether it was replaced.
pub fn replace_issued_document_if_unchanged(
    conn: &mut DbConnection,
    report: &str,
    expected: &str,
    pdf: &[u8],
    sha256: &str,
) -> DbResult<bool> {
    let changed = diesel::update(
        report_documents::table
            .filter(report_documents::report_id.eq(report))
            .filter(report_documents::stage.eq(ISSUED_STAGE))
            .filter(report_documents::sha256.eq(expected)),
    )
    .set((
        report_documents::pdf.eq(pdf),
        report_documents::sha256.eq(sha256),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}
