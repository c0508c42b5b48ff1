//! POST /v1/auth/forgot-password

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, passwords, register};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "forgot-password",
    method: Method::POST,
    path: "/v1/auth/forgot-password",
    access: Access::Public,
    limit: Some(RateLimit::ForgotPassword),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Mail a password reset link to a known address",
        tag: "auth",
        body: Body::Required(schema_of::<passwords::EmailRequest>),
        query: &[],
        success: 202,
        success_description: "Accepted; the same answer whether or not the address has an account",
        response: Some(schema_of::<register::Accepted>),
        content_type: "application/json",
        errors: &[(400, &["captcha_required", "captcha_invalid"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let out = passwords::forgot(deps, &call.caller, call.json()?).await?;
        Reply::json(StatusCode::ACCEPTED, &out)
    })
}
