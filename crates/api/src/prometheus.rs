//! Request counters and latency histograms per route, and the Prometheus text exposition
//! of them and of the service's gauges. Hand-written: the format is a few lines of text
//! and a registry crate would cost more than it saves.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

/// Upper bounds of the latency buckets in seconds; `+Inf` is implied.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Counters of one (method, route, status).
#[derive(Debug, Default)]
struct RouteStats {
    count: AtomicU64,
    /// Cumulative microseconds, so the sum needs no float atomics.
    sum_micros: AtomicU64,
    /// Non-cumulative bucket counts; the exposition accumulates them.
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
}

type RouteKey = (String, String, u16);

/// Per-route request statistics shared by every worker.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: RwLock<HashMap<RouteKey, Arc<RouteStats>>>,
}

impl HttpMetrics {
    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let stats = self.stats(method, route, status);
        stats.count.fetch_add(1, Ordering::Relaxed);
        // Saturating float-to-int conversion is what we want for absurd durations.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let micros = (seconds * 1e6) as u64;
        stats.sum_micros.fetch_add(micros, Ordering::Relaxed);
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&bound| seconds <= bound) {
            stats.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn stats(&self, method: &str, route: &str, status: u16) -> Arc<RouteStats> {
        {
            let routes = self
                .routes
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(stats) = routes
                .iter()
                .find(|((m, r, s), _)| m == method && r == route && *s == status)
                .map(|(_, stats)| Arc::clone(stats))
            {
                return stats;
            }
        }
        let mut routes = self
            .routes
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(
            routes
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default(),
        )
    }

    /// Requests counted for a route and status (tests and `/metrics`).
    #[must_use]
    pub fn count(&self, method: &str, route: &str, status: u16) -> u64 {
        let routes = self
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        routes
            .get(&(method.to_owned(), route.to_owned(), status))
            .map_or(0, |stats| stats.count.load(Ordering::Relaxed))
    }

    /// Appends `http_requests_total` and `http_request_duration_seconds` in text format.
    pub fn render(&self, out: &mut String) {
        let routes = self
            .routes
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut keys: Vec<&RouteKey> = routes.keys().collect();
        keys.sort();
        out.push_str(
            "# HELP scorewatch_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE scorewatch_http_requests_total counter\n");
        for key in &keys {
            let (method, route, status) = key;
            let count = routes[*key].count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "scorewatch_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(route)
            );
        }
        out.push_str("# HELP scorewatch_http_request_duration_seconds Latency of HTTP requests.\n");
        out.push_str("# TYPE scorewatch_http_request_duration_seconds histogram\n");
        for key in &keys {
            let (method, route, status) = key;
            let stats = &routes[*key];
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            let mut cumulative = 0;
            for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&stats.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "scorewatch_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let count = stats.count.load(Ordering::Relaxed);
            let sum = stats.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(
                out,
                "scorewatch_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "scorewatch_http_request_duration_seconds_sum{{{labels}}} {sum}"
            );
            let _ = writeln!(
                out,
                "scorewatch_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
    }
}

/// Escapes a label value as the exposition format requires.
#[must_use]
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Appends one gauge with its HELP and TYPE lines.
pub fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

/// Appends one counter with its HELP and TYPE lines.
pub fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
    );
}

/// Middleware: times every request and records it under its route pattern (never the raw
/// path, so ids in paths cannot blow up the label set).
///
/// # Errors
/// Whatever the wrapped service returns; errors are counted with their status first.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(metrics) = req.app_data::<web::Data<HttpMetrics>>().cloned() else {
        return next.call(req).await;
    };
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let result = next.call(req).await;
    let seconds = started.elapsed().as_secs_f64();
    match &result {
        Ok(res) => {
            let route = res
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned());
            metrics.observe(&method, &route, res.status().as_u16(), seconds);
        }
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            metrics.observe(&method, "unmatched", status, seconds);
        }
    }
    result
}

/// Resident memory of this process in bytes, from `/proc/self/statm` (Linux only).
#[must_use]
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // Every Linux platform this runs on uses 4 KiB pages.
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_match() {
        let metrics = HttpMetrics::default();
        metrics.observe("POST", "/predict", 200, 0.0002);
        metrics.observe("POST", "/predict", 200, 0.003);
        metrics.observe("POST", "/predict", 200, 10.0);
        let mut out = String::new();
        metrics.render(&mut out);
        let labels = "method=\"POST\",route=\"/predict\",status=\"200\"";
        assert!(out.contains(&format!("scorewatch_http_requests_total{{{labels}}} 3")));
        assert!(out.contains(&format!(
            "scorewatch_http_request_duration_seconds_bucket{{{labels},le=\"0.0005\"}} 1"
        )));
        assert!(out.contains(&format!(
            "scorewatch_http_request_duration_seconds_bucket{{{labels},le=\"0.005\"}} 2"
        )));
        assert!(out.contains(&format!(
            "scorewatch_http_request_duration_seconds_bucket{{{labels},le=\"5\"}} 2"
        )));
        assert!(out.contains(&format!(
            "scorewatch_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 3"
        )));
        assert_eq!(metrics.count("POST", "/predict", 200), 3);
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
