//! Report benchmark: one district-year report of the report service with 1 000 000 dossiers
//! behind it. Each iteration compiles the figures from the results service over HTTP on loopback
//! (`figures::compile`), builds and renders the `one_stop_activity` document, adds the leader's
//! personal signature (both steps, `prepare_pdf` + the key + `assemble_pdf`) and the
//! organisation's signature (`sign_pdf`), as the routes `POST /reports`, `/ready`,
//! `/leader-signing-sessions` and `/issue` do; each phase is timed on its own.
//!
//! ```sh
//! # SQLite (generated once into /tmp/motcua-bench-report-1m.sqlite3):
//! cargo bench -p motcua-reports --bench report
//! # PostgreSQL (generated once into the database motcua_bench_report_1m on 127.0.0.1):
//! MOTCUA_BENCH_BACKEND=postgres cargo bench -p motcua-reports --bench report
//! ```
//!
//! `MOTCUA_BENCH_DATABASE_URL` names another database (SQLite or PostgreSQL URL),
//! `MOTCUA_BENCH_POSTGRES` another PostgreSQL server, `MOTCUA_BENCH_ITERATIONS` (default 20) the
//! number of timed iterations after 2 warm-ups.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};
use motcua_audit::Actor;
use motcua_core::access::Role;
use motcua_core::period::Period;
use motcua_core::record_ids::{OfficialId, UnitId};
use motcua_core::report::ReportKind;
use motcua_db::{DbPool, PoolOptions};
use motcua_document::RenderedDocument;
use motcua_keys::api_keys::{issue_key, KeyRequest};
use motcua_pki::cms::{KeySigner, Signer};
use motcua_pki::pades::{self, SignatureAppearance, SignatureMark, SignatureRequest};
use motcua_pki::testpki::{CrlSpec, KeySpec, TestPki};
use motcua_pki::{Certificate, RevocationPolicy};
use motcua_reports::client::{ClientOptions, ProcedureFilter, ResultsClient};
use motcua_reports::content::{authority_for, Letterhead, ReportTexts, Signatory, VersionContent};
use motcua_reports::figures::{self, Compiled};
use motcua_reports::report_document::Issue;
use motcua_reports::workflow::vietnam;
use motcua_testdata::service::ResultsService;

/// The allocator of the service binaries, so that the figures are theirs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DOSSIERS: u64 = 1_000_000;
/// The code `generate::scale` gives its first district.
const DISTRICT_CODE: &str = "000.00.01.H98";
const WARM_UPS: usize = 2;
/// Goals of the issue.
const TOTAL_GOAL: Duration = Duration::from_secs(2);
const RENDER_SIGN_GOAL: Duration = Duration::from_millis(300);

fn main() {
    let iterations: usize = std::env::var("MOTCUA_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let url = database_url();
    let pool = open(&url);
    let (district, pool) = prepare(pool, &url);
    let key = auditor_key(&pool);
    let backend = format!("{:?}", pool.backend());
    let service = ResultsService::start(&url, pool, None);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = ResultsClient::new(&service.base_url, &key, ClientOptions::default()).unwrap();

    // The district-year with the most dossiers (total of Biểu 06: received + carried over).
    let mut best: Option<(i64, Period)> = None;
    for year in ["2023", "2024"] {
        let period: Period = year.parse().unwrap();
        let compiled = runtime
            .block_on(figures::compile(
                &client,
                ReportKind::OneStopActivity,
                district,
                std::slice::from_ref(&period),
            ))
            .unwrap();
        let total = compiled.figures.form06[0].total.total;
        println!("district {district}, {year}: {total} dossiers in Biểu 06 (column 3)");
        if best.as_ref().is_none_or(|(most, _)| total > *most) {
            best = Some((total, period));
        }
    }
    let (handled, period) = best.unwrap();

    let keys = Keys::new();
    let mut samples = Samples::default();
    let mut last = None;
    for iteration in 0..WARM_UPS + iterations {
        let run = one_report(&runtime, &client, district, &period, &keys);
        if iteration >= WARM_UPS {
            samples.add(&run);
        }
        last = Some(run);
    }
    let last = last.unwrap();
    keys.verify(&last.issued);

    println!();
    println!(
        "backend: {backend}, {DOSSIERS} dossiers under one district; report of district \
         {district} for {} ({handled} dossiers in Biểu 06); {iterations} iterations after \
         {WARM_UPS} warm-ups",
        last.label
    );
    println!(
        "compile: {} HTTP requests to the results service; PDF: {} pages, {} bytes rendered, {} \
         bytes issued (two signatures)",
        last.requests,
        last.pages,
        last.rendered_bytes,
        last.issued.len()
    );
    println!("{:<32} {:>10} {:>10}", "phase", "median", "p95");
    let phases: [(&str, &mut Vec<Duration>); 6] = [
        ("(a) compile", &mut samples.compile),
        ("(b) build + render PDF", &mut samples.render),
        ("(c) leader signature", &mut samples.leader),
        ("(d) organisation signature", &mut samples.organisation),
        ("render + sign (b+c+d)", &mut samples.render_sign),
        ("total (a+b+c+d)", &mut samples.total),
    ];
    let mut medians = BTreeMap::new();
    for (name, values) in phases {
        values.sort();
        let (median, p95) = (percentile(values, 50), percentile(values, 95));
        println!("{name:<32} {:>7.1} ms {:>7.1} ms", ms(median), ms(p95));
        medians.insert(name, (median, p95));
    }
    let goal = |name: &str, limit: Duration| {
        let (median, p95) = medians[name];
        let verdict = if p95 < limit {
            "met (median and p95)"
        } else if median < limit {
            "met by the median, not by p95"
        } else {
            "NOT met"
        };
        println!(
            "goal {name} under {} ms: {verdict} (median {:.1} ms, p95 {:.1} ms)",
            limit.as_millis(),
            ms(median),
            ms(p95)
        );
    };
    goal("total (a+b+c+d)", TOTAL_GOAL);
    goal("render + sign (b+c+d)", RENDER_SIGN_GOAL);

    println!();
    runtime.block_on(compile_breakdown(&client, district, &period));
    drop(service);
}

fn database_url() -> String {
    if let Ok(url) = std::env::var("MOTCUA_BENCH_DATABASE_URL") {
        return url;
    }
    match std::env::var("MOTCUA_BENCH_BACKEND").as_deref() {
        Ok("postgres" | "postgresql") => postgres_database("motcua_bench_report_1m", false),
        _ => "sqlite:///tmp/motcua-bench-report-1m.sqlite3".to_owned(),
    }
}

fn open(url: &str) -> DbPool {
    DbPool::open(
        url,
        PoolOptions {
            max_connections: 4,
            ..PoolOptions::default()
        },
    )
    .expect("open the benchmark database")
}

fn dossier_count(pool: &DbPool) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = pool.get().expect("a connection");
    diesel::sql_query("SELECT COUNT(*) AS n FROM dossiers")
        .get_result::<Count>(&mut *conn)
        .expect("count the dossiers")
        .n
}

/// The district with its dossiers: generated once, reused while the database holds them. A
/// database left half-generated (interrupted run) is made again from scratch.
fn prepare(pool: DbPool, url: &str) -> (UnitId, DbPool) {
    // `scale` writes total / 24 dossiers a month: 999 984 for a million.
    let expected = i64::try_from(DOSSIERS / 24 * 24).unwrap();
    let found = {
        let mut conn = pool.get().expect("a connection");
        motcua_db::units::find_by_code(&mut conn, DISTRICT_CODE).ok()
    };
    let count = dossier_count(&pool);
    if let Some(district) = &found {
        if count >= expected {
            eprintln!("reusing {url}: {count} dossiers");
            return (district.id, pool);
        }
    }
    let pool = if found.is_some() || count > 0 {
        eprintln!("{url} holds {count} dossiers, not {expected}: generating again");
        drop(pool);
        recreate(url);
        open(url)
    } else {
        pool
    };
    let mut conn = pool.get().expect("a connection");
    let calendar = motcua_testdata::working_calendar(&mut conn).expect("the calendar");
    let started = Instant::now();
    let mut progress = |written: u64| {
        eprint!("\rgenerating: {written} dossiers");
        let _ = std::io::stderr().flush();
    };
    let made = motcua_testdata::generate::scale(&mut conn, &calendar, 1, DOSSIERS, &mut progress)
        .expect("generate");
    eprintln!(
        "\rgenerated {} dossiers in {:.0} s",
        dossier_count(&pool),
        started.elapsed().as_secs_f64()
    );
    if let motcua_db::DbConnection::Postgresql(_) = &mut *conn {
        use diesel::RunQueryDsl;
        let _ = diesel::sql_query("VACUUM ANALYZE").execute(&mut *conn);
    }
    drop(conn);
    let district = made.first().map(|d| d.id).expect("a district");
    (district, pool)
}

fn recreate(url: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    } else if let Some((server, name)) = url.rsplit_once('/') {
        postgres_admin(
            server,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        );
        postgres_admin(server, &format!("CREATE DATABASE \"{name}\""));
    }
}

/// The PostgreSQL server the benchmarks may create databases on.
fn postgres_server() -> String {
    std::env::var("MOTCUA_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// Creates the database (kept when it exists) and returns its URL.
fn postgres_database(name: &str, fresh: bool) -> String {
    let server = postgres_server();
    if fresh {
        postgres_admin(
            &server,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        );
    }
    postgres_admin(&server, &format!("CREATE DATABASE \"{name}\""));
    format!("{server}/{name}")
}

/// Runs one statement on the server's `postgres` database with psql, ignoring "already exists".
fn postgres_admin(server: &str, sql: &str) {
    let status = std::process::Command::new("psql")
        .args([&format!("{server}/postgres"), "-q", "-c", sql])
        .stderr(std::process::Stdio::null())
        .status();
    if let Err(error) = status {
        eprintln!("psql failed: {error}");
    }
}

/// An auditor key of the results service (reads everything, as the report service's key does).
fn auditor_key(pool: &DbPool) -> String {
    let mut conn = pool.get().expect("a connection");
    let request = KeyRequest {
        name: "report benchmark".into(),
        role: Role::Auditor,
        unit_id: None,
        scopes: Vec::new(),
    };
    let (secret, _) = motcua_db::write_transaction(&mut conn, |conn| {
        issue_key(conn, &Actor::command_line("benchmark"), &request, None)
    })
    .expect("a key");
    secret
}

/// The test PKI (RSA 2048, as Vietnam's), the leader's personal key and the district's
/// organisation key.
struct Keys {
    pki: TestPki,
    leader: KeySigner,
    organisation: KeySigner,
    chain: Vec<Certificate>,
}

impl Keys {
    fn new() -> Self {
        let pki = TestPki::new(KeySpec::Rsa2048, Utc::now()).unwrap();
        let leader = pki
            .issue(
                &pki.individual("Thân Văn Thuận", "024085001234")
                    .key(KeySpec::Rsa2048),
            )
            .unwrap();
        let unit = pki
            .issue(
                &pki.organisation(
                    "UBND HUYỆN THỬ NGHIỆM 1",
                    "UBND TỈNH THỬ NGHIỆM",
                    "Thử nghiệm",
                )
                .key(KeySpec::Rsa2048),
            )
            .unwrap();
        let signer = |cert: &motcua_pki::testpki::TestCert| {
            KeySigner::new(cert.private_key().clone(), cert.certificate().clone()).unwrap()
        };
        Self {
            leader: signer(&leader),
            organisation: signer(&unit),
            chain: vec![pki.issuing_ca.certificate().clone()],
            pki,
        }
    }

    /// The issued document carries two valid signatures.
    fn verify(&self, pdf: &[u8]) {
        let mut store = self.pki.trust_store().unwrap();
        store
            .add_crl(
                &self
                    .pki
                    .root_crl(&CrlSpec::current(self.pki.now()))
                    .unwrap(),
            )
            .unwrap();
        store
            .add_crl(&self.pki.crl(&CrlSpec::current(self.pki.now())).unwrap())
            .unwrap();
        let reports =
            pades::verify_pdf(pdf, &store, &[], Utc::now(), RevocationPolicy::Require).unwrap();
        assert_eq!(reports.len(), 2, "the leader's and the organisation's");
    }
}

/// One report through every phase.
struct Run {
    label: String,
    requests: usize,
    pages: u32,
    rendered_bytes: usize,
    issued: Vec<u8>,
    compile: Duration,
    render: Duration,
    leader: Duration,
    organisation: Duration,
}

#[derive(Default)]
struct Samples {
    compile: Vec<Duration>,
    render: Vec<Duration>,
    leader: Vec<Duration>,
    organisation: Vec<Duration>,
    render_sign: Vec<Duration>,
    total: Vec<Duration>,
}

impl Samples {
    fn add(&mut self, run: &Run) {
        let render_sign = run.render + run.leader + run.organisation;
        self.compile.push(run.compile);
        self.render.push(run.render);
        self.leader.push(run.leader);
        self.organisation.push(run.organisation);
        self.render_sign.push(render_sign);
        self.total.push(run.compile + render_sign);
    }
}

fn content() -> VersionContent {
    let title = "Phó Chủ tịch UBND huyện";
    VersionContent {
        texts: ReportTexts {
            legal_basis: "Thực hiện Công văn số 1234/UBND-KSTT ngày 15/11/2024 của UBND tỉnh về \
                          việc báo cáo tình hình tổ chức và hoạt động của Bộ phận Một cửa; UBND \
                          huyện báo cáo như sau:"
                .into(),
            situation: "UBND huyện đã ban hành kế hoạch cải cách thủ tục hành chính năm, chỉ \
                        đạo các cơ quan chuyên môn và UBND các xã thực hiện tiếp nhận, giải \
                        quyết thủ tục hành chính theo cơ chế một cửa, một cửa liên thông.\n\n\
                        - Công khai đầy đủ thủ tục hành chính tại Bộ phận Một cửa và trên Cổng \
                        dịch vụ công.\n\n- Số hóa hồ sơ, kết quả giải quyết ngay khi tiếp nhận."
                .into(),
            advantages: "Hạ tầng công nghệ thông tin được đầu tư đồng bộ.".into(),
            difficulties: "Một số xã còn thiếu máy quét, đường truyền chưa ổn định.".into(),
            organisation: "Bộ phận Một cửa cấp huyện và 17 xã bố trí đủ công chức, trang thiết \
                           bị theo quy định."
                .into(),
            operation_effectiveness: "Bộ phận Một cửa vận hành thông suốt, không có phản \
                                      ánh, kiến nghị về thái độ phục vụ."
                .into(),
            operation_difficulties: "Công chức cấp xã làm việc theo chế độ kiêm nhiệm.".into(),
            recommendations: "Đề nghị UBND tỉnh tiếp tục hỗ trợ kinh phí số hóa hồ sơ.".into(),
        },
        letterhead: Letterhead {
            superior_body: Some("UBND TỈNH THỬ NGHIỆM".into()),
            issuing_body: "UBND HUYỆN THỬ NGHIỆM 1".into(),
            place: "Thử nghiệm".into(),
            subject: None,
            recipients: vec![
                "Văn phòng UBND tỉnh (b/c);".into(),
                "Chủ tịch, các PCT UBND huyện;".into(),
                "Lưu: VT.".into(),
            ],
            closing: Some("UBND huyện thử nghiệm 1 trân trọng báo cáo./.".into()),
        },
        signatory: Some(Signatory {
            official_id: OfficialId(1),
            full_name: "Thân Văn Thuận".into(),
            title: title.into(),
            authority: authority_for(title).unwrap(),
        }),
        external_figures: Vec::new(),
    }
}

/// Builds the document of the compiled figures (as `workflow::render` does from the stored
/// version: canonical JSON attached) and renders it.
fn render(
    compiled: &Compiled,
    content: &VersionContent,
    created: DateTime<FixedOffset>,
) -> RenderedDocument {
    let json = compiled.figures.canonical_json().unwrap();
    let sources = serde_json::to_vec(&compiled.sources).unwrap();
    let document = motcua_reports::report_document::build(
        ReportKind::OneStopActivity,
        &compiled.figures,
        &json,
        &sources,
        content,
        Issue {
            number_text: None,
            date: None,
        },
        created,
    );
    motcua_document::render(&document).unwrap()
}

fn one_report(
    runtime: &tokio::runtime::Runtime,
    client: &ResultsClient,
    district: UnitId,
    period: &Period,
    keys: &Keys,
) -> Run {
    let content = content();
    let signatory = content.signatory.clone().unwrap();

    // (a) POST /reports: the figures from the results service.
    let started = Instant::now();
    let compiled = runtime
        .block_on(figures::compile(
            client,
            ReportKind::OneStopActivity,
            district,
            std::slice::from_ref(period),
        ))
        .unwrap();
    let compile = started.elapsed();

    // (b) POST /reports/{id}/ready: the document of the version, rendered.
    let started = Instant::now();
    let rendered = render(&compiled, &content, Utc::now().with_timezone(&vietnam()));
    let render_time = started.elapsed();

    // (c) The leader's signature: POST /reports/{id}/leader-signing-sessions prepares it, the
    // token signs `to_be_signed`, POST /leader-signing-sessions/{id}/signature assembles it.
    let started = Instant::now();
    let request = SignatureRequest::new(Utc::now())
        .field("LanhDao", rendered.signature_slots.page)
        .reason(format!("{} ký duyệt báo cáo", signatory.full_name))
        .location(content.letterhead.place.clone())
        .appearance(SignatureAppearance {
            rect: rendered.signature_slots.signer,
            mark: SignatureMark::Personal,
            text: Vec::new(),
            image: None,
        });
    let certificate = keys.leader.certificate();
    let (prepared_pdf, pending) = request.prepare(&rendered.pdf, certificate).unwrap();
    let raw = keys.leader.sign(pending.to_be_signed()).unwrap();
    let leader_signed = pending
        .assemble(prepared_pdf, &raw, certificate, &[])
        .unwrap();
    let leader = started.elapsed();

    // (d) POST /reports/{id}/issue: number, time and the organisation's seal.
    let started = Instant::now();
    let issued_at = Utc::now();
    let local = issued_at.with_timezone(&vietnam());
    let number_text = format!("01/{}", ReportKind::OneStopActivity.number_suffix());
    let request = SignatureRequest::new(issued_at)
        .field("ToChuc", rendered.signature_slots.page)
        .reason(format!(
            "Ban hành văn bản số {number_text} lúc {}",
            local.format("%Y-%m-%dT%H:%M:%S%:z")
        ))
        .location(content.letterhead.place)
        .appearance(SignatureAppearance {
            rect: rendered.signature_slots.seal,
            mark: SignatureMark::Seal,
            text: vec!["UBND THỊ XÃ VIỆT YÊN".into()],
            image: None,
        })
        .chain(keys.chain.clone());
    let issued = request.sign(&leader_signed, &keys.organisation).unwrap();
    let organisation = started.elapsed();

    Run {
        label: compiled.figures.periods.join(" "),
        requests: compiled.sources.len(),
        pages: rendered.pages,
        rendered_bytes: rendered.pdf.len(),
        issued,
        compile,
        render: render_time,
        leader,
        organisation,
    }
}

/// Where compile's time goes: each kind of request it makes, timed alone (5 rounds, median per
/// request; the total is the median times the number of such requests in one compile).
async fn compile_breakdown(client: &ResultsClient, district: UnitId, period: &Period) {
    let units = client.units_under(district).await.unwrap().value;
    let commune = units
        .iter()
        .find(|u| u.kind == "commune")
        .map(|u| u.id)
        .unwrap();
    let communes = units.iter().filter(|u| u.kind == "commune").count();
    let parent = units
        .iter()
        .find(|u| u.id == district)
        .and_then(|u| u.parent_id)
        .unwrap();
    let mut rows: Vec<(String, usize, Vec<Duration>)> = Vec::new();
    macro_rules! time {
        ($name:expr, $count:expr, $call:expr) => {{
            let mut samples = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                let _ = $call.await.unwrap();
                samples.push(started.elapsed());
            }
            samples.sort();
            rows.push(($name.to_string(), $count, samples));
        }};
    }
    time!(
        "GET /units/{id} (district, province)",
        2,
        client.unit(parent)
    );
    time!(
        "GET /units?under={district}",
        1,
        client.units_under(district)
    );
    time!(
        "GET /statistics/form-06 (district)",
        1,
        client.form06(district, period)
    );
    time!(
        "GET /statistics/indicators (district)",
        1,
        client.indicators(district, period)
    );
    time!(
        "GET /statistics/form-06 (a commune)",
        communes,
        client.form06(commune, period)
    );
    time!(
        "GET /statistics/indicators (a commune)",
        communes,
        client.indicators(commune, period)
    );
    time!(
        "GET /procedures (all pages)",
        1,
        client.procedures(&ProcedureFilter::default())
    );
    time!(
        "GET /units/{id}/certificate-coverage",
        1,
        client.certificate_coverage(district)
    );
    time!("GET /units/{id}/staffing", 1, client.staffing(district));
    println!("compile breakdown (each request timed alone, median of 5):");
    println!(
        "{:<42} {:>6} {:>12} {:>12}",
        "request", "count", "each", "in compile"
    );
    let mut sum = Duration::ZERO;
    for (name, count, samples) in &rows {
        let each = percentile(samples, 50);
        let all = each * u32::try_from(*count).unwrap();
        sum += all;
        println!(
            "{name:<42} {count:>6} {:>9.1} ms {:>9.1} ms",
            ms(each),
            ms(all)
        );
    }
    println!("{:<42} {:>6} {:>12} {:>9.1} ms", "sum", "", "", ms(sum));
}

/// The value below which `percent` of the sorted samples fall.
fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = (sorted.len() * percent / 100).min(sorted.len() - 1);
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
