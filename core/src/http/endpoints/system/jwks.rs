//! GET /.well-known/jwks.json

use crate::Error;
use crate::crypto::keys::Jwks;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "jwks",
    method: Method::GET,
    path: "/.well-known/jwks.json",
    access: Access::Public,
    limit: None,
    cache: Cache::Public,
    handler,
    doc: Doc {
        summary: "The public keys that verify access tokens: the next, current and previous kid",
        tag: "system",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "A JWK Set",
        response: Some(schema_of::<Jwks>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, _call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move { Reply::json(StatusCode::OK, deps.keys.ring()?.jwks()) })
}
