//! POST /v1/admin/users/{id}/unlock

use super::ADMIN_OR_SUPPORT;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::{accounts, users};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-unlock-user",
    method: Method::POST,
    path: "/v1/admin/users/{id}/unlock",
    access: Access::Roles(ADMIN_OR_SUPPORT),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Lift an account's lock and forget its failed passwords",
        tag: "admin",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The account, unlocked",
        response: Some(schema_of::<users::UserDetail>),
        content_type: "application/json",
        errors: &[(404, &["not_found"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let user = super::target(deps, &call, ADMIN_OR_SUPPORT).await?;
        let auth = call.authenticated()?;
        let out = accounts::unlock(deps, &call.caller, auth, user).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
