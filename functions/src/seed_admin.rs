//! The one-shot `seed-admin` function: makes the first administrator on AWS. Invoked by hand
//! (`aws lambda invoke --function-name <SeedAdminFunction> --payload '{"email":"..."}' out.json`),
//! never on a schedule or from the API; running it again changes nothing.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use latch_core::config::Config;
use latch_core::service::{Deps, bootstrap};
use latch_core::telemetry;
use latch_core::wiring::ColdStart;
use std::sync::Arc;

/// The address comes from the event's `email`, or else from `LATCH_ADMIN_EMAIL`.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let fallback = std::env::var("LATCH_ADMIN_EMAIL").ok();
    let cold = Arc::new(ColdStart::new(config, None).await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let (cold, fallback) = (Arc::clone(&cold), fallback.clone());
        async move {
            let deps = cold.deps().await?;
            handle(
                deps,
                &event.payload,
                fallback.as_deref(),
                &event.context.request_id,
            )
            .await
        }
    }))
    .await
}

/// One run: exactly what the runtime calls, so tests can feed it `events/seed-admin.*.json`.
pub async fn handle(
    deps: &Deps,
    event: &serde_json::Value,
    fallback: Option<&str>,
    run_id: &str,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    deps.keys.refresh_if_due(deps.clock.now()).await;
    let email = event
        .get("email")
        .and_then(serde_json::Value::as_str)
        .or(fallback)
        .ok_or("seed-admin needs {\"email\": \"...\"} in its event, or LATCH_ADMIN_EMAIL")?;
    let report = bootstrap::seed_admin(deps, run_id, email).await?;
    tracing::info!(target: "latch::job", job = "seed-admin", outcome = ?report.outcome, mailed = report.mailed, "run finished");
    Ok(serde_json::to_value(report)?)
}
