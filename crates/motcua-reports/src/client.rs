//! A typed HTTP client of the results service (`api-spec/results.openapi.json`).
//!
//! Every successful answer comes with the [`Source`] it was read from: the path and query, the
//! SHA-256 of the exact body bytes and the time it was fetched, so that a report can list what
//! its figures were compiled from. Response types mirror the OpenAPI schemas and ignore unknown
//! members (API-DESIGN.md, "Versioning"); enum values are kept as text for the same reason. The
//! columns and indicators of the statistics, which carry no enum, are `motcua_core::form06`'s.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use motcua_core::form06::{Form06Columns, Indicators};
use motcua_core::period::Period;
use motcua_core::record_ids::{CertificateId, OfficialId, ProcedureId, UnitId};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Items per page asked of list endpoints (the service's maximum).
const PAGE_LIMIT: &str = "500";
/// The longest `Retry-After` (in seconds) of a 429 that is waited for; a longer one ends retries.
const MAX_RETRY_AFTER_SECS: u64 = 60;
/// Pages followed at most per list, so that a cursor loop cannot run forever.
const MAX_PAGES: usize = 10_000;

/// How the client talks to the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// Per request, from sending to the last byte of the body (default 30 s).
    pub timeout: Duration,
    /// To open a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for connection errors, timeouts, 5xx and 429 (default 3).
    pub retries: u32,
    /// Delay before the first retry; it doubles for each further one (default 200 ms).
    pub backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

/// Where a figure was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Source {
    /// Path and query, relative to the service's base URL, e.g.
    /// `/statistics/form-06?unit=2&period=2023`.
    pub path: String,
    /// SHA-256 of the exact body bytes, lowercase hex.
    pub sha256: String,
    pub fetched_at: DateTime<Utc>,
}

/// A decoded answer and where it came from: one source for a single resource, one per page for
/// a list.
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    pub value: T,
    pub sources: Vec<Source>,
}

/// One wrong field of a problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

/// The RFC 9457 problem document the service answers errors with (`application/problem+json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub problem_type: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub invalid_params: Vec<InvalidParam>,
}

fn describe(problem: Option<&Problem>) -> String {
    let Some(problem) = problem else {
        return String::new();
    };
    let mut text = String::new();
    for part in [&problem.title, &problem.detail].into_iter().flatten() {
        text.push_str(": ");
        text.push_str(part);
    }
    for param in &problem.invalid_params {
        text.push_str(&format!(" [{}: {}]", param.name, param.reason));
    }
    text
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL or the API key cannot be used.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// No answer after every retry: connection refused or reset, DNS, timeout.
    #[error("the results service cannot be reached at {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The service answered an error status (after the retries, for 5xx and 429).
    #[error("{url} answered {status}{}", describe(.problem.as_deref()))]
    Status {
        status: StatusCode,
        url: String,
        /// The problem document, when the body was one (boxed: errors stay small).
        problem: Option<Box<Problem>>,
    },
    /// The answer was not the JSON the OpenAPI document describes.
    #[error("cannot decode the answer of {url}: {reason}")]
    Decode { url: String, reason: String },
}

impl ClientError {
    /// The HTTP status, when the service answered one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the service said that the id in the path names no record: 404, or 400 on `path`
    /// (it is not an id at all, e.g. negative). Either way the id given by the caller is wrong.
    pub fn is_unknown_record(&self) -> bool {
        match self {
            Self::Status {
                status, problem, ..
            } => {
                *status == StatusCode::NOT_FOUND
                    || (*status == StatusCode::BAD_REQUEST
                        && problem
                            .as_ref()
                            .is_some_and(|p| p.invalid_params.iter().any(|i| i.name == "path")))
            }
            _ => false,
        }
    }
}

/// A page of a keyset-paginated list.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next: Option<String>,
}

/// `UnitView`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    /// Electronic identifier of the body, e.g. `000.00.24.H05`.
    pub code: String,
    pub name: String,
    /// `province`, `district`, `commune`, `phuong`, `thi_tran`, `one_stop_desk`, `department`
    /// or `other`.
    pub kind: String,
    pub parent_id: Option<UnitId>,
    #[serde(default)]
    pub tax_code: Option<String>,
    #[serde(default)]
    pub budget_code: Option<String>,
    pub valid_from: NaiveDate,
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub merged_into_id: Option<UnitId>,
}

/// `Form06Row`: one field (lĩnh vực) of one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form06Row {
    /// `province`, `district` or `commune`.
    pub level: String,
    pub field: String,
    pub columns: Form06Columns,
}

/// `LevelTotal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelTotal {
    pub level: String,
    pub columns: Form06Columns,
}

/// `Form06`: Biểu 06 of a unit subtree for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form06 {
    pub unit_id: UnitId,
    pub period: Period,
    /// `counters` or `raw`.
    pub method: String,
    /// The counting rule, in words.
    pub rule: String,
    /// By level, then field.
    pub rows: Vec<Form06Row>,
    pub levels: Vec<LevelTotal>,
    pub total: Form06Columns,
}

/// `CoverageFigure`: part of a whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageFigure {
    pub covered: i64,
    pub total: i64,
    /// One decimal; absent when `total` is 0.
    pub percent: Option<f64>,
}

/// `UncoveredOfficial`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncoveredOfficial {
    pub official_id: OfficialId,
    pub full_name: String,
    pub unit_id: UnitId,
}

/// `UncoveredDesk`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncoveredDesk {
    pub unit_id: UnitId,
    pub unit_name: String,
}

/// `StatusCount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

/// `CertificateCoverage` (the certificate lists it also carries are not read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateCoverage {
    pub unit_id: UnitId,
    pub at: DateTime<Utc>,
    /// Active officials with a usable, unexpired personal certificate.
    pub officials: CoverageFigure,
    /// Of those, the desk staff (the officials of the desks, not the committee's leaders).
    #[serde(default)]
    pub desk_staff: CoverageFigure,
    /// Desks (commune-level and `one_stop_desk` units existing today) with a usable, unexpired
    /// collective certificate.
    pub desks: CoverageFigure,
    #[serde(default)]
    pub uncovered_officials: Vec<UncoveredOfficial>,
    #[serde(default)]
    pub uncovered_desks: Vec<UncoveredDesk>,
    #[serde(default)]
    pub by_status: Vec<StatusCount>,
}

/// `AgencyCount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyCount {
    pub agency: String,
    pub count: i64,
}

/// `StaffingRow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffingRow {
    pub unit_id: UnitId,
    pub unit_code: String,
    pub unit_name: String,
    pub total: i64,
    /// Own and seconded staff (thuộc biên chế hoặc biệt phái).
    pub own_staff: i64,
    /// Sent by specialised agencies.
    pub agency_sent: i64,
    #[serde(default)]
    pub by_agency: Vec<AgencyCount>,
    /// Own staff per recorded title, leaders' titles first; untitled staff are not listed.
    #[serde(default)]
    pub own_by_title: Vec<TitleCount>,
}

/// `TitleCount`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleCount {
    pub title: String,
    pub count: i64,
}

/// `StaffingTable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffingTable {
    pub unit_id: UnitId,
    /// Desks (commune-level and `one_stop_desk` units), in id order.
    pub rows: Vec<StaffingRow>,
    pub total: i64,
    pub own_staff: i64,
    pub agency_sent: i64,
}

/// `Decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub number: String,
    pub date: NaiveDate,
}

/// `ProcedureView`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub id: ProcedureId,
    pub code: String,
    pub name: String,
    pub field: String,
    /// `province`, `district`, `commune`.
    pub levels: Vec<String>,
    pub processing_days: i32,
    /// `full`, `partial` or `none`.
    pub online_level: String,
    /// Received regardless of administrative boundaries (phi địa giới).
    #[serde(default)]
    pub non_boundary: bool,
    #[serde(default)]
    pub fee_vnd: Option<i64>,
    pub decision: Decision,
    #[serde(default)]
    pub abolished_on: Option<NaiveDate>,
    /// The version in force.
    pub current: bool,
}

impl Procedure {
    /// QĐ 766 counts a procedure as offering online service when it is full or partial.
    pub fn is_online(&self) -> bool {
        self.online_level != "none"
    }
}

/// Filters of `GET /procedures`; the default lists every version in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcedureFilter {
    pub code: Option<String>,
    pub field: Option<String>,
    /// `province`, `district` or `commune`.
    pub level: Option<String>,
    pub online_level: Option<String>,
    pub include_history: bool,
}

/// `OfficialView`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Official {
    pub id: OfficialId,
    pub full_name: String,
    pub personal_id: String,
    pub unit_id: UnitId,
    pub role: String,
    #[serde(default)]
    pub title: Option<String>,
    /// `own_staff`, `seconded` or `agency_sent`.
    pub staffing: String,
    #[serde(default)]
    pub agency: Option<String>,
    #[serde(default)]
    pub agency_name: Option<String>,
    pub active: bool,
}

/// `CertificateView` as listed (without verdict and PEM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub id: CertificateId,
    pub kind: motcua_core::certificate::CertificateKind,
    #[serde(default)]
    pub official_id: Option<OfficialId>,
    #[serde(default)]
    pub unit_id: Option<UnitId>,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub fingerprint_sha256: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub status: String,
    pub summary: String,
    pub usable: bool,
    pub validated_at: DateTime<Utc>,
}

/// The short text of a period the service accepts: `2023`, `2024-Q1`, `2024-03`, or
/// `2024-01-15..2024-02-15` for any other range.
pub fn period_label(period: &Period) -> String {
    use chrono::Datelike;
    let (first, last) = (period.first_day, period.last_day);
    let year = first.year();
    if let Ok(whole) = Period::year(year) {
        if whole == *period {
            return year.to_string();
        }
    }
    let quarter = (first.month() - 1) / 3 + 1;
    if let Ok(q) = Period::quarter(year, quarter) {
        if q == *period {
            return format!("{year}-Q{quarter}");
        }
    }
    if let Ok(m) = Period::month(year, first.month()) {
        if m == *period {
            return format!("{year}-{:02}", first.month());
        }
    }
    format!("{first}..{last}")
}

/// The client. Cheap to clone; clones share the connection pool.
#[derive(Debug, Clone)]
pub struct ResultsClient {
    http: reqwest::Client,
    /// Without a trailing slash.
    base: String,
    authorization: HeaderValue,
    options: ClientOptions,
}

impl ResultsClient {
    /// A client of the service at `base_url` (e.g. `http://127.0.0.1:8080`, optionally with a
    /// path prefix), sending `Authorization: Bearer <api_key>`.
    pub fn new(base_url: &str, api_key: &str, options: ClientOptions) -> Result<Self, ClientError> {
        let base = base_url.trim_end_matches('/').to_owned();
        let parsed = Url::parse(&base)
            .map_err(|e| ClientError::Config(format!("base URL `{base_url}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.query().is_some() {
            return Err(ClientError::Config(format!(
                "base URL `{base_url}` must be http(s) without a query"
            )));
        }
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {api_key}")).map_err(|_| {
                ClientError::Config("the API key has characters not allowed in a header".into())
            })?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|e| ClientError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            authorization,
            options,
        })
    }

    /// `path` (starting with `/`) with `query` appended, as recorded in [`Source::path`], and
    /// the full URL.
    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<(String, Url), ClientError> {
        let mut url = Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| ClientError::Config(format!("path `{path}`: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let relative = match url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        Ok((relative, url))
    }

    /// GET with retries; the body bytes and their source.
    async fn get_bytes(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(Vec<u8>, Source), ClientError> {
        let (relative, url) = self.url(path, query)?;
        let mut delay = self.options.backoff;
        let mut attempt = 0u32;
        loop {
            let retries_left = attempt < self.options.retries;
            attempt += 1;
            let sent = self
                .http
                .get(url.clone())
                .header(AUTHORIZATION, self.authorization.clone())
                .header(ACCEPT, "application/json, application/problem+json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(error) if retries_left && transient(&error) => {
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    continue;
                }
                Err(source) => {
                    return Err(ClientError::Unreachable {
                        url: url.to_string(),
                        source,
                    })
                }
            };
            let status = response.status();
            if status.is_success() {
                let fetched_at = Utc::now();
                match response.bytes().await {
                    Ok(body) => {
                        let source = Source {
                            path: relative,
                            sha256: hex::encode(Sha256::digest(&body)),
                            fetched_at,
                        };
                        return Ok((body.to_vec(), source));
                    }
                    Err(error) if retries_left && transient(&error) => {
                        tokio::time::sleep(delay).await;
                        delay = delay.saturating_mul(2);
                        continue;
                    }
                    Err(source) => {
                        return Err(ClientError::Unreachable {
                            url: url.to_string(),
                            source,
                        })
                    }
                }
            }
            if retries_left {
                let wait = if status == StatusCode::TOO_MANY_REQUESTS {
                    retry_after(&response).map_or(Some(delay), |secs| {
                        (secs <= MAX_RETRY_AFTER_SECS).then(|| Duration::from_secs(secs))
                    })
                } else if status.is_server_error() {
                    Some(delay)
                } else {
                    None
                };
                if let Some(wait) = wait {
                    tokio::time::sleep(wait).await;
                    delay = delay.saturating_mul(2);
                    continue;
                }
            }
            let is_json = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("json"));
            let body = response.bytes().await.unwrap_or_default();
            let problem = if is_json {
                serde_json::from_slice::<Problem>(&body).ok().map(Box::new)
            } else {
                None
            };
            return Err(ClientError::Status {
                status,
                url: url.to_string(),
                problem,
            });
        }
    }

    /// GET and decode one JSON document.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Fetched<T>, ClientError> {
        let (body, source) = self.get_bytes(path, query).await?;
        let value = serde_json::from_slice(&body).map_err(|e| ClientError::Decode {
            url: format!("{}{}", self.base, source.path),
            reason: e.to_string(),
        })?;
        Ok(Fetched {
            value,
            sources: vec![source],
        })
    }

    /// GET every page of a keyset-paginated list, following `next` to the end.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Fetched<Vec<T>>, ClientError> {
        let mut items = Vec::new();
        let mut sources = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params: Vec<(&str, &str)> = query.to_vec();
            params.push(("limit", PAGE_LIMIT));
            if let Some(cursor) = cursor.as_deref() {
                params.push(("cursor", cursor));
            }
            let page: Fetched<Page<T>> = self.get_json(path, &params).await?;
            items.extend(page.value.items);
            sources.extend(page.sources);
            match page.value.next {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                Some(_) => {
                    return Err(ClientError::Decode {
                        url: format!("{}{path}", self.base),
                        reason: "the list returned the same cursor twice".into(),
                    })
                }
                None => {
                    return Ok(Fetched {
                        value: items,
                        sources,
                    })
                }
            }
        }
        Err(ClientError::Decode {
            url: format!("{}{path}", self.base),
            reason: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// `GET /units/{id}`.
    pub async fn unit(&self, id: UnitId) -> Result<Fetched<Unit>, ClientError> {
        self.get_json(&format!("/units/{id}"), &[]).await
    }

    /// `GET /units?under={id}`, every page: the unit, every unit below it and the units merged
    /// into them, in id order.
    pub async fn units_under(&self, id: UnitId) -> Result<Fetched<Vec<Unit>>, ClientError> {
        let id = id.to_string();
        self.get_all("/units", &[("under", id.as_str())]).await
    }

    /// `GET /statistics/form-06?unit={id}&period={period}` (counters method).
    pub async fn form06(
        &self,
        unit: UnitId,
        period: &Period,
    ) -> Result<Fetched<Form06>, ClientError> {
        let (unit, period) = (unit.to_string(), period_label(period));
        self.get_json(
            "/statistics/form-06",
            &[("unit", unit.as_str()), ("period", period.as_str())],
        )
        .await
    }

    /// `GET /statistics/indicators?unit={id}&period={period}`.
    pub async fn indicators(
        &self,
        unit: UnitId,
        period: &Period,
    ) -> Result<Fetched<Indicators>, ClientError> {
        let (unit, period) = (unit.to_string(), period_label(period));
        self.get_json(
            "/statistics/indicators",
            &[("unit", unit.as_str()), ("period", period.as_str())],
        )
        .await
    }

    /// `GET /units/{id}/certificate-coverage`.
    pub async fn certificate_coverage(
        &self,
        id: UnitId,
    ) -> Result<Fetched<CertificateCoverage>, ClientError> {
        self.get_json(&format!("/units/{id}/certificate-coverage"), &[])
            .await
    }

    /// `GET /units/{id}/staffing`.
    pub async fn staffing(&self, id: UnitId) -> Result<Fetched<StaffingTable>, ClientError> {
        self.get_json(&format!("/units/{id}/staffing"), &[]).await
    }

    /// `GET /procedures` with the filter, every page.
    pub async fn procedures(
        &self,
        filter: &ProcedureFilter,
    ) -> Result<Fetched<Vec<Procedure>>, ClientError> {
        let mut query: Vec<(&str, &str)> = Vec::new();
        for (name, value) in [
            ("code", &filter.code),
            ("field", &filter.field),
            ("level", &filter.level),
            ("online_level", &filter.online_level),
        ] {
            if let Some(value) = value {
                query.push((name, value.as_str()));
            }
        }
        if filter.include_history {
            query.push(("include_history", "true"));
        }
        self.get_all("/procedures", &query).await
    }

    /// `GET /officials/{id}`.
    pub async fn official(&self, id: OfficialId) -> Result<Fetched<Official>, ClientError> {
        self.get_json(&format!("/officials/{id}"), &[]).await
    }

    /// `GET /certificates?official={id}`, every page: the official's personal certificates.
    pub async fn official_certificates(
        &self,
        id: OfficialId,
    ) -> Result<Fetched<Vec<Certificate>>, ClientError> {
        let id = id.to_string();
        self.get_all("/certificates", &[("official", id.as_str())])
            .await
    }
}

/// Errors worth another attempt: no connection, a timeout, a connection dropped mid-request.
fn transient(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request() || error.is_body()
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the service and is ignored).
fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn period_labels_are_the_short_forms() {
        let label = |text: &str| period_label(&text.parse::<Period>().unwrap());
        assert_eq!(label("2023"), "2023");
        assert_eq!(label("2024-Q1"), "2024-Q1");
        assert_eq!(label("2024-02"), "2024-02");
        assert_eq!(label("2024-01-15..2024-02-15"), "2024-01-15..2024-02-15");
        assert_eq!(label("2024-01-01..2024-03-31"), "2024-Q1");
    }

    #[test]
    fn paths_keep_their_query() {
        let client =
            ResultsClient::new("http://127.0.0.1:1/", "mc_x", ClientOptions::default()).unwrap();
        let (relative, url) = client
            .url("/units", &[("under", "2"), ("q", "Việt Yên")])
            .unwrap();
        assert_eq!(relative, "/units?under=2&q=Vi%E1%BB%87t+Y%C3%AAn");
        assert_eq!(url.as_str(), format!("http://127.0.0.1:1{relative}"));
        assert!(ResultsClient::new("not a url", "k", ClientOptions::default()).is_err());
        assert!(ResultsClient::new("http://x", "bad\nkey", ClientOptions::default()).is_err());
    }
}
