//! POST /v1/billing/usage

use crate::Error;
use crate::domain::Role;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, billing};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "billing-usage",
    method: Method::POST,
    path: "/v1/billing/usage",
    access: Access::Roles(&[Role::Admin, Role::BillingAdmin]),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Record a charge for a user, once per idempotency key, within the user's monthly cap",
        tag: "billing",
        body: Body::Required(schema_of::<billing::UsageRequest>),
        query: &[],
        success: 201,
        success_description: "Recorded (201); a replayed idempotency key answers 200 with the first charge",
        response: Some(schema_of::<crate::domain::Charge>),
        content_type: "application/json",
        errors: &[
            (402, &["spend_cap_reached"]),
            (404, &["not_found"]),
            (409, &["conflict"]),
            (422, &["validation_failed"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let out = billing::record_usage(deps, &call.caller, auth, call.json()?).await?;
        let status = if out.recorded_now {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Reply::json(status, &out.charge)
    })
}
