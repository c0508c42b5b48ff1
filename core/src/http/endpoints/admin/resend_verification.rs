//! POST /v1/admin/users/{id}/resend-verification

use super::ADMIN_OR_SUPPORT;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::accounts;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-resend-verification",
    method: Method::POST,
    path: "/v1/admin/users/{id}/resend-verification",
    access: Access::Roles(ADMIN_OR_SUPPORT),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Mail an unconfirmed account a link that confirms it by setting its password",
        tag: "admin",
        body: Body::None,
        query: &[],
        success: 202,
        success_description: "Mailed; an account already confirmed is 409",
        response: None,
        content_type: "",
        errors: &[(404, &["not_found"]), (409, &["conflict"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let user = super::target(deps, &call, ADMIN_OR_SUPPORT).await?;
        let auth = call.authenticated()?;
        accounts::resend_verification(deps, &call.caller, auth, user).await?;
        Ok(Reply::empty(StatusCode::ACCEPTED))
    })
}
