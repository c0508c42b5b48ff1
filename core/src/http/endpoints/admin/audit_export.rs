//! GET /v1/admin/audit-logs/export

use super::{ADMIN, AUDIT_FILTERS, Query};
use crate::Error;
use crate::http::csv::Csv;
use crate::http::routes::{Access, Body, Cache, Doc, Route};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::audit_logs;
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-audit-export",
    method: Method::GET,
    path: "/v1/admin/audit-logs/export",
    access: Access::Roles(ADMIN),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "Export the audit trail as CSV, newest first, 10,000 rows per response",
        tag: "admin",
        body: Body::None,
        query: AUDIT_FILTERS,
        success: 200,
        success_description: "RFC 4180 CSV with a header row; cells a spreadsheet would take for a formula begin with `'`. More rows follow through `Link: <...>; rel=\"next\"`",
        response: None,
        content_type: Csv::CONTENT_TYPE,
        errors: &[(400, &["bad_request"]), (422, &["validation_failed"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let query = Query::of(&call);
        let cursor = call.query("cursor");
        let filters = query.filters();
        let rows = deps.settings.audit_export_rows;
        let page = audit_logs::export(deps, &filters, cursor.as_deref(), rows).await?;
        let next = page.next_cursor.map(|c| {
            let mut url = form_urlencoded::Serializer::new(String::new());
            for (name, value) in [
                ("userId", &query.user_id),
                ("actorId", &query.actor_id),
                ("type", &query.kind),
                ("from", &query.from),
                ("to", &query.to),
            ] {
                if let Some(v) = value {
                    url.append_pair(name, v);
                }
            }
            url.append_pair("cursor", &c);
            let base = &deps.settings.public_url;
            format!("{base}{}?{}", ROUTE.path, url.finish())
        });
        Ok(Reply::text(StatusCode::OK, Csv::CONTENT_TYPE, page.csv).with_next(next))
    })
}
