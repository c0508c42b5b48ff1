//! GET /v1/health: is the store answering, and how fast.

use super::Deps;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when a check failed.
    #[schema(example = "ok")]
    pub status: &'static str,
    pub checks: BTreeMap<&'static str, Check>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub ok: bool,
    pub latency_ms: u64,
}

pub async fn health(deps: &Deps) -> Health {
    let started = Instant::now();
    let result = deps.users.ping().await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Err(err) = &result {
        tracing::error!(error = %err, "health check: store unavailable");
    }
    let store = Check {
        ok: result.is_ok(),
        latency_ms,
    };
    let status = if store.ok { "ok" } else { "unavailable" };
    Health {
        status,
        checks: BTreeMap::from([("store", store)]),
    }
}
