//! POST /v1/auth/2fa/enable-init

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, mfa};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "mfa-enable-init",
    method: Method::POST,
    path: "/v1/auth/2fa/enable-init",
    access: Access::Bearer,
    limit: Some(RateLimit::SecondFactorSettings),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Start turning 2FA on: the password again, then a new TOTP secret, its otpauth URL and QR code",
        tag: "2fa",
        body: Body::Required(schema_of::<mfa::enroll::EnableInitRequest>),
        query: &[],
        success: 200,
        success_description: "The secret (base32), its otpauth URL and an SVG QR code; 2FA is on only after enable-complete",
        response: Some(schema_of::<mfa::enroll::Enrollment>),
        content_type: "application/json",
        errors: &[(401, &["invalid_credentials"]), (409, &["conflict"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let out = mfa::enroll::enable_init(deps, &call.caller, auth, call.json()?).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
