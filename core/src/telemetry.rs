//! JSON logs on stdout (CloudWatch reads them as they are): one line per request naming the
//! route template, never the raw path or query (tokens travel in queries).

use std::time::Duration;
use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber once; later calls are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_env("LATCH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_env_filter(filter)
        .try_init();
}

/// The one log line of a request.
pub fn request_line(request_id: &str, method: &str, route: &str, status: u16, latency: Duration) {
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    tracing::info!(target: "latch::request", requestId = request_id, method, route, status, latencyMs = latency_ms, "request");
}

/// An error and all its sources, `: `-separated.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
