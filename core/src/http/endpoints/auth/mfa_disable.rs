//! POST /v1/auth/2fa/disable

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, mfa};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "mfa-disable",
    method: Method::POST,
    path: "/v1/auth/2fa/disable",
    access: Access::Bearer,
    limit: Some(RateLimit::SecondFactorSettings),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Turn 2FA off with the password and a current code",
        tag: "2fa",
        body: Body::Required(schema_of::<mfa::enroll::DisableRequest>),
        query: &[],
        success: 204,
        success_description: "2FA is off; the recovery codes are void",
        response: None,
        content_type: "",
        errors: &[
            (401, &["invalid_credentials", "invalid_code"]),
            (409, &["conflict"]),
            (423, &["mfa_locked"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        mfa::enroll::disable(deps, &call.caller, auth, call.json()?).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
