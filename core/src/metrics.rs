//! CloudWatch Embedded Metric Format: one JSON line per metric event on stdout, which CloudWatch
//! turns into metrics without an API call. Namespace `Latch`.

use crate::domain::AuditType;
use serde_json::{Value, json};
use std::time::Duration;

const NAMESPACE: &str = "Latch";

/// The EMF document for one request: `Requests` (count) and `Latency` (ms) by route and status class.
pub fn request(route: &str, status: u16, latency: Duration, at_ms: i64) -> Value {
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    json!({
        "_aws": {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Route", "StatusClass"]],
                "Metrics": [{"Name": "Requests", "Unit": "Count"}, {"Name": "Latency", "Unit": "Milliseconds"}]
            }]
        },
        "Route": route,
        "StatusClass": format!("{}xx", status / 100),
        "Requests": 1,
        "Latency": latency_ms,
    })
}

/// The metric a security event counts in, if it is one worth an alarm.
pub fn security_metric(kind: AuditType) -> Option<&'static str> {
    match kind {
        AuditType::LoginFailed => Some("LoginFailures"),
        AuditType::AccountLocked => Some("Lockouts"),
        AuditType::TokenReuseDetected => Some("RefreshReuseDetections"),
        AuditType::SessionBindingMismatch => Some("SessionBindingMismatches"),
        AuditType::MailDropped => Some("MailDropped"),
        _ => None,
    }
}

/// The EMF document counting one security event.
pub fn security(name: &str, at_ms: i64) -> Value {
    json!({
        "_aws": {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [[]], "Metrics": [{"Name": name, "Unit": "Count"}]}]
        },
        name: 1,
    })
}

/// The EMF document counting one failed or timed-out dependency call, by dependency and kind.
pub fn dependency_failure(outage: &crate::error::Outage, at_ms: i64) -> Value {
    json!({
        "_aws": {
            "Timestamp": at_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Dependency", "Kind"]],
                "Metrics": [{"Name": "DependencyFailures", "Unit": "Count"}]
            }]
        },
        "Dependency": outage.dependency(),
        "Kind": if outage.timed_out { "timeout" } else { "error" },
        "Operation": outage.operation,
        "DependencyFailures": 1,
    })
}

/// `at` as the milliseconds since the epoch an EMF `Timestamp` holds.
pub fn epoch_ms(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Writes one EMF line to stdout, where the Lambda runtime sends it to CloudWatch Logs.
pub fn emit(document: &Value) {
    match SINK.get() {
        Some(sink) => sink(&document.to_string()),
        None => println!("{document}"),
    }
}

type Sink = Box<dyn Fn(&str) + Send + Sync>;

static SINK: std::sync::OnceLock<Sink> = std::sync::OnceLock::new();

/// Sends every later EMF line to `sink` instead of stdout, once per process (the test harness
/// reads what was counted this way). `false` when a sink was already installed.
pub fn install_sink(sink: impl Fn(&str) + Send + Sync + 'static) -> bool {
    SINK.set(Box::new(sink)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_metrics_follow_the_embedded_metric_format() {
        let doc = request(
            "/v1/auth/login",
            401,
            Duration::from_millis(12),
            1_800_000_000_000,
        );
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Latch");
        assert_eq!(doc["_aws"]["Timestamp"], 1_800_000_000_000_i64);
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(doc[name].is_number(), "{name} has a value");
        }
        for dims in directive["Dimensions"][0].as_array().unwrap() {
            assert!(
                doc[dims.as_str().unwrap()].is_string(),
                "dimension {dims} has a value"
            );
        }
        assert_eq!(doc["StatusClass"], "4xx");
        assert_eq!(doc["Latency"], 12);
    }

    #[test]
    fn security_events_count_in_their_own_metrics() {
        assert_eq!(
            security_metric(AuditType::LoginFailed),
            Some("LoginFailures")
        );
        assert_eq!(security_metric(AuditType::AccountLocked), Some("Lockouts"));
        assert_eq!(
            security_metric(AuditType::TokenReuseDetected),
            Some("RefreshReuseDetections")
        );
        assert_eq!(security_metric(AuditType::EmailVerified), None);
        let doc = security("Lockouts", 1);
        assert_eq!(doc["Lockouts"], 1);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
            "Lockouts"
        );
    }
}
