//! POST /v1/auth/recovery-login

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, mfa, tokens};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "recovery-login",
    method: Method::POST,
    path: "/v1/auth/recovery-login",
    access: Access::Public,
    limit: Some(RateLimit::SecondFactor),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Second step of a login with a recovery code instead of a code; that recovery code is spent",
        tag: "2fa",
        body: Body::Required(schema_of::<mfa::challenge::RecoveryLoginRequest>),
        query: &[],
        success: 200,
        success_description: "An access token and the new session's first refresh token",
        response: Some(schema_of::<tokens::TokenPair>),
        content_type: "application/json",
        errors: &[
            (400, &["captcha_required", "captcha_invalid"]),
            (401, &["invalid_code", "invalid_token"]),
            (409, &["conflict"]),
            (423, &["mfa_locked", "account_locked"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let out = mfa::challenge::recovery_login(deps, &call.caller, call.json()?).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
