//! POST /v1/provisioning/dns-zones/{id}/records

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::zones;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "add-dns-record",
    method: Method::POST,
    path: "/v1/provisioning/dns-zones/{id}/records",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Add a record (A, AAAA, CNAME, MX or TXT) to one of the caller's zones",
        tag: "provisioning",
        body: Body::Required(schema_of::<zones::RecordRequest>),
        query: &[],
        success: 201,
        success_description: "Added (a value already there answers the same record)",
        response: Some(schema_of::<zones::RecordView>),
        content_type: "application/json",
        errors: &[
            (402, &["plan_quota_exceeded"]),
            (404, &["not_found"]),
            (409, &["conflict"]),
            (422, &["validation_failed"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let req = call.json()?;
        let auth = call.authenticated()?;
        let id = call.path("id");
        let out = zones::add_record(deps, &call.caller, auth, id.as_deref(), req).await?;
        Reply::json(StatusCode::CREATED, &out)
    })
}
