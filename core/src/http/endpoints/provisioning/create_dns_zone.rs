//! POST /v1/provisioning/dns-zones

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::zones;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "create-dns-zone",
    method: Method::POST,
    path: "/v1/provisioning/dns-zones",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Create a DNS zone for a domain, within the plan's quota and the month's cap",
        tag: "provisioning",
        body: Body::Required(schema_of::<zones::CreateRequest>),
        query: &[],
        success: 201,
        success_description: "Created; delegate the domain to its name servers",
        response: Some(schema_of::<zones::ZoneView>),
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
        let out = zones::create(deps, &call.caller, auth, req).await?;
        Reply::json(StatusCode::CREATED, &out)
    })
}
