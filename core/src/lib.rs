//! Latch core: domain, ports, services, adapters and the HTTP glue shared by every Lambda
//! function and by the local server.

pub mod adapters;
pub mod config;
pub mod crypto;
pub mod deadlines;
pub mod domain;
pub mod error;
pub mod http;
pub mod keys;
pub mod metrics;
pub mod ports;
pub mod service;
pub mod telemetry;
pub mod wiring;

pub use error::Error;
