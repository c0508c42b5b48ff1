//! Latch's integration tests: whole flows against the local server (embedded default and the
//! AWS adapters on moto), the store contract suite on both stores, the Lambda event fixtures,
//! and the SAM template against the route table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod aws_flow;
mod backups;
mod bad_input;
mod billing;
mod contract_fuzz;
mod cost_model;
mod events;
mod faults;
mod flows;
mod guards;
mod lambda_smoke;
mod logs;
mod mail_and_keys;
mod mail_queue;
mod mfa;
mod passwords;
mod peers;
mod provisioning;
mod readme;
mod rotation;
mod round_trips;
mod security;
mod sessions;
mod store_contract;
mod support;
mod template;
