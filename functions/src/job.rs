//! Serving one scheduled job as a Lambda function (EventBridge events, not HTTP).

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use latch_core::config::Config;
use latch_core::service::{Deps, jobs};
use latch_core::telemetry;
use latch_core::wiring::ColdStart;
use std::sync::Arc;

/// The whole life of a job function (`name` one of `jobs::JOBS`, as the bootstrap resolved it):
/// logs, dependencies once per cold start, then runs; `handle` refuses any other name.
pub async fn run(name: &str) -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let name = name.to_owned();
    let mut config = Config::from_env()?;
    config.keys_needed = crate::needs_keys(&name);
    let cold = Arc::new(ColdStart::new(config, None).await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let (cold, name) = (Arc::clone(&cold), name.clone());
        // A start that failed is tried again; until it works each run fails, and is retried.
        async move { handle(cold.deps().await?, &name, &event.context.request_id).await }
    }))
    .await
}

/// One run: exactly what the runtime calls, so tests can feed it `events/<job>.*.json`. A
/// failure is an invocation error, so EventBridge retries the run.
pub async fn handle(
    deps: &Deps,
    name: &str,
    run_id: &str,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    deps.keys.refresh_if_due(deps.clock.now()).await;
    match name {
        "unlock-accounts" => Ok(serde_json::to_value(
            jobs::unlock_accounts(deps, run_id).await?,
        )?),
        "purge-unverified" => Ok(serde_json::to_value(
            jobs::purge_unverified(deps, run_id).await?,
        )?),
        "recover-provisioning" => Ok(serde_json::to_value(
            jobs::recover_provisioning(deps, run_id).await?,
        )?),
        "backup-tables" => Ok(serde_json::to_value(
            jobs::backup_tables(deps, run_id).await?,
        )?),
        other => Err(format!("no job named {other:?}").into()),
    }
}
