//! POST /v1/account/plan

use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::{Deps, billing};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "account-set-plan",
    method: Method::POST,
    path: "/v1/account/plan",
    access: Access::Bearer,
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Change the caller's plan; a downgrade must leave no more resources than the new plan allows",
        tag: "account",
        body: Body::Required(schema_of::<billing::PlanRequest>),
        query: &[],
        success: 200,
        success_description: "The new plan; the spend cap is lowered to the plan's maximum",
        response: Some(schema_of::<billing::PlanView>),
        content_type: "application/json",
        errors: &[
            (402, &["plan_quota_exceeded"]),
            (409, &["conflict"]),
            (422, &["validation_failed"]),
        ],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let auth = call.authenticated()?;
        let out = billing::set_plan(deps, &call.caller, auth, call.json()?).await?;
        Reply::json(StatusCode::OK, &out)
    })
}
