//! POST /v1/provisioning/hosting-accounts

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::hosting;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "create-hosting-account",
    method: Method::POST,
    path: "/v1/provisioning/hosting-accounts",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Create a DNS zone, a database and a mail domain together, all or nothing",
        tag: "provisioning",
        body: Body::Required(schema_of::<hosting::CreateRequest>),
        query: &[],
        success: 201,
        success_description: "Created with its parts; the database password is shown in this answer only",
        response: Some(schema_of::<hosting::CreatedHosting>),
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
        let out = hosting::create(deps, &call.caller, auth, req).await?;
        Reply::json(StatusCode::CREATED, &out)
    })
}
