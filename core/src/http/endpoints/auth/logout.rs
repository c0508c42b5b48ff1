//! POST /v1/auth/logout

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, sessions};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "logout",
    method: Method::POST,
    path: "/v1/auth/logout",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "End the caller's session",
        tag: "auth",
        body: Body::Optional(schema_of::<sessions::LogoutRequest>),
        query: &[],
        success: 204,
        success_description: "The session is revoked; its access tokens stop working at once",
        response: None,
        content_type: "",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let _body: Option<sessions::LogoutRequest> = call.optional_json()?;
        sessions::logout(deps, &call.caller, auth).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
