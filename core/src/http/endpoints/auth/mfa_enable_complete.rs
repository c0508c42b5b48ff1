//! POST /v1/auth/2fa/enable-complete

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, mfa};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "mfa-enable-complete",
    method: Method::POST,
    path: "/v1/auth/2fa/enable-complete",
    access: Access::Bearer,
    limit: Some(RateLimit::SecondFactorSettings),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Finish turning 2FA on with a first code from the app; returns the recovery codes, once",
        tag: "2fa",
        body: Body::Required(schema_of::<mfa::enroll::CodeRequest>),
        query: &[],
        success: 200,
        success_description: "2FA is on; ten recovery codes, shown this once",
        response: Some(schema_of::<mfa::enroll::RecoveryCodes>),
        content_type: "application/json",
        errors: &[(401, &["invalid_code"]), (409, &["conflict"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let out = mfa::enroll::enable_complete(deps, &call.caller, auth, call.json()?).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
