//! DELETE /v1/provisioning/dns-zones/{id}/records/{recordId}

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::zones;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "delete-dns-record",
    method: Method::DELETE,
    path: "/v1/provisioning/dns-zones/{id}/records/{recordId}",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Delete a record of one of the caller's zones",
        tag: "provisioning",
        body: Body::None,
        query: &[],
        success: 204,
        success_description: "Deleted",
        response: None,
        content_type: "",
        errors: &[(404, &["not_found"]), (409, &["conflict"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let (id, record) = (call.path("id"), call.path("recordId"));
        zones::delete_record(deps, &call.caller, auth, id.as_deref(), record.as_deref()).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
