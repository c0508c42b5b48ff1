//! GET /v1/health

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, health};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "health",
    method: Method::GET,
    path: "/v1/health",
    access: Access::Public,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Whether Latch and its store answer",
        tag: "system",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "Every check passed (503 with the same body shape when one failed)",
        response: Some(schema_of::<health::Health>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, _call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let report = health::health(deps).await;
        let status = if report.status == "ok" {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        Reply::json(status, &report)
    })
}
