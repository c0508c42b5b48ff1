//! DELETE /v1/provisioning/mail-domains/{id}

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::mail_domains;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "delete-mail-domain",
    method: Method::DELETE,
    path: "/v1/provisioning/mail-domains/{id}",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Delete one of the caller's mail domains: its identity, then its DKIM record",
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
        let id = call.path("id");
        mail_domains::delete(deps, &call.caller, auth, id.as_deref()).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
