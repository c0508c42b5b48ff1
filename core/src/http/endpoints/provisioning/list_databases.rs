//! GET /v1/provisioning/databases

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::databases;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "list-databases",
    method: Method::GET,
    path: "/v1/provisioning/databases",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's databases, oldest first (never a password)",
        tag: "provisioning",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The caller's databases",
        response: Some(schema_of::<databases::DatabaseList>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        Reply::json(StatusCode::OK, &databases::list(deps, auth).await?)
    })
}
