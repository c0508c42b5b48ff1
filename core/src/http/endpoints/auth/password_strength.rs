//! POST /v1/auth/password-strength

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, passwords};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "password-strength",
    method: Method::POST,
    path: "/v1/auth/password-strength",
    access: Access::Public,
    limit: Some(RateLimit::PasswordStrength),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Score a candidate password against the policy",
        tag: "auth",
        body: Body::Required(schema_of::<passwords::StrengthRequest>),
        query: &[],
        success: 200,
        success_description: "The score, whether the whole policy is met, and hints",
        response: Some(schema_of::<passwords::StrengthReport>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let req: passwords::StrengthRequest = call.json()?;
        Reply::json(StatusCode::OK, &passwords::strength(deps, &req).await?)
    })
}
