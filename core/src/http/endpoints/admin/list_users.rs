//! GET /v1/admin/users

use super::ADMIN_OR_SUPPORT;
use crate::Error;
use crate::http::routes::{Access, Body, Cache, Doc, PAGE_QUERY, Route, schema_of};
use crate::http::{BoxFuture, Call, Reply};
use crate::service::Deps;
use crate::service::admin::users::{self, ListQuery};
use lambda_http::http::{Method, StatusCode};

pub const ROUTE: Route = Route {
    name: "admin-list-users",
    method: Method::GET,
    path: "/v1/admin/users",
    access: Access::Roles(ADMIN_OR_SUPPORT),
    limit: None,
    cache: Cache::NoStore,
    handler,
    doc: Doc {
        summary: "List accounts, filtered and ordered, a page at a time",
        tag: "admin",
        body: Body::None,
        query: &[
            super::param(
                "email",
                "Addresses beginning with this (matched lower-cased)",
            ),
            super::param("status", "`active`, `locked` or `unverified`"),
            super::param("role", "Accounts holding this role"),
            super::param("sort", "`createdAt` (default), `-createdAt` or `email`"),
            PAGE_QUERY[0],
            PAGE_QUERY[1],
        ],
        success: 200,
        success_description: "A page of accounts; new accounts never shift a page",
        response: Some(schema_of::<users::UserList>),
        content_type: "application/json",
        errors: &[(400, &["bad_request"]), (422, &["validation_failed"])],
    },
};

fn handler(deps: &Deps, call: Call) -> BoxFuture<'_, Result<Reply, Error>> {
    Box::pin(async move {
        let names = ["email", "status", "role", "sort", "limit", "cursor"];
        let [email, status, role, sort, limit, cursor] = names.map(|n| call.query(n));
        let query = ListQuery {
            email: email.as_deref(),
            status: status.as_deref(),
            role: role.as_deref(),
            sort: sort.as_deref(),
            limit: limit.as_deref(),
            cursor: cursor.as_deref(),
        };
        Reply::json(StatusCode::OK, &users::list(deps, query).await?)
    })
}
