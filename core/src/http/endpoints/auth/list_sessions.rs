//! GET /v1/auth/sessions

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, sessions};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "list-sessions",
    method: Method::GET,
    path: "/v1/auth/sessions",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's active sessions, newest first, a page at a time",
        tag: "auth",
        body: Body::None,
        query: crate::http::routes::PAGE_QUERY,
        success: 200,
        success_description: "Active sessions; `current` marks the caller's",
        response: Some(schema_of::<sessions::SessionList>),
        content_type: "application/json",
        errors: &[(400, &["bad_request"]), (422, &["validation_failed"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let (limit, cursor) = (call.query("limit"), call.query("cursor"));
        let list = sessions::list(deps, auth, limit.as_deref(), cursor.as_deref()).await?;
        Reply::json(StatusCode::OK, &list)
    })
}
