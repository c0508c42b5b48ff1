//! POST /v1/admin/users/{id}/roles

use super::ADMIN;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::{accounts, users};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-set-roles",
    method: Method::POST,
    path: "/v1/admin/users/{id}/roles",
    access: Access::Roles(ADMIN),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Replace an account's roles",
        tag: "admin",
        body: Body::Required(schema_of::<accounts::RolesRequest>),
        query: &[],
        success: 200,
        success_description: "The account with its new roles; removing the last ADMIN, or one's own, is 409",
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
        let user = super::target(deps, &call, ADMIN).await?;
        let auth = call.authenticated()?;
        let out = accounts::set_roles(deps, &call.caller, auth, user, req).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
