//! GET /v1/auth/me

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, me};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "me",
    method: Method::GET,
    path: "/v1/auth/me",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's own account",
        tag: "auth",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The account as stored now (roles are read on every call)",
        response: Some(schema_of::<me::Me>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(_: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        Reply::json(StatusCode::OK, &me::me(auth))
    })
}
