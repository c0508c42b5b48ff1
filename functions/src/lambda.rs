//! Serving one route as a Lambda function.

use lambda_http::{Body, Request, Response, service_fn};
use latch_core::config::Config;
use latch_core::http::{Route, fail, routes, serve};
use latch_core::service::Deps;
use latch_core::telemetry;
use latch_core::wiring::ColdStart;
use std::convert::Infallible;
use std::sync::Arc;

/// The whole life of a function: logs, dependencies once per cold start, then one route.
pub async fn run(name: &str) -> Result<(), lambda_http::Error> {
    telemetry::init();
    let route = routes::by_name(name)
        .ok_or_else(|| format!("no route named {name:?} in the route table"))?;
    // A bad setting stops the start: no retry can mend it.
    let mut config = Config::from_env()?;
    config.keys_needed = crate::needs_keys(name);
    let cold = Arc::new(ColdStart::new(config, None).await);
    lambda_http::run(service_fn(move |req: Request| {
        let cold = Arc::clone(&cold);
        async move { Ok::<_, Infallible>(handle_cold(&cold, route, req).await) }
    }))
    .await
}

/// One invocation of a function whose dependencies may not be built yet: 503 while they cannot be.
pub async fn handle_cold(cold: &ColdStart, route: &Route, req: Request) -> Response<Body> {
    match cold.deps().await {
        Ok(deps) => handle(deps, route, req).await,
        Err(err) => {
            let now = time::OffsetDateTime::now_utc();
            fail(err, req.headers(), req.method().as_str(), now)
        }
    }
}

/// One invocation: exactly what the runtime calls, so tests can feed it `events/*.json`.
pub async fn handle(deps: &Deps, route: &Route, req: Request) -> Response<Body> {
    serve(deps, route, req).await
}
