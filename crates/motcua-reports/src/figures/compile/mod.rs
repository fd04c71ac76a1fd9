//! Compiling the figures of a report from the results service.
//!
//! Each report kind ([`ReportKind`]) has its module here that says which [`Section`]s it
//! compiles; the sections themselves are shared ([`periods`], [`catalogue`], [`holdings`]). A new
//! kind adds a module and its arm in [`sections`].

mod catalogue;
mod form_06;
mod holdings;
mod indicators;
mod one_stop_activity;
mod periods;
mod provenance;
mod tree;

use chrono::Utc;
use motcua_core::period::Period;
use motcua_core::record_ids::UnitId;
use motcua_core::report::ReportKind;

use self::periods::PeriodFigures;
use self::tree::{Tree, MAX_DEPTH};
use super::model::FIGURES_SCHEMA;
use super::model::{CertificateFigures, Compiled, Figures, OnlineCoverageTable, Staffing};
use super::rules::CompileError;
use crate::client::{period_label, Fetched, ResultsClient, Source, Unit};

/// A part of the figures, compiled from its own requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Per period: Biểu 06, the QĐ 766 indicators and the level rates.
    Periods,
    /// The catalogue's online-service coverage, checked against the indicators.
    OnlineCoverage,
    /// Certificates held in the unit's subtree.
    Certificates,
    /// The staffing appendix.
    Staffing,
}

impl Section {
    /// Every section, in the order they are compiled.
    pub const ALL: &'static [Section] = &[
        Section::Periods,
        Section::OnlineCoverage,
        Section::Certificates,
        Section::Staffing,
    ];
}

/// The sections a report kind compiles; those left out stay empty in its figures.
fn sections(kind: ReportKind) -> &'static [Section] {
    match kind {
        ReportKind::OneStopActivity => one_stop_activity::SECTIONS,
        ReportKind::Form06 => form_06::SECTIONS,
        ReportKind::Indicators => indicators::SECTIONS,
    }
}

/// Compiles the figures of `unit` for `periods` as a report of `kind` needs them, re-checks
/// every invariant, and hashes them.
///
/// Reads `GET /units/{id}` (the unit and each parent) and `GET /units?under={id}`, then what the
/// kind's sections need: per period `GET /statistics/form-06` and `GET /statistics/indicators`
/// for the unit and for every unit of its subtree where a level starts (its communes, for a
/// district), `GET /procedures` (in force), `GET /units/{id}/certificate-coverage` and
/// `GET /units/{id}/staffing`.
pub async fn compile(
    client: &ResultsClient,
    kind: ReportKind,
    unit: UnitId,
    periods: &[Period],
) -> Result<Compiled, CompileError> {
    if periods.is_empty() {
        return Err(CompileError::Invalid("no period given".into()));
    }
    let mut report = Compilation::start(client, unit, periods).await?;
    let sections = sections(kind);
    let has = |section| sections.contains(&section);
    let by_period = if has(Section::Periods) {
        periods::compile(&mut report).await?
    } else {
        PeriodFigures::default()
    };
    let online_coverage = if has(Section::OnlineCoverage) {
        catalogue::online_coverage(&mut report, &by_period.indicators).await?
    } else {
        OnlineCoverageTable::default()
    };
    let certificates = if has(Section::Certificates) {
        holdings::certificates(&mut report).await?
    } else {
        CertificateFigures::default()
    };
    let staffing = if has(Section::Staffing) {
        holdings::staffing(&mut report).await?
    } else {
        Staffing::default()
    };
    let figures = Figures {
        schema: FIGURES_SCHEMA.to_owned(),
        unit: report.tree.unit_ref(&report.root),
        parents: report
            .parents
            .iter()
            .map(|p| report.tree.unit_ref(p))
            .collect(),
        periods: report.labels.clone(),
        counting_rule: by_period.counting_rule,
        form06: by_period.form06,
        indicators: by_period.indicators,
        level_rates: by_period.level_rates,
        online_coverage,
        certificates,
        staffing,
        provenance: provenance::of(unit, &report.sources),
    };
    figures.check()?;
    let figures_sha256 = figures
        .sha256()
        .map_err(|e| CompileError::Invalid(format!("figures do not serialise: {e}")))?;
    Ok(Compiled {
        figures,
        sources: report.sources,
        compiled_at: Utc::now(),
        figures_sha256,
    })
}

/// What every section starts from: the unit, its parents and its subtree, and the sources read
/// so far.
struct Compilation<'a> {
    client: &'a ResultsClient,
    unit: UnitId,
    periods: &'a [Period],
    /// [`period_label`] of each period.
    labels: Vec<String>,
    root: Unit,
    /// Nearest first.
    parents: Vec<Unit>,
    /// The subtree as listed, in the service's order.
    listed: Vec<Unit>,
    tree: Tree,
    /// Every response read, in the order fetched.
    sources: Vec<Source>,
}

impl<'a> Compilation<'a> {
    async fn start(
        client: &'a ResultsClient,
        unit: UnitId,
        periods: &'a [Period],
    ) -> Result<Self, CompileError> {
        let mut sources = Vec::new();
        let root = keep(&mut sources, client.unit(unit).await?);
        let listed = keep(&mut sources, client.units_under(unit).await?);
        if !listed.iter().any(|u| u.id == unit) {
            return Err(CompileError::Invalid(format!(
                "unit {unit} is not listed in its own subtree"
            )));
        }
        let mut parents = Vec::new();
        let mut next = root.parent_id;
        for _ in 0..MAX_DEPTH {
            let Some(id) = next else { break };
            match client.unit(id).await {
                Ok(fetched) => {
                    let parent = keep(&mut sources, fetched);
                    next = parent.parent_id;
                    parents.push(parent);
                }
                // A key limited to a subtree may not read the units above it.
                Err(e) if e.status() == Some(reqwest::StatusCode::FORBIDDEN) => break,
                Err(e) => return Err(e.into()),
            }
        }
        let tree = Tree {
            subtree: listed.iter().map(|u| u.id).collect(),
            units: listed
                .iter()
                .chain(parents.iter())
                .chain(std::iter::once(&root))
                .map(|u| (u.id, u.clone()))
                .collect(),
            root: unit,
        };
        Ok(Self {
            client,
            unit,
            periods,
            labels: periods.iter().map(period_label).collect(),
            root,
            parents,
            listed,
            tree,
            sources,
        })
    }

    /// Keeps the sources of an answer and returns its value.
    fn keep<T>(&mut self, fetched: Fetched<T>) -> T {
        keep(&mut self.sources, fetched)
    }
}

/// Keeps the sources of an answer and returns its value.
fn keep<T>(sources: &mut Vec<Source>, fetched: Fetched<T>) -> T {
    sources.extend(fetched.sources);
    fetched.value
}
