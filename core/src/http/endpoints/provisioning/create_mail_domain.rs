//! POST /v1/provisioning/mail-domains

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::provisioning::mail_domains;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "create-mail-domain",
    method: Method::POST,
    path: "/v1/provisioning/mail-domains",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Make one of the caller's zones a mail domain: a sending identity with a DKIM key published in the zone",
        tag: "provisioning",
        body: Body::Required(schema_of::<mail_domains::CreateRequest>),
        query: &[],
        success: 201,
        success_description: "Created; its DKIM record is in the zone",
        response: Some(schema_of::<mail_domains::MailDomainView>),
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
        let out = mail_domains::create(deps, &call.caller, auth, req).await?;
        Reply::json(StatusCode::CREATED, &out)
    })
}
