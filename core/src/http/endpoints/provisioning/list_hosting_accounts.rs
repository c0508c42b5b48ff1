//! GET /v1/provisioning/hosting-accounts

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::hosting;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "list-hosting-accounts",
    method: Method::GET,
    path: "/v1/provisioning/hosting-accounts",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's hosting accounts, oldest first, with their parts by id",
        tag: "provisioning",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The caller's hosting accounts",
        response: Some(schema_of::<hosting::HostingList>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        Reply::json(StatusCode::OK, &hosting::list(deps, auth).await?)
    })
}
