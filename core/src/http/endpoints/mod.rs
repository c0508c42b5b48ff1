//! One file per endpoint: its route entry, its documentation, and a handler that parses the
//! request, calls one use case and shapes the reply.

pub mod account;
pub mod admin;
pub mod auth;
pub mod billing;
pub mod provisioning;
pub mod system;
