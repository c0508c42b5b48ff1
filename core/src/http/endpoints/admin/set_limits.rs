//! POST /v1/admin/users/{id}/limits

use super::ADMIN_OR_BILLING;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::accounts;
use crate::service::billing;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-set-limits",
    method: Method::POST,
    path: "/v1/admin/users/{id}/limits",
    access: Access::Roles(ADMIN_OR_BILLING),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Set an account's monthly spend cap, up to its plan's maximum",
        tag: "admin",
        body: Body::Required(schema_of::<billing::LimitsRequest>),
        query: &[],
        success: 200,
        success_description: "The account's limits as they now stand",
        response: Some(schema_of::<billing::LimitsView>),
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
        let user = super::target(deps, &call, ADMIN_OR_BILLING).await?;
        let auth = call.authenticated()?;
        let out = accounts::set_limits(deps, &call.caller, auth, user, req).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
