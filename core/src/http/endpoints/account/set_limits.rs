//! POST /v1/account/limits

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, billing};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "account-set-limits",
    method: Method::POST,
    path: "/v1/account/limits",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Set the caller's monthly spend cap, up to the plan's maximum",
        tag: "account",
        body: Body::Required(schema_of::<billing::LimitsRequest>),
        query: &[],
        success: 200,
        success_description: "The limits as they now stand",
        response: Some(schema_of::<billing::LimitsView>),
        content_type: "application/json",
        errors: &[(409, &["conflict"]), (422, &["validation_failed"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let out = billing::set_limits(deps, &call.caller, auth, call.json()?).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
