//! POST /v1/auth/login

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, login};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "login",
    method: Method::POST,
    path: "/v1/auth/login",
    access: Access::Public,
    limit: Some(RateLimit::Login),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Sign in with email and password; starts a new session",
        tag: "auth",
        body: Body::Required(schema_of::<login::LoginRequest>),
        query: &[],
        success: 200,
        success_description: "An access token and the session's first refresh token; or, when 2FA is on, `mfaRequired` and the `mfaToken` for `2fa/verify` or `recovery-login`",
        response: Some(schema_of::<login::LoginOutcome>),
        content_type: "application/json",
        errors: &[
            (400, &["captcha_required", "captcha_invalid"]),
            (401, &["invalid_credentials"]),
            (403, &["email_not_verified"]),
            (423, &["account_locked"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let out = login::login(deps, &call.caller, call.json()?).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
