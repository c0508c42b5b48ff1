//! DELETE /v1/auth/sessions/{id}

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, sessions};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "revoke-session",
    method: Method::DELETE,
    path: "/v1/auth/sessions/{id}",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Revoke one of the caller's sessions",
        tag: "auth",
        body: Body::None,
        query: &[],
        success: 204,
        success_description: "Revoked; its access and refresh tokens stop working at once",
        response: None,
        content_type: "",
        errors: &[(404, &["not_found"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        sessions::revoke(deps, &call.caller, auth, call.path("id").as_deref()).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
