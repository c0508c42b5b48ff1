//! POST /v1/provisioning/databases

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::databases;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "create-database",
    method: Method::POST,
    path: "/v1/provisioning/databases",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Create a PostgreSQL database and its owner role, within the plan's quota and the month's cap",
        tag: "provisioning",
        body: Body::Required(schema_of::<databases::CreateRequest>),
        query: &[],
        success: 201,
        success_description: "Created; the password is shown in this answer only",
        response: Some(schema_of::<databases::CreatedDatabase>),
        content_type: "application/json",
        errors: &[
            (402, &["plan_quota_exceeded", "spend_cap_reached"]),
            (403, &["email_not_verified"]),
            (409, &["conflict"]),
            (422, &["validation_failed"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let req = call.json()?;
        let auth = call.authenticated()?;
        let out = databases::create(deps, &call.caller, auth, req).await?;
        Reply::json(StatusCode::CREATED, &out)
    })
}
