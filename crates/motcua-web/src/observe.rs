//! What operators see of every request: a request id (returned in `X-Request-Id` and as the
//! `instance` of every problem document), one structured log line, and Prometheus metrics.
//! Log lines name the route pattern, never the path or query, which may carry personal ID
//! numbers; bodies and keys are never logged.

use std::time::Instant;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{get, Error, HttpMessage, HttpResponse};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::context::WebContext;
use crate::error::{ApiError, PROBLEM_JSON};
use crate::request_id::{is_sane, RequestId, REQUEST_ID_HEADER};

/// The metrics of one service.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    /// Signatures made, by `kind` (`electronic_result`, `component`, `report_leader`,
    /// `report_organisation`, `receipt`, …).
    pub signatures_made: IntCounterVec,
    /// Signatures verified, by `indication` (`total_passed`, `total_failed`, `indeterminate`).
    pub signatures_verified: IntCounterVec,
    /// Certificate verdicts computed, by `status`.
    pub certificate_verdicts: IntCounterVec,
    /// Report deliveries attempted, by `outcome` (`delivered`, `failed`).
    pub outbox_attempts: IntCounterVec,
    /// Reports waiting in the outbox.
    pub outbox_depth: IntGauge,
    db_connections: IntGaugeVec,
    /// 1 while the database circuit breaker is open (requests refused at once), else 0.
    db_circuit_open: IntGauge,
    /// The newest audit checkpoint: its last record id, labelled with its id and root hash,
    /// so that a trail emptied or shortened in the database is still known from outside.
    checkpoint_root: IntGaugeVec,
}

impl Metrics {
    /// Registers every metric under the `motcua_` prefix with the label `service`.
    pub fn new(service: &str) -> Self {
        let registry = Registry::new_custom(
            Some("motcua".into()),
            Some(std::iter::once(("service".to_owned(), service.to_owned())).collect()),
        )
        .unwrap_or_default();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)
                .unwrap_or_else(|_| unreachable_metric());
            let _ = registry.register(Box::new(metric.clone()));
            metric
        };
        let requests = counter(
            "http_requests_total",
            "HTTP requests answered, by route pattern, method and status",
            &["route", "method", "status"],
        );
        let signatures_made = counter("signatures_made_total", "Signatures made", &["kind"]);
        let signatures_verified = counter(
            "signatures_verified_total",
            "Signatures verified, by indication",
            &["indication"],
        );
        let certificate_verdicts = counter(
            "certificate_verdicts_total",
            "Certificate verdicts computed, by status",
            &["status"],
        );
        let outbox_attempts = counter(
            "outbox_delivery_attempts_total",
            "Report deliveries attempted, by outcome",
            &["outcome"],
        );
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer HTTP requests, by route pattern and method",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method"],
        )
        .unwrap_or_else(|_| unreachable_metric());
        let _ = registry.register(Box::new(latency.clone()));
        let outbox_depth = IntGauge::new("outbox_depth", "Reports waiting in the outbox")
            .unwrap_or_else(|_| unreachable_metric());
        let _ = registry.register(Box::new(outbox_depth.clone()));
        let db_connections = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections, by state"),
            &["state"],
        )
        .unwrap_or_else(|_| unreachable_metric());
        let _ = registry.register(Box::new(db_connections.clone()));
        let db_circuit_open = IntGauge::new(
            "db_circuit_open",
            "1 while the database circuit breaker is open (requests answered 503 at once)",
        )
        .unwrap_or_else(|_| unreachable_metric());
        let _ = registry.register(Box::new(db_circuit_open.clone()));
        let checkpoint_root = IntGaugeVec::new(
            Opts::new(
                "audit_checkpoint_last_record_id",
                "Last audit record covered by the newest checkpoint, by checkpoint id and root hash",
            ),
            &["checkpoint_id", "root_hash"],
        )
        .unwrap_or_else(|_| unreachable_metric());
        let _ = registry.register(Box::new(checkpoint_root.clone()));
        Self {
            registry,
            requests,
            latency,
            signatures_made,
            signatures_verified,
            certificate_verdicts,
            outbox_attempts,
            outbox_depth,
            db_connections,
            db_circuit_open,
            checkpoint_root,
        }
    }

    /// Shows a checkpoint's root as the newest (one series: the previous one is dropped).
    pub fn checkpoint_made(&self, checkpoint_id: i64, root_hash: &str, last_record_id: i64) {
        self.checkpoint_root.reset();
        self.checkpoint_root
            .with_label_values(&[&checkpoint_id.to_string(), root_hash])
            .set(last_record_id);
    }

    /// Counts a signature verification by its indication.
    pub fn verified(&self, indication: &motcua_pki::cms::Indication) {
        let label = serde_json::to_value(indication)
            .ok()
            .and_then(|v| v.as_str().map(str::to_ascii_lowercase))
            .unwrap_or_default();
        self.signatures_verified.with_label_values(&[&label]).inc();
    }
}

/// Metric names and labels above are constants: building them cannot fail.
fn unreachable_metric<T>() -> T {
    panic!("invalid metric definition")
}

/// The request id, timing, log line, metrics and problem `instance` of every request.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let web = req.app_data::<Data<WebContext>>().cloned();
    let method = req.method().to_string();
    let response = next.call(req).await?.map_into_boxed_body();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "(unmatched)".into());
    let mut response = with_instance(response, &id).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(web) = web {
        web.metrics
            .requests
            .with_label_values(&[&route, &method, &status.to_string()])
            .inc();
        web.metrics
            .latency
            .with_label_values(&[&route, &method])
            .observe(elapsed.as_secs_f64());
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}

/// Adds `"instance": "urn:motcua:request:<id>"` to a problem document, so a client reporting an
/// error hands operators the id that finds it in the logs.
async fn with_instance(response: ServiceResponse<BoxBody>, id: &str) -> ServiceResponse<BoxBody> {
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if !is_problem {
        return response;
    }
    let (req, res) = response.into_parts();
    let (res, body) = res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    let patched = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut problem)) => {
            problem.insert(
                "instance".into(),
                serde_json::Value::String(format!("urn:motcua:request:{id}")),
            );
            serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    ServiceResponse::new(req, res.set_body(BoxBody::new(patched)))
}

/// Prometheus metrics in the text exposition format. Like the health probes it needs no key:
/// expose it only to the monitoring network.
#[utoipa::path(tag = "health", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
#[get("/metrics")]
pub async fn metrics(web: Data<WebContext>) -> Result<HttpResponse, ApiError> {
    let (open, idle) = web.db.usage();
    let gauges = &web.metrics.db_connections;
    gauges.with_label_values(&["idle"]).set(i64::from(idle));
    gauges
        .with_label_values(&["in_use"])
        .set(i64::from(open.saturating_sub(idle)));
    web.metrics
        .db_circuit_open
        .set(i64::from(web.db.circuit_open()));
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&web.metrics.registry.gather(), &mut out)
        .map_err(|e| ApiError::internal(format!("metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out))
}

/// Logs to standard error: `RUST_LOG` filters (default `info`); `MOTCUA_LOG_FORMAT=json` writes
/// one JSON object per line for log collectors, anything else human-readable text.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in files and journals.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let json = std::env::var("MOTCUA_LOG_FORMAT").is_ok_and(|format| format == "json");
    // A second initialisation (tests, embedding) keeps the first subscriber.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
