//! GET /v1/admin/audit-logs

use super::{ADMIN_OR_SUPPORT, AUDIT_FILTERS, Query};
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::audit_logs;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-audit-logs",
    method: Method::GET,
    path: "/v1/admin/audit-logs",
    access: Access::Roles(ADMIN_OR_SUPPORT),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Search the audit trail, newest first, a page at a time",
        tag: "admin",
        body: Body::None,
        query: AUDIT_FILTERS,
        success: 200,
        success_description: "A page of events",
        response: Some(schema_of::<audit_logs::EventList>),
        content_type: "application/json",
        errors: &[(400, &["bad_request"]), (422, &["validation_failed"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let query = Query::of(&call);
        let (limit, cursor) = (call.query("limit"), call.query("cursor"));
        let filters = query.filters();
        let page = audit_logs::search(deps, &filters, limit.as_deref(), cursor.as_deref()).await?;
        Reply::json(StatusCode::OK, &page)
    })
}
