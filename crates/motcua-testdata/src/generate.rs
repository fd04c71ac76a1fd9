//! Generated dossiers: the seed report's district with records whose statistics reproduce the
//! report's figures, and the same generator at any scale for benchmarks. Rows are written in bulk
//! with their final state (and optionally their history); the statistics counters are fed from
//! the same rows, so they equal what the lifecycle would have produced.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use motcua_core::calendar::WorkingCalendar;
use motcua_core::dossier::{
    dossier_code, vietnam_day, ApplicantKind, Channel, DossierStatus, Rating, Resolution,
};
use motcua_core::identifiers::tax_code_check_digit;
use motcua_core::record_ids::{DossierId, ProcedureId, UnitId};
use motcua_core::statistics::contributions;
use motcua_core::unit::UnitKind;
use motcua_db::dossier_results::{self, NewResult};
use motcua_db::dossiers::{self, NewDossier, NewEvent};
use motcua_db::procedures::{self, NewProcedure};
use motcua_db::statistics::{self, CountDelta};
use motcua_db::units::{self, NewUnit, Unit};
use motcua_db::{now, write_transaction, DbConnection};

use motcua_results::seed::{seed_viet_yen, SeededDistrict};

use crate::catalogue::{procedures as seed_procedures, Level, SeedProcedure};
use crate::results::{ResultFacts, ResultSigner, SignedResult};
use motcua_web::error::ApiError;

/// The seed report's figures, as this generator reproduces them.
pub mod viet_yen_figures {
    /// District level, 2023: carried over from 2022, and new by channel (online, direct, postal).
    pub const DISTRICT_2023: (u64, [u64; 3]) = (67, [9054, 1445, 160]);
    /// District level: in progress at the end of 2023 (= carried into Q1/2024).
    pub const DISTRICT_OPEN_END_2023: u64 = 474;
    /// District level, Q1/2024. The report prints 3155 new, but its channels add up to 3159:
    /// the records decide.
    pub const DISTRICT_Q1_2024: [u64; 3] = [3151, 4, 4];
    pub const COMMUNE_2023: (u64, [u64; 3]) = (109, [27627, 833, 47]);
    pub const COMMUNE_OPEN_END_2023: u64 = 223;
    pub const COMMUNE_Q1_2024: [u64; 3] = [4255, 3, 19];
    /// Procedures in the catalogue and those offered online: district (254, 241), commune (156, 144).
    pub const DISTRICT_PROCEDURES: (usize, usize) = (254, 241);
    pub const COMMUNE_PROCEDURES: (usize, usize) = (156, 144);
    /// Q1/2024 reuse of digitised data: "cấp huyện đạt 98,71%; cấp xã đạt 98,87 %". Of the
    /// 3 159 and 4 277 new dossiers no count gives those percentages exactly (the nearest are
    /// 3 118 = 98,70 % and 4 229 = 98,88 %): the report divided by another total.
    pub const DISTRICT_REUSE_Q1_2024: (u64, u64) = (9871, 10_000);
    pub const COMMUNE_REUSE_Q1_2024: (u64, u64) = (9887, 10_000);
    /// The report gives no reuse figure before 2024.
    pub const REUSE_BEFORE_2024: (u64, u64) = (988, 1000);
}

/// A small deterministic random source (xorshift), so generated data can be reproduced.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    fn chance(&mut self, percent_tenths: u64) -> bool {
        self.below(1000) < percent_tenths
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(usize::try_from(self.below(items.len() as u64)).unwrap_or(0))
    }

    /// Favours the first items: a few procedures carry most dossiers.
    fn pick_skewed<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let a = self.below(items.len() as u64);
        let b = self.below(items.len() as u64);
        items.get(usize::try_from(a.min(b)).unwrap_or(0))
    }
}

/// A procedure as the generator needs it.
#[derive(Debug, Clone)]
pub struct ProcedureRef {
    pub id: ProcedureId,
    pub field: String,
    pub processing_days: i32,
}

/// One window of dossiers to generate at a set of units.
#[derive(Debug, Clone)]
pub struct Batch {
    pub units: Vec<(UnitId, String)>,
    pub procedures: Vec<ProcedureRef>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// New dossiers by channel: online, direct, postal.
    pub channels: [u64; 3],
    /// How many stay unresolved at the end of the window (resolved in the weeks after).
    pub open_at_end: u64,
    /// Tenths of a percent of results issued electronically: each one is signed and stored by
    /// the [`ResultSigner`] given to [`generate_batch`]; without one, no result is marked
    /// electronic (a dossier never claims a result that is not there).
    pub electronic_results: u64,
    /// Results decided before this day are on paper (the unit went electronic that day).
    pub electronic_since: Option<NaiveDate>,
    /// The share of dossiers that reuse digitised data (numerator, denominator): exactly that
    /// many of the batch's dossiers, rounded, so that a report's rate comes out as intended.
    pub reused: (u64, u64),
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub dossiers: u64,
    pub events: u64,
    /// Electronic results signed and stored.
    pub results: u64,
}

/// Writes the batch: dossiers, (optionally) their history, the day sequences, the counters and,
/// with a `signer`, the signed electronic results of the dossiers marked as having one.
pub fn generate_batch(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    batch: &Batch,
    rng: &mut Rng,
    with_history: bool,
    signer: Option<&dyn ResultSigner>,
) -> Result<Generated, ApiError> {
    let total: u64 = batch.channels.iter().sum();
    let mut plans: Vec<Plan> = (0..total)
        .map(|i| plan_one(calendar, batch, rng, i))
        .collect::<Result<_, _>>()?;
    plans.sort_by_key(|p| (p.unit.0, p.received_at));
    let mut numbers: HashMap<(UnitId, NaiveDate), i32> = HashMap::new();
    let mut rows = Vec::with_capacity(plans.len());
    let mut counters: HashMap<(UnitId, String, NaiveDate, motcua_core::statistics::Metric), i64> =
        HashMap::new();
    for plan in &plans {
        let day = vietnam_day(plan.received_at);
        let number = numbers.entry((plan.unit, day)).or_insert(0);
        *number += 1;
        let mut row = plan.to_row(
            dossier_code(&plan.unit_code, day, u32::try_from(*number).unwrap_or(0)),
            rng,
        );
        row.electronic_result &= signer.is_some()
            && batch
                .electronic_since
                .is_none_or(|since| row.resolved_on.is_some_and(|on| on >= since));
        rows.push(row);
    }
    set_exact_share(&mut rows, batch.reused);
    for row in &rows {
        for (day, metric) in contributions(&row.facts()) {
            *counters
                .entry((row.unit_id, row.field.clone(), day, metric))
                .or_default() += 1;
        }
    }
    // Signing is CPU work and needs no database: done before the write transaction opens.
    let signed = match signer {
        Some(signer) => sign_results(signer, &rows)?,
        None => Vec::new(),
    };
    write_transaction(conn, |conn| {
        dossiers::insert_many(conn, &rows)?;
        store_results(conn, signed)?;
        let sequences: Vec<(UnitId, NaiveDate, i32)> =
            numbers.iter().map(|((u, d), n)| (*u, *d, *n)).collect();
        dossiers::insert_sequences(conn, &sequences)?;
        let deltas: Vec<CountDelta> = counters
            .iter()
            .map(|((unit_id, field, day, metric), n)| CountDelta {
                unit_id: *unit_id,
                field: field.clone(),
                day: *day,
                metric: *metric,
                n: *n,
            })
            .collect();
        statistics::apply(conn, &deltas)?;
        let results_count = rows.iter().filter(|row| row.electronic_result).count() as u64;
        let events = if with_history {
            write_history(conn, &rows)?
        } else {
            0
        };
        Ok(Generated {
            dossiers: rows.len() as u64,
            events,
            results: results_count,
        })
    })
}

/// Marks exactly `numerator / denominator` of `rows` (rounded) as reusing digitised data,
/// changing the fewest rows from what chance gave them.
fn set_exact_share(rows: &mut [NewDossier], (numerator, denominator): (u64, u64)) {
    let total = rows.len() as u64;
    let target = (total * numerator + denominator / 2)
        .checked_div(denominator)
        .unwrap_or(total)
        .min(total);
    let mut reused = rows.iter().filter(|row| row.reused).count() as u64;
    for row in rows.iter_mut() {
        if reused == target {
            break;
        }
        if reused > target && row.reused {
            row.reused = false;
            reused -= 1;
        } else if reused < target && !row.reused {
            row.reused = true;
            reused += 1;
        }
    }
}

/// The signed results of the rows marked electronic, keyed by dossier code, made on every core.
fn sign_results(
    signer: &dyn ResultSigner,
    rows: &[NewDossier],
) -> Result<Vec<(String, SignedResult, NaiveDateTime)>, ApiError> {
    let facts: Vec<(ResultFacts, NaiveDateTime)> = rows
        .iter()
        .filter(|row| row.electronic_result)
        .filter_map(|row| {
            let resolved_at = row.resolved_at?;
            Some((
                ResultFacts {
                    dossier_code: row.code.clone(),
                    unit: row.unit_id,
                    procedure: row.procedure_id,
                    applicant_name: row.applicant_name.clone(),
                    received_at: row.received_at.unwrap_or(row.submitted_at).and_utc(),
                    signed_at: resolved_at.and_utc(),
                },
                resolved_at,
            ))
        })
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let per_worker = facts.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = facts
            .chunks(per_worker)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(facts, at)| {
                            Ok((facts.dossier_code.clone(), signer.sign(facts)?, *at))
                        })
                        .collect::<Result<Vec<_>, ApiError>>()
                })
            })
            .collect();
        let mut signed = Vec::with_capacity(facts.len());
        for handle in handles {
            let part = handle
                .join()
                .map_err(|_| ApiError::internal("signing a generated result panicked"))??;
            signed.extend(part);
        }
        Ok(signed)
    })
}

/// Stores the signed results of dossiers just inserted.
fn store_results(
    conn: &mut DbConnection,
    signed: Vec<(String, SignedResult, NaiveDateTime)>,
) -> Result<(), ApiError> {
    if signed.is_empty() {
        return Ok(());
    }
    let codes: Vec<String> = signed.iter().map(|(code, _, _)| code.clone()).collect();
    let ids: HashMap<String, DossierId> =
        dossiers::ids_by_code(conn, &codes)?.into_iter().collect();
    let rows = signed
        .into_iter()
        .map(|(code, result, signed_at)| {
            let dossier_id = *ids
                .get(&code)
                .ok_or_else(|| ApiError::internal(format!("dossier {code} was not stored")))?;
            Ok(NewResult {
                dossier_id,
                sha256: hex::encode(motcua_pki::cms::sha256(&result.pdf)),
                pdf: result.pdf,
                certificate_id: result.certificate_id,
                signed_at,
                signed_by: None,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    dossier_results::insert_many(conn, &rows)?;
    Ok(())
}

/// The planned life of one dossier.
struct Plan {
    unit: UnitId,
    unit_code: String,
    procedure: ProcedureRef,
    channel: Channel,
    received_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    resolved_at: DateTime<Utc>,
    closing: DossierStatus,
    electronic_result: bool,
}

fn plan_one(
    calendar: &WorkingCalendar,
    batch: &Batch,
    rng: &mut Rng,
    index: u64,
) -> Result<Plan, ApiError> {
    let [online, direct, _] = batch.channels;
    // The first `open_at_end` dossiers (online first, as most dossiers are) stay open.
    let channel = if index < online {
        Channel::Online
    } else if index < online + direct {
        Channel::Direct
    } else {
        Channel::Postal
    };
    let (unit, unit_code) = rng
        .pick(&batch.units)
        .cloned()
        .ok_or_else(|| ApiError::internal("a batch needs units"))?;
    let procedure = rng
        .pick_skewed(&batch.procedures)
        .cloned()
        .ok_or_else(|| ApiError::internal("a batch needs procedures"))?;
    let end_of_window = at_local(batch.last_day, 17, 30);
    let stays_open = index < batch.open_at_end;
    let window_days = (batch.last_day - batch.first_day).num_days().max(0);
    let offset = if stays_open {
        window_days - i64::try_from(rng.below(12)).unwrap_or(0)
    } else {
        i64::try_from(rng.below(u64::try_from(window_days + 1).unwrap_or(1))).unwrap_or(0)
    };
    let mut day = batch.first_day + Duration::days(offset.clamp(0, window_days));
    while !calendar.is_working_day(day) && day > batch.first_day {
        day = day.pred_opt().unwrap_or(day);
    }
    let received_at = at_local(
        day,
        7 + u32::try_from(rng.below(9)).unwrap_or(0),
        u32::try_from(rng.below(60)).unwrap_or(0),
    );
    let days = u32::try_from(procedure.processing_days).unwrap_or(0);
    let due_at = calendar
        .due_time(received_at, days)
        .map_err(ApiError::internal_from)?;
    let resolved_at = if stays_open {
        end_of_window + Duration::hours(14 + i64::try_from(rng.below(24 * 20)).unwrap_or(0))
    } else {
        resolution_time(rng, received_at, due_at)
            .min(end_of_window.max(received_at + Duration::minutes(30)))
    };
    let closing = match rng.below(1000) {
        0..=9 => DossierStatus::Cancelled,
        10..=14 => DossierStatus::Unresolved,
        _ => DossierStatus::Releasing,
    };
    let electronic_result =
        closing == DossierStatus::Releasing && rng.chance(batch.electronic_results);
    Ok(Plan {
        unit,
        unit_code,
        procedure,
        channel,
        received_at,
        due_at,
        resolved_at,
        closing,
        electronic_result,
    })
}

/// Most results come before the due time, some on the day, a few late.
fn resolution_time(rng: &mut Rng, received: DateTime<Utc>, due: DateTime<Utc>) -> DateTime<Utc> {
    let span = (due - received).num_minutes().max(60);
    let minutes = match rng.below(100) {
        0..=84 => i64::try_from(rng.below(u64::try_from(span).unwrap_or(60))).unwrap_or(0),
        85..=96 => span,
        _ => span + 60 * 24 * (1 + i64::try_from(rng.below(5)).unwrap_or(0)),
    };
    received + Duration::minutes(minutes.max(20))
}

fn at_local(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = NaiveDateTime::new(
        day,
        NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN),
    );
    (local - Duration::hours(7)).and_utc()
}

impl Plan {
    fn to_row(&self, code: String, rng: &mut Rng) -> NewDossier {
        let now_utc = Utc::now();
        let received = self.received_at.naive_utc();
        let due_on = vietnam_day(self.due_at);
        let resolved = self.resolved_at <= now_utc;
        let resolved_on = vietnam_day(self.resolved_at);
        let returned_at = (resolved && self.closing == DossierStatus::Releasing)
            .then(|| {
                self.resolved_at + Duration::hours(2 + i64::try_from(rng.below(60)).unwrap_or(0))
            })
            .filter(|at| *at <= now_utc);
        let status = match (resolved, returned_at) {
            (false, _) => DossierStatus::Processing,
            (true, Some(_)) => DossierStatus::Done,
            (true, None) => self.closing,
        };
        let rating = returned_at.and_then(|_| match rng.below(1000) {
            0..=479 => Some(Rating::Satisfied),
            480..=494 => Some(Rating::Normal),
            495..=499 => Some(Rating::Unsatisfied),
            _ => None,
        });
        let (applicant_kind, applicant_id_number) = applicant(rng);
        let at = now();
        NewDossier {
            code,
            unit_id: self.unit,
            procedure_id: self.procedure.id,
            field: self.procedure.field.clone(),
            channel: self.channel,
            status,
            applicant_kind,
            applicant_name: person_name(rng),
            applicant_id_number,
            applicant_address: None,
            applicant_phone: None,
            applicant_email: None,
            request_content: None,
            receiving_official_id: None,
            submitted_at: received,
            received_at: Some(received),
            received_on: Some(vietnam_day(self.received_at)),
            due_at: Some(self.due_at.naive_utc()),
            due_on: Some(due_on),
            paused_at: None,
            resolved_at: resolved.then(|| self.resolved_at.naive_utc()),
            resolved_on: resolved.then_some(resolved_on),
            resolution: resolved
                .then(|| Resolution::classify(self.closing, resolved_on, Some(due_on))),
            returned_at: returned_at.map(|r| r.naive_utc()),
            appointment_at: None,
            digitised: rng.chance(950),
            reused: rng.chance(988),
            electronic_result: resolved && self.electronic_result,
            rating,
            created_at: at,
            updated_at: at,
        }
    }
}

/// The status history of generated dossiers: reception, processing, then how they closed.
fn write_history(conn: &mut DbConnection, rows: &[NewDossier]) -> Result<u64, ApiError> {
    let codes: Vec<String> = rows.iter().map(|r| r.code.clone()).collect();
    let ids: HashMap<String, DossierId> =
        dossiers::ids_by_code(conn, &codes)?.into_iter().collect();
    let mut events = Vec::with_capacity(rows.len() * 4);
    for row in rows {
        let Some(id) = ids.get(&row.code).copied() else {
            continue;
        };
        let event = |at: NaiveDateTime,
                     from: Option<DossierStatus>,
                     to: DossierStatus,
                     note: Option<&str>| NewEvent {
            dossier_id: id,
            at,
            kind: "status".into(),
            from_status: from,
            to_status: Some(to),
            official_id: None,
            actor_key_id: None,
            note: note.map(str::to_owned),
            request_id: "-".into(),
        };
        events.push(event(row.submitted_at, None, DossierStatus::New, None));
        let processing_at = row.submitted_at + Duration::minutes(10);
        events.push(event(
            processing_at,
            Some(DossierStatus::New),
            DossierStatus::Processing,
            None,
        ));
        let closing = match row.status {
            DossierStatus::Done => Some(DossierStatus::Releasing),
            DossierStatus::Cancelled | DossierStatus::Unresolved | DossierStatus::Releasing => {
                Some(row.status)
            }
            _ => None,
        };
        if let (Some(closing), Some(at)) = (closing, row.resolved_at) {
            let note = (closing != DossierStatus::Releasing).then_some("theo đề nghị của công dân");
            events.push(event(
                at.max(processing_at),
                Some(DossierStatus::Processing),
                closing,
                note,
            ));
        }
        if let Some(at) = row.returned_at {
            events.push(event(
                at,
                Some(DossierStatus::Releasing),
                DossierStatus::Done,
                None,
            ));
        }
    }
    dossiers::insert_events(conn, &events)?;
    Ok(events.len() as u64)
}

fn applicant(rng: &mut Rng) -> (ApplicantKind, String) {
    if rng.chance(100) {
        loop {
            let digits: Vec<u32> = (0..9)
                .map(|i| {
                    if i == 0 {
                        0
                    } else {
                        u32::try_from(rng.below(10)).unwrap_or(0)
                    }
                })
                .collect();
            if let Some(check) = tax_code_check_digit(&digits) {
                let text: String = digits
                    .iter()
                    .chain(std::iter::once(&check))
                    .map(|d| char::from(b'0' + u8::try_from(*d).unwrap_or(0)))
                    .collect();
                return (ApplicantKind::Business, text);
            }
        }
    }
    let sex_century = rng.below(4);
    let year = rng.below(100);
    (
        ApplicantKind::Citizen,
        format!("024{sex_century}{year:02}{:06}", rng.below(1_000_000)),
    )
}

fn person_name(rng: &mut Rng) -> String {
    const FAMILY: [&str; 12] = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Thân", "Ngô", "Dương", "Bùi", "Đặng",
    ];
    const MIDDLE: [&str; 8] = ["Văn", "Thị", "Đức", "Minh", "Thu", "Hồng", "Ngọc", "Quang"];
    const GIVEN: [&str; 20] = [
        "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh",
        "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Thảo", "Yến",
    ];
    fn pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
        rng.pick(items).copied().unwrap_or("")
    }
    format!(
        "{} {} {}",
        pick(rng, &FAMILY),
        pick(rng, &MIDDLE),
        pick(rng, &GIVEN)
    )
}

/// The catalogue of the seed district ([`crate::catalogue`]): 254 district-level procedures (241
/// online) and 156 commune-level ones (144 online), as the report counts them. Stores those not
/// stored yet; returns (district, commune).
pub fn catalogue(
    conn: &mut DbConnection,
) -> Result<(Vec<ProcedureRef>, Vec<ProcedureRef>), ApiError> {
    use viet_yen_figures::{COMMUNE_PROCEDURES, DISTRICT_PROCEDURES};
    write_transaction(conn, |conn| {
        let district = procedures_at(conn, Level::District, DISTRICT_PROCEDURES)?;
        let commune = procedures_at(conn, Level::Commune, COMMUNE_PROCEDURES)?;
        Ok((district, commune))
    })
}

fn procedures_at(
    conn: &mut DbConnection,
    level: Level,
    counts: (usize, usize),
) -> Result<Vec<ProcedureRef>, ApiError> {
    let seed = seed_procedures(level, counts);
    let mut refs = Vec::with_capacity(seed.len());
    for p in seed {
        let existing = procedures::list(
            conn,
            &procedures::ProcedureFilter {
                code: Some(p.code.clone()),
                current_only: true,
                ..Default::default()
            },
            None,
            1,
        )?;
        let procedure = match existing.into_iter().next() {
            Some(found) => found,
            None => procedures::insert(conn, &new_procedure(p, level))?,
        };
        refs.push(ProcedureRef {
            id: procedure.id,
            field: procedure.field,
            processing_days: procedure.processing_days,
        });
    }
    Ok(refs)
}

fn new_procedure(p: SeedProcedure, level: Level) -> NewProcedure {
    let at = now();
    NewProcedure {
        code: p.code,
        name: p.name,
        field: p.field,
        level_province: false,
        level_district: level == Level::District,
        level_commune: level == Level::Commune,
        processing_days: p.days,
        online_level: p.online,
        non_boundary: p.non_boundary,
        fee_vnd: p.fee_vnd,
        fee_note: p.fee_note,
        decision_number: p.decision_number,
        decision_date: p.decision_date,
        supersedes_id: None,
        supersede_kind: None,
        created_at: at,
        updated_at: at,
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn unit_refs(units: &[&Unit]) -> Vec<(UnitId, String)> {
    units.iter().map(|u| (u.id, u.code.clone())).collect()
}

/// The seed report's district with its dossiers of December 2022 (carried into 2023), 2023 and
/// Q1/2024, reproducing the report's figures. Refuses to run twice on the same database.
///
/// With a `signer`, every result of Q1/2024 is electronic, signed and stored, as the report says
/// ("tỷ lệ hồ sơ cấp kết quả điện tử đạt 100%"); the report gives no such figure for 2023, and
/// signing its 38 000 results would make the seed ten times slower to load, so 2023's results
/// are on paper. Without a signer no result is electronic.
pub fn viet_yen(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    with_history: bool,
    signer: Option<&dyn ResultSigner>,
) -> Result<(SeededDistrict, Generated), ApiError> {
    use viet_yen_figures::*;
    let seeded = seed_viet_yen(conn)?;
    let (district_procedures, commune_procedures) = catalogue(conn)?;
    let desk = unit_refs(&[&seeded.district_desk]);
    let communes = unit_refs(&seeded.communes.iter().collect::<Vec<_>>());
    if has_dossiers(conn, seeded.district_desk.id)? {
        return Err(ApiError::Conflict(
            "the seed district already has dossiers".into(),
        ));
    }
    // From 2024 every result is electronic ("tỷ lệ hồ sơ cấp kết quả điện tử đạt 100%"), also
    // for dossiers of 2023 decided in 2024; the report gives no figure for earlier results.
    let electronic_since = Some(day(2024, 1, 1));
    let batch = |units: &[(UnitId, String)],
                 procedures: &[ProcedureRef],
                 window: (NaiveDate, NaiveDate),
                 channels: [u64; 3],
                 open_at_end: u64,
                 reused: (u64, u64)| Batch {
        units: units.to_vec(),
        procedures: procedures.to_vec(),
        first_day: window.0,
        last_day: window.1,
        channels,
        open_at_end,
        electronic_results: 1000,
        electronic_since,
        reused,
    };
    let december_2022 = (day(2022, 12, 1), day(2022, 12, 31));
    let year_2023 = (day(2023, 1, 1), day(2023, 12, 31));
    let q1_2024 = (day(2024, 1, 1), day(2024, 3, 31));
    let batches = [
        batch(
            &desk,
            &district_procedures,
            december_2022,
            split(DISTRICT_2023.0),
            DISTRICT_2023.0,
            REUSE_BEFORE_2024,
        ),
        batch(
            &desk,
            &district_procedures,
            year_2023,
            DISTRICT_2023.1,
            DISTRICT_OPEN_END_2023,
            REUSE_BEFORE_2024,
        ),
        batch(
            &desk,
            &district_procedures,
            q1_2024,
            DISTRICT_Q1_2024,
            250,
            DISTRICT_REUSE_Q1_2024,
        ),
        batch(
            &communes,
            &commune_procedures,
            december_2022,
            split(COMMUNE_2023.0),
            COMMUNE_2023.0,
            REUSE_BEFORE_2024,
        ),
        batch(
            &communes,
            &commune_procedures,
            year_2023,
            COMMUNE_2023.1,
            COMMUNE_OPEN_END_2023,
            REUSE_BEFORE_2024,
        ),
        batch(
            &communes,
            &commune_procedures,
            q1_2024,
            COMMUNE_Q1_2024,
            200,
            COMMUNE_REUSE_Q1_2024,
        ),
    ];
    let mut rng = Rng::new(0x0076_6965_7479_656e);
    let mut total = Generated::default();
    for batch in &batches {
        let generated = generate_batch(conn, calendar, batch, &mut rng, with_history, signer)?;
        total.dossiers += generated.dossiers;
        total.events += generated.events;
        total.results += generated.results;
    }
    Ok((seeded, total))
}

/// The seed district, when it is loaded with its dossiers.
pub fn viet_yen_loaded(conn: &mut DbConnection) -> Result<Option<SeededDistrict>, ApiError> {
    if motcua_results::seed::viet_yen_present(conn)?.is_none() {
        return Ok(None);
    }
    let seeded = seed_viet_yen(conn)?;
    Ok(has_dossiers(conn, seeded.district_desk.id)?.then_some(seeded))
}

fn has_dossiers(conn: &mut DbConnection, unit: UnitId) -> Result<bool, ApiError> {
    let existing = dossiers::list(
        conn,
        &dossiers::DossierFilter {
            among_units: Some(vec![unit]),
            ..Default::default()
        },
        None,
        1,
    )?;
    Ok(!existing.is_empty())
}

/// A count split over the channels roughly as the seed district's dossiers are.
fn split(total: u64) -> [u64; 3] {
    let online = total * 85 / 100;
    let postal = total / 50;
    [online, total - online - postal, postal]
}

/// `districts` synthetic districts (a desk and 17 communes each) with `total` dossiers spread
/// over 2023 and 2024, for benchmarks. Returns the district units.
pub fn scale(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    districts: u32,
    total: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<Unit>, ApiError> {
    let (district_procedures, commune_procedures) = catalogue(conn)?;
    let mut all_procedures = district_procedures;
    all_procedures.extend(commune_procedures);
    let tree = write_transaction(conn, |conn| synthetic_districts(conn, districts))?;
    let months: Vec<(NaiveDate, NaiveDate)> = (0..24)
        .map(|m| {
            let first = day(2023 + m / 12, u32::try_from(m % 12 + 1).unwrap_or(1), 1);
            let next = if first.month() == 12 {
                day(first.year() + 1, 1, 1)
            } else {
                day(first.year(), first.month() + 1, 1)
            };
            (first, next.pred_opt().unwrap_or(first))
        })
        .collect();
    let per_batch = total / (u64::from(districts.max(1)) * months.len() as u64);
    let mut rng = Rng::new(0x5ca1e);
    let mut written = 0;
    for (first, last) in months {
        for (_, units) in &tree {
            let batch = Batch {
                units: unit_refs(&units.iter().collect::<Vec<_>>()),
                procedures: all_procedures.clone(),
                first_day: first,
                last_day: last,
                channels: split(per_batch),
                open_at_end: per_batch / 50,
                electronic_results: 0,
                electronic_since: None,
                reused: (988, 1000),
            };
            written += generate_batch(conn, calendar, &batch, &mut rng, false, None)?.dossiers;
            progress(written);
        }
    }
    Ok(tree.into_iter().map(|(district, _)| district).collect())
}

fn synthetic_districts(
    conn: &mut DbConnection,
    districts: u32,
) -> Result<Vec<(Unit, Vec<Unit>)>, ApiError> {
    let since = day(2000, 1, 1);
    let add = |conn: &mut DbConnection,
               code: String,
               name: String,
               kind: UnitKind,
               parent: Option<UnitId>|
     -> Result<Unit, ApiError> {
        let at = now();
        Ok(units::insert(
            conn,
            &NewUnit {
                code,
                name,
                kind,
                parent_id: parent,
                tax_code: None,
                budget_code: None,
                valid_from: since,
                created_at: at,
                updated_at: at,
            },
        )?)
    };
    let province = add(
        conn,
        "000.00.00.H98".into(),
        "UBND tỉnh thử nghiệm".into(),
        UnitKind::Province,
        None,
    )?;
    let mut tree = Vec::new();
    for d in 1..=districts {
        let district = add(
            conn,
            format!("000.00.{d:02}.H98"),
            format!("UBND huyện thử nghiệm {d}"),
            UnitKind::District,
            Some(province.id),
        )?;
        let mut units = vec![add(
            conn,
            format!("000.99.{d:02}.H98"),
            format!("Bộ phận Một cửa huyện {d}"),
            UnitKind::OneStopDesk,
            Some(district.id),
        )?];
        for c in 1..=17 {
            units.push(add(
                conn,
                format!("000.{c:02}.{d:02}.H98"),
                format!("UBND xã thử nghiệm {d}.{c}"),
                UnitKind::Commune,
                Some(district.id),
            )?);
        }
        tree.push((district, units));
    }
    Ok(tree)
}
