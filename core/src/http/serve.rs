//! `serve`: the same request → response path for Lambda and the local server. Every `Err`
//! becomes a problem response here; nothing reaches lambda_http as an invocation failure.

use super::routes::{Access, Cache, Route};
use super::{BODY_LIMIT, extract, headers, problem};
use crate::Error;
use crate::service::authn::{self, Authenticated};
use crate::service::{Caller, Deps};
use crate::service::{audit, guard};
use lambda_http::http::{HeaderMap, HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An endpoint: the request in, a reply or an error out.
pub type Handler = for<'a> fn(&'a Deps, Call) -> BoxFuture<'a, Result<Reply, Error>>;

/// A request as an endpoint sees it: the raw request, who sent it and, on a route that is not
/// public, the authenticated account (checked by `serve` against the route's `Access`).
pub struct Call {
    pub req: Request,
    pub caller: Caller,
    auth: Option<Authenticated>,
}

impl Call {
    /// The authenticated caller; only a route declared `Access::Public` lacks one.
    pub fn authenticated(&self) -> Result<&Authenticated, Error> {
        self.auth
            .as_ref()
            .ok_or_else(|| Error::internal("a public route asked for the authenticated caller"))
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        extract::json(&self.req)
    }

    pub fn query(&self, name: &str) -> Option<String> {
        extract::query(&self.req, name)
    }

    /// A `{name}` segment of the route's path.
    pub fn path(&self, name: &str) -> Option<String> {
        use lambda_http::RequestExt;
        self.req
            .path_parameters_ref()
            .and_then(|p| p.first(name))
            .map(str::to_owned)
    }

    /// The JSON body, or `None` when the request has no body at all.
    pub fn optional_json<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, Error> {
        if extract::body_bytes(&self.req).is_empty() {
            Ok(None)
        } else {
            self.json().map(Some)
        }
    }
}

/// A successful answer.
pub struct Reply {
    status: StatusCode,
    body: Body,
    content_type: Option<&'static str>,
    /// A `Link` header (the next page of an export).
    link: Option<String>,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, Error> {
        let body = serde_json::to_string(value)
            .map_err(|e| Error::internal(format!("serializing a response: {e}")))?;
        Ok(Self {
            status,
            body: Body::Text(body),
            content_type: Some("application/json"),
            link: None,
        })
    }

    /// Adds `Link: <url>; rel="next"`.
    pub fn with_next(mut self, url: Option<String>) -> Self {
        self.link = url.map(|u| format!("<{u}>; rel=\"next\""));
        self
    }

    pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Self {
        Self {
            status,
            body: Body::Text(body),
            content_type: Some(content_type),
            link: None,
        }
    }

    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: Body::Empty,
            content_type: None,
            link: None,
        }
    }

    fn into_response(self) -> Response<Body> {
        let mut res = Response::new(self.body);
        *res.status_mut() = self.status;
        if let Some(ct) = self.content_type {
            res.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        if let Some(link) = self.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            res.headers_mut().insert(header::LINK, link);
        }
        res
    }
}

/// Runs `route` for `req` and answers, whatever happens.
pub async fn serve(deps: &Deps, route: &Route, req: Request) -> Response<Body> {
    let line = Line::of(
        req.headers(),
        req.method().as_str(),
        route.path,
        route.cache,
        deps.clock.now(),
    );
    let deadline = deps.settings.request_deadline;
    let bounded = async {
        // Keys older than LATCH_KEYS_TTL_S are read again first (one request at a time).
        let work = async {
            deps.keys.refresh_if_due(deps.clock.now()).await;
            run(deps, route, req, &line.request_id).await
        };
        match tokio::time::timeout(deadline, work).await {
            Ok(result) => result,
            // Whatever the request was waiting on is dropped. Each write it sent is safe to
            // have happened or not, but steps after a write that stands (a notice, an audit
            // event) may be missing: the error line names the request, whose audit events
            // show how far it got (see "Deadlines" in the design notes).
            Err(_) => Err(crate::telemetry::outage(
                "request deadline",
                true,
                &format!("{} passed {} ms", route.path, deadline.as_millis()),
            )),
        }
    };
    let (result, user) = crate::telemetry::with_request_user(bounded).await;
    finish(result, &line, user.as_deref())
}

/// What the request's log line and headers need, read before the request is consumed.
struct Line {
    request_id: String,
    trace_id: Option<String>,
    method: String,
    route: &'static str,
    cache: Cache,
    started: Instant,
}

impl Line {
    fn of(
        headers: &HeaderMap,
        method: &str,
        route: &'static str,
        cache: Cache,
        now: time::OffsetDateTime,
    ) -> Self {
        Self {
            request_id: headers::request_id(headers, now),
            trace_id: headers::trace_id(headers),
            method: method.to_owned(),
            route,
            cache,
            started: Instant::now(),
        }
    }
}

async fn run(deps: &Deps, route: &Route, req: Request, request_id: &str) -> Result<Reply, Error> {
    if extract::body_bytes(&req).len() > BODY_LIMIT {
        return Err(Error::PayloadTooLarge);
    }
    let client = extract::client_info(&req)?;
    let caller = Caller::new(request_id, client);
    if let Some(limit) = route.limit {
        let counted = guard::rate_limit(deps, &caller, limit);
        if limit.audits() {
            tokio::try_join!(counted, audit::prefetch(deps, &caller))?;
        } else {
            counted.await?;
        }
    }
    let bearer = extract::bearer(&req);
    let auth = match route.access {
        Access::Public => None,
        Access::Bearer => Some(authn::authenticate(deps, &caller, bearer).await?),
        Access::Roles(roles) => {
            Some(authn::authorize(deps, &caller, bearer, roles, route.path).await?)
        }
    };
    (route.handler)(deps, Call { req, caller, auth }).await
}

/// The answer for a request refused before any route ran (no such route, body too large).
pub fn fail(
    err: Error,
    request_headers: &HeaderMap,
    method: &str,
    now: time::OffsetDateTime,
) -> Response<Body> {
    finish(
        Err(err),
        &Line::of(request_headers, method, "-", Cache::NoStore, now),
        None,
    )
}

fn finish(result: Result<Reply, Error>, line: &Line, user: Option<&str>) -> Response<Body> {
    let request_id = line.request_id.as_str();
    let route = line.route;
    let mut res = match result {
        Ok(reply) => reply.into_response(),
        Err(err) => {
            let res = problem::response(&err, request_id);
            if res.status().is_server_error() {
                tracing::error!(requestId = request_id, route, error = %crate::telemetry::error_chain(&err), "request failed");
            }
            res
        }
    };
    headers::apply(res.headers_mut(), request_id, line.cache);
    let (status, latency) = (res.status().as_u16(), line.started.elapsed());
    crate::telemetry::request_line(
        request_id,
        &line.method,
        route,
        status,
        latency,
        user,
        line.trace_id.as_deref(),
    );
    let at_ms = crate::metrics::epoch_ms(time::OffsetDateTime::now_utc());
    crate::metrics::emit(&crate::metrics::request(route, status, latency, at_ms));
    res
}
