//! GET /v1/openapi.json

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "openapi",
    method: Method::GET,
    path: "/v1/openapi.json",
    access: Access::Public,
    limit: None,
    cache: Cache::Public,
    handler,
    doc: Doc {
        summary: "This API's OpenAPI 3.1 document, generated from the route table",
        tag: "system",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The OpenAPI document",
        response: None,
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(_deps: &Deps, _call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        Ok(Reply::text(
            StatusCode::OK,
            "application/json",
            crate::http::openapi::json()?.to_owned(),
        ))
    })
}
