//! POST /v1/auth/logout-all

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, sessions};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "logout-all",
    method: Method::POST,
    path: "/v1/auth/logout-all",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "End every session of the caller",
        tag: "auth",
        body: Body::None,
        query: &[],
        success: 204,
        success_description: "Every session of the user is revoked",
        response: None,
        content_type: "",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        sessions::logout_all(deps, &call.caller, auth).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
