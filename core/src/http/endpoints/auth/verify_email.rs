//! GET /v1/auth/verify-email?token=

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, QueryParam, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, verify_email};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "verify-email",
    method: Method::GET,
    path: "/v1/auth/verify-email",
    access: Access::Public,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Confirm an email address with the token from the verification mail",
        tag: "auth",
        body: Body::None,
        query: &[QueryParam {
            name: "token",
            description: "The one-time token from the mailed link",
            required: true,
        }],
        success: 200,
        success_description: "The address is verified; the token is spent",
        response: Some(schema_of::<verify_email::Verified>),
        content_type: "application/json",
        errors: &[(400, &["invalid_token"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let token = call.query("token");
        let out = verify_email::verify_email(deps, &call.caller, token.as_deref()).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
