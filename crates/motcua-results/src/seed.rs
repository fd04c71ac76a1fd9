//! Reference data of the seed report's district (Việt Yên, Bắc Giang): its units and the staff
//! of its one-stop desks, exactly as the report's appendix counts them. Used by the demo, the
//! data generator and the tests.

use chrono::NaiveDate;
use motcua_core::official::{Agency, OfficialRole, StaffingCategory};
use motcua_core::record_ids::UnitId;
use motcua_core::unit::UnitKind;
use motcua_db::officials::{self, NewOfficial};
use motcua_db::units::{self, NewUnit, Unit};
use motcua_db::{now, write_transaction, DbConnection};
use serde::Deserialize;

use motcua_audit::Actor;
use motcua_web::error::ApiError;

const VIET_YEN: &str = include_str!("../seed/viet-yen.json");

#[derive(Debug, Deserialize)]
struct SeedFile {
    province: NamedUnit,
    district: NamedUnit,
    district_desk: DeskSeed,
    leader: LeaderSeed,
    communes: Vec<CommuneSeed>,
}

#[derive(Debug, Deserialize)]
struct NamedUnit {
    code: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct DeskSeed {
    code: String,
    name: String,
    own_staff: Vec<OwnStaffSeed>,
    agency_sent: Vec<AgencySeed>,
}

#[derive(Debug, Deserialize)]
struct OwnStaffSeed {
    title: String,
    role: OfficialRole,
}

#[derive(Debug, Deserialize)]
struct AgencySeed {
    agency: Agency,
    agency_name: String,
    count: usize,
}

#[derive(Debug, Deserialize)]
struct LeaderSeed {
    full_name: String,
    title: String,
    personal_id: String,
}

#[derive(Debug, Deserialize)]
struct CommuneSeed {
    name: String,
    /// `commune` (xã) unless said: the seed's appendix lists one township, TT Nếnh.
    #[serde(default = "commune_kind")]
    kind: UnitKind,
    staff: usize,
}

fn commune_kind() -> UnitKind {
    UnitKind::Commune
}

/// The units created by the seed, for callers that go on to add data below them.
#[derive(Debug, Clone)]
pub struct SeededDistrict {
    pub province: Unit,
    pub district: Unit,
    pub district_desk: Unit,
    /// In the order of the report's appendix.
    pub communes: Vec<Unit>,
}

/// The seed district, when it is already loaded.
pub fn viet_yen_present(conn: &mut DbConnection) -> Result<Option<Unit>, ApiError> {
    let seed: SeedFile = serde_json::from_str(VIET_YEN)
        .map_err(|e| ApiError::internal(format!("seed file: {e}")))?;
    match units::find_by_code(conn, &seed.district.code) {
        Ok(district) => Ok(Some(district)),
        Err(motcua_db::DbError::NotFound) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Loads the district, unless its code is already present (then returns what is there).
pub fn seed_viet_yen(conn: &mut DbConnection) -> Result<SeededDistrict, ApiError> {
    let seed: SeedFile = serde_json::from_str(VIET_YEN)
        .map_err(|e| ApiError::internal(format!("seed file: {e}")))?;
    if let Ok(district) = units::find_by_code(conn, &seed.district.code) {
        return existing(conn, &seed, district);
    }
    let actor = Actor::command_line("seed viet-yen");
    write_transaction(conn, |conn| {
        let since = date(2000, 1, 1)?;
        let province = add_unit(
            conn,
            &actor,
            &seed.province.code,
            &seed.province.name,
            UnitKind::Province,
            None,
            since,
        )?;
        let district = add_unit(
            conn,
            &actor,
            &seed.district.code,
            &seed.district.name,
            UnitKind::District,
            Some(province.id),
            since,
        )?;
        let desk = add_unit(
            conn,
            &actor,
            &seed.district_desk.code,
            &seed.district_desk.name,
            UnitKind::OneStopDesk,
            Some(district.id),
            since,
        )?;
        let mut people = PersonFactory::default();
        add_leader(conn, &actor, &seed.leader, district.id)?;
        for own in &seed.district_desk.own_staff {
            add_official(
                conn,
                &actor,
                &people.next(
                    own.role,
                    Some(own.title.clone()),
                    desk.id,
                    StaffingCategory::OwnStaff,
                    None,
                ),
            )?;
        }
        for sent in &seed.district_desk.agency_sent {
            for _ in 0..sent.count {
                let agency = Some((sent.agency, sent.agency_name.clone()));
                add_official(
                    conn,
                    &actor,
                    &people.next(
                        OfficialRole::Reception,
                        None,
                        desk.id,
                        StaffingCategory::AgencySent,
                        agency,
                    ),
                )?;
            }
        }
        let mut communes = Vec::new();
        for (index, commune) in seed.communes.iter().enumerate() {
            let code = format!("000.{:02}.24.H05", index + 1);
            let unit = add_unit(
                conn,
                &actor,
                &code,
                &format!("UBND {} {}", commune.kind.vietnamese_name(), commune.name),
                commune.kind,
                Some(district.id),
                since,
            )?;
            for _ in 0..commune.staff {
                add_official(
                    conn,
                    &actor,
                    &people.next(
                        OfficialRole::Reception,
                        None,
                        unit.id,
                        StaffingCategory::OwnStaff,
                        None,
                    ),
                )?;
            }
            communes.push(unit);
        }
        Ok(SeededDistrict {
            province,
            district,
            district_desk: desk,
            communes,
        })
    })
}

fn existing(
    conn: &mut DbConnection,
    seed: &SeedFile,
    district: Unit,
) -> Result<SeededDistrict, ApiError> {
    let province = units::find_by_code(conn, &seed.province.code)?;
    let district_desk = units::find_by_code(conn, &seed.district_desk.code)?;
    let communes = (1..=seed.communes.len())
        .map(|n| units::find_by_code(conn, &format!("000.{n:02}.24.H05")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SeededDistrict {
        province,
        district,
        district_desk,
        communes,
    })
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, ApiError> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| ApiError::internal("bad seed date"))
}

fn add_unit(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    name: &str,
    kind: UnitKind,
    parent_id: Option<UnitId>,
    valid_from: NaiveDate,
) -> Result<Unit, ApiError> {
    let at = now();
    let unit = units::insert(
        conn,
        &NewUnit {
            code: code.into(),
            name: name.into(),
            kind,
            parent_id,
            tax_code: None,
            budget_code: None,
            valid_from,
            created_at: at,
            updated_at: at,
        },
    )?;
    actor.record(
        conn,
        "unit.create",
        "unit",
        unit.id,
        &serde_json::json!({"code": unit.code, "name": unit.name}),
    )?;
    Ok(unit)
}

fn add_leader(
    conn: &mut DbConnection,
    actor: &Actor,
    leader: &LeaderSeed,
    unit: UnitId,
) -> Result<(), ApiError> {
    let mut official = PersonFactory::default().next(
        OfficialRole::Leader,
        Some(leader.title.clone()),
        unit,
        StaffingCategory::OwnStaff,
        None,
    );
    official.full_name.clone_from(&leader.full_name);
    official.personal_id.clone_from(&leader.personal_id);
    add_official(conn, actor, &official)
}

fn add_official(
    conn: &mut DbConnection,
    actor: &Actor,
    official: &NewOfficial,
) -> Result<(), ApiError> {
    let official = officials::insert(conn, official)?;
    actor.record(
        conn,
        "official.create",
        "official",
        official.id,
        &serde_json::json!({"full_name": official.full_name, "unit_id": official.unit_id}),
    )?;
    Ok(())
}

/// Makes plausible, deterministic people: Vietnamese names and CCCD numbers of Bắc Giang (024).
#[derive(Default)]
struct PersonFactory {
    count: usize,
}

const FAMILY: [&str; 10] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Thân", "Ngô", "Dương",
];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Đức", "Minh", "Thu", "Hồng"];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh",
    "Long", "Mai", "Nam", "Phương",
];

impl PersonFactory {
    fn next(
        &mut self,
        role: OfficialRole,
        title: Option<String>,
        unit_id: UnitId,
        staffing: StaffingCategory,
        agency: Option<(Agency, String)>,
    ) -> NewOfficial {
        self.count += 1;
        let n = self.count;
        let full_name = format!(
            "{} {} {}",
            FAMILY[n % FAMILY.len()],
            MIDDLE[(n / 3) % MIDDLE.len()],
            GIVEN[(n * 7) % GIVEN.len()]
        );
        // Province 024, born in the 1980s and 1990s (century-and-sex digit 0 or 1), a serial.
        let personal_id = format!("024{}{:02}{:06}", n % 2, 80 + n % 20, 100_000 + n);
        let (agency, agency_name) = agency.map_or((None, None), |(a, name)| (Some(a), Some(name)));
        let at = now();
        NewOfficial {
            full_name,
            personal_id,
            unit_id,
            role,
            title,
            staffing,
            agency,
            agency_name,
            phone: None,
            email: None,
            active: true,
            created_at: at,
            updated_at: at,
        }
    }
}
