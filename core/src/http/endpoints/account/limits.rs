//! GET /v1/account/limits

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, billing};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "account-limits",
    method: Method::GET,
    path: "/v1/account/limits",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's monthly spend cap and this month's spend",
        tag: "account",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The cap (a hard stop), the spend of the current UTC month and that month",
        response: Some(schema_of::<billing::LimitsView>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        Reply::json(StatusCode::OK, &billing::limits(deps, auth).await?)
    })
}
