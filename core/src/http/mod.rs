//! The lambda_http glue: one route table, one error mapping, one `serve` for every endpoint.

pub mod csv;
pub mod endpoints;
pub mod extract;
#[cfg(test)]
mod fuzz;
pub mod headers;
pub mod openapi;
pub mod problem;
pub mod routes;
mod serve;

pub use extract::ClientAddr;
pub use routes::{Cache, Doc, ROUTES, Route};
pub use serve::{BoxFuture, Call, Handler, Reply, fail, serve};

/// Request bodies above this many bytes are refused with 413.
pub const BODY_LIMIT: usize = 16 * 1024;
