//! POST /v1/auth/register

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, register};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "register",
    method: Method::POST,
    path: "/v1/auth/register",
    access: Access::Public,
    limit: Some(RateLimit::Register),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Register an account; a new address gets a verification mail, a known one a notice",
        tag: "auth",
        body: Body::Required(schema_of::<register::RegisterRequest>),
        query: &[],
        success: 202,
        success_description: "Accepted; the same answer whether or not the address already has an account",
        response: Some(schema_of::<register::Accepted>),
        content_type: "application/json",
        errors: &[
            (400, &["captcha_required", "captcha_invalid"]),
            (422, &["validation_failed", "weak_password"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let out = register::register(deps, &call.caller, call.json()?).await?;
        Reply::json(StatusCode::ACCEPTED, &out)
    })
}
