//! POST /v1/admin/users/{id}/reset-2fa

use super::ADMIN;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::{accounts, users};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-reset-mfa",
    method: Method::POST,
    path: "/v1/admin/users/{id}/reset-2fa",
    access: Access::Roles(ADMIN),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Turn an account's second factor off and void its recovery codes; the owner is mailed",
        tag: "admin",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The account, its second factor off",
        response: Some(schema_of::<users::UserDetail>),
        content_type: "application/json",
        errors: &[(404, &["not_found"]), (409, &["conflict"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let user = super::target(deps, &call, ADMIN).await?;
        let auth = call.authenticated()?;
        let out = accounts::reset_mfa(deps, &call.caller, auth, user).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
