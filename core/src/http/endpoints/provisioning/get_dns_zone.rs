//! GET /v1/provisioning/dns-zones/{id}

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::zones;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "get-dns-zone",
    method: Method::GET,
    path: "/v1/provisioning/dns-zones/{id}",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "One of the caller's DNS zones with its records",
        tag: "provisioning",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The zone and its records (not its own SOA and NS)",
        response: Some(schema_of::<zones::ZoneDetail>),
        content_type: "application/json",
        errors: &[(404, &["not_found"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let id = call.path("id");
        Reply::json(
            StatusCode::OK,
            &zones::get(deps, auth, id.as_deref()).await?,
        )
    })
}
