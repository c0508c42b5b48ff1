//! GET /v1/admin/users/{id}

use super::ADMIN_OR_SUPPORT;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::users;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-get-user",
    method: Method::GET,
    path: "/v1/admin/users/{id}",
    access: Access::Roles(ADMIN_OR_SUPPORT),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "One account: roles, plan, lock, second factor and active sessions",
        tag: "admin",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The account",
        response: Some(schema_of::<users::UserDetail>),
        content_type: "application/json",
        errors: &[(404, &["not_found"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let user = super::target(deps, &call, ADMIN_OR_SUPPORT).await?;
        Reply::json(StatusCode::OK, &users::view(deps, &user).await?)
    })
}
