//! POST /v1/admin/users/{id}/lock

use super::ADMIN_OR_SUPPORT;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::{accounts, users};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-lock-user",
    method: Method::POST,
    path: "/v1/admin/users/{id}/lock",
    access: Access::Roles(ADMIN_OR_SUPPORT),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Lock an account (every client refused, every session ended)",
        tag: "admin",
        body: Body::Required(schema_of::<accounts::LockRequest>),
        query: &[],
        success: 200,
        success_description: "The account, locked; locking oneself is 409",
        response: Some(schema_of::<users::UserDetail>),
        content_type: "application/json",
        errors: &[
            (404, &["not_found"]),
            (409, &["conflict"]),
            (422, &["validation_failed"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        // The body is read first: bad input is refused before any account is looked up.
        let req = call.json()?;
        let user = super::target(deps, &call, ADMIN_OR_SUPPORT).await?;
        let auth = call.authenticated()?;
        let out = accounts::lock(deps, &call.caller, auth, user, req).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
