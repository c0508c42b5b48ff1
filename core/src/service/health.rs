//! GET /v1/health: are the store (and the tenant-database server, when configured) answering,
//! and how fast.

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

/// The store, and the tenant-database server when one is configured, checked at once.
pub async fn health(deps: &Deps) -> Health {
    let store = timed("store", deps.users.ping());
    let mut checks = BTreeMap::new();
    match &deps.databases {
        Some(databases) => {
            let (store, databases) = tokio::join!(store, timed("databases", databases.ping()));
            checks.insert("store", store);
            checks.insert("databases", databases);
        }
        None => {
            checks.insert("store", store.await);
        }
    }
    let status = if checks.values().all(|c| c.ok) {
        "ok"
    } else {
        "unavailable"
    };
    Health { status, checks }
}

async fn timed(
    name: &'static str,
    check: impl std::future::Future<Output = Result<(), crate::Error>>,
) -> Check {
    let started = Instant::now();
    let result = check.await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Err(err) = &result {
        tracing::error!(error = %err, check = name, "health check: dependency unavailable");
    }
    Check {
        ok: result.is_ok(),
        latency_ms,
    }
}
