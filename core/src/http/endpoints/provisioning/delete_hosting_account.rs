//! DELETE /v1/provisioning/hosting-accounts/{id}

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::hosting;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "delete-hosting-account",
    method: Method::DELETE,
    path: "/v1/provisioning/hosting-accounts/{id}",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Delete one of the caller's hosting accounts: its mail domain, database and zone, then the account",
        tag: "provisioning",
        body: Body::None,
        query: &[],
        success: 204,
        success_description: "Deleted with every part",
        response: None,
        content_type: "",
        errors: &[(404, &["not_found"]), (409, &["conflict"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let id = call.path("id");
        hosting::delete(deps, &call.caller, auth, id.as_deref()).await?;
        Ok(Reply::empty(StatusCode::NO_CONTENT))
    })
}
