//! POST /v1/auth/reset-password

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, RateLimit, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, passwords};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "reset-password",
    method: Method::POST,
    path: "/v1/auth/reset-password",
    access: Access::Public,
    limit: Some(RateLimit::ResetPassword),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Set a new password with a reset token; ends every session",
        tag: "auth",
        body: Body::Required(schema_of::<passwords::ResetRequest>),
        query: &[],
        success: 204,
        success_description: "The password is set, the address verified, every session revoked",
        response: None,
        content_type: "",
        errors: &[
            (400, &["invalid_token"]),
            (422, &["weak_password", "password_reused"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        passwords::reset(deps, &call.caller, call.json()?).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
