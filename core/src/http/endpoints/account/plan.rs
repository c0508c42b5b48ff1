//! GET /v1/account/plan

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, billing};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "account-plan",
    method: Method::GET,
    path: "/v1/account/plan",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's plan and since when",
        tag: "account",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "FREE or PRO, and when it began",
        response: Some(schema_of::<billing::PlanView>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(_: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        Reply::json(StatusCode::OK, &billing::plan(auth))
    })
}
