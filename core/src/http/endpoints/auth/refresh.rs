//! POST /v1/auth/refresh

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, refresh, tokens};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "refresh",
    method: Method::POST,
    path: "/v1/auth/refresh",
    access: Access::Public,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Exchange a refresh token for a new pair; the old token is spent",
        tag: "auth",
        body: Body::Required(schema_of::<refresh::RefreshRequest>),
        query: &[],
        success: 200,
        success_description: "A new access token and the next refresh token of the session",
        response: Some(schema_of::<tokens::TokenPair>),
        content_type: "application/json",
        errors: &[(
            401,
            &["invalid_token", "token_reused", "session_binding_mismatch"],
        )],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let out = refresh::refresh(deps, &call.caller, call.json()?).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
