//! POST /v1/auth/change-password

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::guard::RateLimit;
use crate::service::{Deps, passwords};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "change-password",
    method: Method::POST,
    path: "/v1/auth/change-password",
    access: Access::Bearer,
    limit: Some(RateLimit::ChangePassword),
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Change the caller's password; ends every other session",
        tag: "auth",
        body: Body::Required(schema_of::<passwords::ChangeRequest>),
        query: &[],
        success: 204,
        success_description: "Changed; the caller's session stays, the others are revoked",
        response: None,
        content_type: "",
        errors: &[
            (401, &["invalid_credentials"]),
            (409, &["conflict"]),
            (422, &["weak_password", "password_reused"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        passwords::change(deps, &call.caller, auth, call.json()?).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
