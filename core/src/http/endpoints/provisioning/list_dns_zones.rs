//! GET /v1/provisioning/dns-zones

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::zones;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "list-dns-zones",
    method: Method::GET,
    path: "/v1/provisioning/dns-zones",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's DNS zones, oldest first",
        tag: "provisioning",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The caller's zones",
        response: Some(schema_of::<zones::ZoneList>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        Reply::json(StatusCode::OK, &zones::list(deps, auth).await?)
    })
}
