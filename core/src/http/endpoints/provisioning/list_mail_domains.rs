//! GET /v1/provisioning/mail-domains

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::mail_domains;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "list-mail-domains",
    method: Method::GET,
    path: "/v1/provisioning/mail-domains",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "The caller's mail domains, oldest first",
        tag: "provisioning",
        body: Body::None,
        query: &[],
        success: 200,
        success_description: "The caller's mail domains",
        response: Some(schema_of::<mail_domains::MailDomainList>),
        content_type: "application/json",
        errors: &[],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        Reply::json(StatusCode::OK, &mail_domains::list(deps, auth).await?)
    })
}
