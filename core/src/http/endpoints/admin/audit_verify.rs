//! GET /v1/admin/audit-logs/verify

use super::{ADMIN, Query};
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::audit_logs;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-audit-verify",
    method: Method::GET,
    path: "/v1/admin/audit-logs/verify",
    access: Access::Roles(ADMIN),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Recompute the audit trail's hash chains over a time range",
        tag: "admin",
        body: Body::None,
        query: &[
            super::param(
                "from",
                "From this RFC 3339 time (default: the retention window's start)",
            ),
            super::param("to", "To this RFC 3339 time (default: now)"),
        ],
        success: 200,
        success_description: "Whether every link holds, how many events were checked, and the first broken one",
        response: Some(schema_of::<audit_logs::Verification>),
        content_type: "application/json",
        errors: &[(422, &["validation_failed"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let query = Query::of(&call);
        let filters = audit_logs::Filters {
            from: query.from.as_deref(),
            to: query.to.as_deref(),
            ..Default::default()
        };
        Reply::json(StatusCode::OK, &audit_logs::verify(deps, &filters).await?)
    })
}
