//! Serving one route as a Lambda function.

use lambda_http::{Body, Request, Response, service_fn};
use latch_core::config::Config;
use latch_core::http::{Route, routes, serve};
use latch_core::service::Deps;
use latch_core::{telemetry, wiring};
use std::convert::Infallible;
use std::sync::Arc;

/// The whole life of a function: logs, dependencies once per cold start, then one route.
pub async fn run(name: &str) -> Result<(), lambda_http::Error> {
    telemetry::init();
    let route = routes::by_name(name)
        .ok_or_else(|| format!("no route named {name:?} in the route table"))?;
    let config = Config::from_env()?;
    let deps = Arc::new(wiring::build(&config).await?);
    lambda_http::run(service_fn(move |req: Request| {
        let deps = Arc::clone(&deps);
        async move { Ok::<_, Infallible>(handle(&deps, route, req).await) }
    }))
    .await
}

/// One invocation: exactly what the runtime calls, so tests can feed it `events/*.json`.
pub async fn handle(deps: &Deps, route: &Route, req: Request) -> Response<Body> {
    serve(deps, route, req).await
}
