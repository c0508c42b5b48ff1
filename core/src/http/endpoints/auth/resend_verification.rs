//! POST /v1/auth/resend-verification

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, passwords, register};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "resend-verification",
    method: Method::POST,
    path: "/v1/auth/resend-verification",
    access: Access::Public,
    limit: Some(RateLimit::ResendVerification),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Mail a new verification link to an address not yet confirmed",
        tag: "auth",
        body: Body::Required(schema_of::<passwords::EmailRequest>),
        query: &[],
        success: 202,
        success_description: "Accepted; the same answer for every address",
        response: Some(schema_of::<register::Accepted>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let out = passwords::resend_verification(deps, &call.caller, call.json()?).await?;
        Reply::json(StatusCode::ACCEPTED, &out)
    })
}
